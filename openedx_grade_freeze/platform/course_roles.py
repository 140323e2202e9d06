"""
Course team roles as edx-platform's ``student.roles`` holds them: who is staff or instructor of a course run.
"""
from openedx_grade_freeze.platform.modules import import_platform_module

_ROLES = "common.djangoapps.student.roles"


def is_course_team(user, course_key):
    """True when ``user`` is staff (limited staff included) or instructor of the course; False outside the platform."""
    roles = import_platform_module(_ROLES)
    if roles is None:
        return False
    return bool(
        roles.CourseStaffRole(course_key).has_user(user) or roles.CourseInstructorRole(course_key).has_user(user)
    )
