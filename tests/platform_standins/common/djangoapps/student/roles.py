"""
Stand-in for ``common.djangoapps.student.roles``: the course roles the plugin reads (``CourseStaffRole``,
``CourseLimitedStaffRole``, ``CourseInstructorRole``), held in memory instead of ``CourseAccessRole`` rows.

Read from ``openedx/openedx-platform`` at ``c6607476c5fd8e206a850203fd97512edaffa7c1``. As upstream,
``has_user`` is False for anonymous and inactive users, a role is held per (user, role, org, course), and a
role that names a ``BASE_ROLE`` (limited staff) counts as that base role too. No openedx-authz, no request cache.
"""
from standin_support import register_reset

# {(user_id, role, org, str(course_key))}
_ASSIGNMENTS = set()
# role -> the roles that inherit its permissions, as upstream's ACCESS_ROLES_INHERITANCE
ACCESS_ROLES_INHERITANCE = {}


@register_reset
def reset():
    """Forget every role assignment."""
    _ASSIGNMENTS.clear()


def _register(cls):
    base_role = getattr(cls, "BASE_ROLE", None)
    if base_role:
        ACCESS_ROLES_INHERITANCE.setdefault(base_role, set()).add(cls.ROLE)
    return cls


class CourseRole:
    """A named role in one course run."""

    ROLE = None

    def __init__(self, course_key):
        self.course_key = course_key
        self.org = course_key.org

    def _key(self, user, role):
        return (user.id, role, self.org, str(self.course_key))

    def has_user(self, user, check_user_activation=True):
        """Whether ``user`` holds this role (or one inheriting from it) in the course."""
        if check_user_activation and not (user.is_authenticated and user.is_active):
            return False
        roles = ACCESS_ROLES_INHERITANCE.get(self.ROLE, set()) | {self.ROLE}
        return any(self._key(user, role) in _ASSIGNMENTS for role in roles)

    def add_users(self, *users):
        """Give the role to active, authenticated users (others are ignored, as upstream)."""
        for user in users:
            if user.is_authenticated and user.is_active:
                _ASSIGNMENTS.add(self._key(user, self.ROLE))

    def remove_users(self, *users):
        """Take the role away."""
        for user in users:
            _ASSIGNMENTS.discard(self._key(user, self.ROLE))


@_register
class CourseStaffRole(CourseRole):
    """A staff member of a course."""

    ROLE = "staff"


@_register
class CourseLimitedStaffRole(CourseStaffRole):
    """A staff member of a course without access to Studio."""

    ROLE = "limited_staff"
    BASE_ROLE = CourseStaffRole.ROLE


@_register
class CourseInstructorRole(CourseRole):
    """A course instructor."""

    ROLE = "instructor"


@_register
class CourseBetaTesterRole(CourseRole):
    """A course beta tester (no staff access)."""

    ROLE = "beta_testers"
