"""
Stand-in for ``lms.djangoapps.grades.rest_api.v2.permissions`` (read at ``ee5f3285dc69…``).

Imports what upstream imports, by name (the adapter rebinds this module's ``are_grades_frozen``). Only
``GradesNotFrozen`` has upstream's body; the other permission classes are left out (no view here uses them).
``view`` is any object with ``get_course_key()``.
"""
from edx_rest_framework_extensions.permissions import (  # pylint: disable=unused-import
    JwtHasScope,
    JwtRestrictedApplication,
    NotJwtRestrictedApplication,
)
from rest_framework.exceptions import NotFound  # pylint: disable=unused-import
from rest_framework.permissions import BasePermission, IsAdminUser, IsAuthenticated  # pylint: disable=unused-import

from common.djangoapps.student.auth import has_course_author_access, is_ccx_course  # pylint: disable=unused-import
from lms.djangoapps.courseware.access import has_access  # pylint: disable=unused-import
from lms.djangoapps.grades.api import is_writable_gradebook_enabled  # pylint: disable=unused-import
from lms.djangoapps.grades.grade_utils import are_grades_frozen
from lms.djangoapps.grades.rest_api.v1.gradebook_views import _has_ccx_gradebook_access  # pylint: disable=unused-import
from lms.djangoapps.grades.rest_api.v2.errors import GradesFrozen, WritableGradebookDisabled  # pylint: disable=unused-import
from openedx.core.djangoapps.content.course_overviews.models import CourseOverview  # pylint: disable=unused-import


class GradesNotFrozen(BasePermission):
    """Refuses requests to change the grades of a course whose grades are frozen."""

    def has_permission(self, request, view):
        """Return True when the grades of the requested course may still change."""
        if are_grades_frozen(view.get_course_key()):
            raise GradesFrozen()
        return True
