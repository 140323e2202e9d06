"""
Stand-in for ``lms.djangoapps.grades.rest_api.v2.permissions`` (``GradesNotFrozen`` only; read at
``ee5f3285dc696ac6fbb342ecf4087fc8e218a0ed``).

Upstream imports ``are_grades_frozen`` BY NAME here (``from lms.djangoapps.grades.grade_utils import
are_grades_frozen``): it gates the v2 subsection-grade-override endpoint. No DRF: ``BasePermission`` is a plain
base class and ``view`` is any object with ``get_course_key()``.
"""
from lms.djangoapps.grades.grade_utils import are_grades_frozen
from lms.djangoapps.grades.rest_api.v2.errors import GradesFrozen


class BasePermission:
    """``rest_framework.permissions.BasePermission`` look-alike."""

    def has_permission(self, request, view):  # pylint: disable=unused-argument
        return True


class GradesNotFrozen(BasePermission):
    """Refuses requests to change the grades of a course whose grades are frozen."""

    def has_permission(self, request, view):
        """Return True when the grades of the requested course may still change."""
        if are_grades_frozen(view.get_course_key()):
            raise GradesFrozen()
        return True
