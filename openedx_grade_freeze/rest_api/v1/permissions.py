"""
Who may call the REST API: course teams read their own course; global staff read everything and change overrides.
Learner exceptions: course teams and global staff request them; who approves and closes is decided per exception
(``LearnerExceptionNotAllowedError`` answers 403).
"""
from rest_framework.permissions import BasePermission

from openedx_grade_freeze import api


class IsGlobalStaff(BasePermission):
    """Active global staff (``is_staff``), as edx-platform's own ``GlobalStaff`` role."""

    message = "Only global staff can do this."

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and user.is_active and user.is_staff)


class CanChangeOverrides(IsGlobalStaff):
    """Global staff who also hold the Django permission to change the override model the view edits."""

    message = "Only global staff with the permission to change freeze overrides can do this."

    def has_permission(self, request, view):
        return super().has_permission(request, view) and request.user.has_perm(view.required_permission)


class CanReadCourseStatus(BasePermission):
    """Global staff, or the staff and instructors of the course named in the URL."""

    message = "Only global staff and the course's staff and instructors can read its freeze status."

    def has_permission(self, request, view):
        return api.can_read_course_status(request.user, view.course_key)


class IsActiveUser(BasePermission):
    """Any authenticated, active user: the action itself decides who may (403 otherwise)."""

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and user.is_active)
