"""
Stand-in for ``lms.djangoapps.grades.util_services`` (``GradesUtilService``, the XBlock ``grade_utils`` service).

Upstream imports the MODULE (``from . import grade_utils``) and calls ``grade_utils.are_grades_frozen`` at call
time, so patching ``lms.djangoapps.grades.grade_utils.are_grades_frozen`` reaches this service.
"""
from . import grade_utils


class GradesUtilService:
    """Grading helpers offered to XBlocks (ORA uses ``are_grades_frozen`` to hide staff overrides)."""

    def __init__(self, **kwargs):
        super().__init__()
        self.course_id = kwargs.get('course_id', None)

    def are_grades_frozen(self):
        """Whether grades are frozen for this service's course."""
        return grade_utils.are_grades_frozen(self.course_id)
