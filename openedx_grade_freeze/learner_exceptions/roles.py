"""
Who may request, approve and close a learner exception.
"""
from openedx_grade_freeze.platform import course_roles

# The Django permission that lets a user approve learner exceptions (grantable through a group), as global staff may.
APPROVE_PERMISSION = "openedx_grade_freeze.approve_learnerexception"


def _active(user):
    return bool(user is not None and user.is_authenticated and user.is_active)


def may_request(user, course_key):
    """Global staff, or the course's staff and instructors."""
    return _active(user) and bool(user.is_staff or course_roles.is_course_team(user, course_key))


def may_approve(user):
    """Global staff, or a user holding ``APPROVE_PERMISSION`` (never for their own request: see ``workflow``)."""
    return _active(user) and bool(user.is_staff or user.has_perm(APPROVE_PERMISSION))


def may_close(user, course_key):
    """Whoever may request an exception for the course, or approve one."""
    return may_request(user, course_key) or may_approve(user)
