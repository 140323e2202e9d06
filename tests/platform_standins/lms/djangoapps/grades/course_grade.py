"""
Stand-in for ``lms.djangoapps.grades.course_grade`` (``CourseGrade``, ``ZeroCourseGrade``).

The stand-in grade is the share of graded points earned over the learner's stored subsection grades (overrides
applied); it passes at ``PASSING_GRADE`` with letter grade ``'Pass'``.
"""
PASSING_GRADE = 0.5


class CourseGradeBase:
    """Attributes of a course grade that callers read."""

    def __init__(self, user, course_key, percent=0.0, letter_grade=None, passed=False, attempted=False,
                 last_updated=None):
        self.user = user
        self.course_key = course_key
        self.percent = percent
        self.letter_grade = letter_grade
        self.passed = passed
        self.attempted = attempted
        self.last_updated = last_updated

    def __str__(self):
        return f'{type(self).__name__}(percent={self.percent}, passed={self.passed})'


class ZeroCourseGrade(CourseGradeBase):
    """The grade of a learner with nothing stored: zero, not persisted."""


class CourseGrade(CourseGradeBase):
    """A computed (or read) course grade."""

    @classmethod
    def compute(cls, user, course_key, subsection_grades):
        """Stand-in only: compute a grade from stored subsection grades."""
        earned = possible = 0.0
        attempted = False
        for grade in subsection_grades:
            override = grade.override
            earned += _value(override, 'earned_graded_override', grade.earned_graded)
            possible += _value(override, 'possible_graded_override', grade.possible_graded)
            attempted = attempted or grade.first_attempted is not None or override is not None
        percent = round(earned / possible, 2) if possible else 0.0
        passed = percent >= PASSING_GRADE
        return cls(user, course_key, percent, 'Pass' if passed else None, passed, attempted)


def _value(override, name, default):
    value = getattr(override, name, None) if override is not None else None
    return float(value if value is not None else (default or 0.0))
