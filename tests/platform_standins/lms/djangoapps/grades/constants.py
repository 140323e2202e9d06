"""
Stand-in for ``lms.djangoapps.grades.constants``.
"""


class ScoreDatabaseTableEnum:
    """Where a changed score lives."""
    courseware_student_module = 'csm'
    submissions = 'submissions'
    overrides = 'overrides'


class GradeOverrideFeatureEnum:
    """Which feature created a subsection grade override."""
    proctoring = 'PROCTORING'
    gradebook = 'GRADEBOOK'
    grade_import = 'grade-import'
