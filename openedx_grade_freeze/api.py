"""
The public Python API of openedx-grade-freeze: other plugins and edx-platform code call only these.
"""
from openedx_grade_freeze import blocked, overrides, policy, retirement, schedule_sync, schedules, status
from openedx_grade_freeze.credentials import ledger
from openedx_grade_freeze.exceptions import InvalidCourseKeyError, InvalidFreezeConfigurationError, UnknownCourseError
from openedx_grade_freeze.keys import to_course_key
from openedx_grade_freeze.platform import course_roles
from openedx_grade_freeze.policy import FreezeState
from openedx_grade_freeze.refused_learners import RefusedLearner, RefusedLearners
from openedx_grade_freeze.schedules import EndDateChange, ScheduleSnapshot
from openedx_grade_freeze.snapshots.summary import SnapshotSummary
from openedx_grade_freeze.status import PHASES, CourseStatus, CredentialsCounts, RefusedUpdates

__all__ = [
    "PHASES",
    "CourseStatus",
    "CredentialsCounts",
    "EndDateChange",
    "FreezeState",
    "InvalidCourseKeyError",
    "InvalidFreezeConfigurationError",
    "RefusedLearner",
    "RefusedLearners",
    "RefusedUpdates",
    "ScheduleSnapshot",
    "SnapshotSummary",
    "UnknownCourseError",
    "are_grades_frozen",
    "can_read_course_status",
    "delete_course_override",
    "delete_org_override",
    "get_course_status",
    "get_freeze_state",
    "list_courses",
    "record_course_schedule",
    "replace_course_schedule_from_platform",
    "retire_learner",
    "set_course_override",
    "set_org_override",
    "to_course_key",
]


def get_freeze_state(course_key, at=None):
    """The freeze state of a course (``CourseKey`` or string) now, or at ``at``; warm calls make no query."""
    return policy.get_freeze_state(course_key, at=at)


def are_grades_frozen(course_key):
    """True when the course's grades must no longer change."""
    return policy.get_freeze_state(course_key).frozen


def record_course_schedule(snapshot):
    """Store a course's published schedule; returns the ``EndDateChange`` it caused, or None."""
    return schedules.apply_snapshot(snapshot)


def replace_course_schedule_from_platform(course_key, *, who):
    """Replace a course's stored schedule from CourseOverview whatever its event time; audited as forced."""
    return schedule_sync.replace_from_overview(to_course_key(course_key), who=who)


def set_course_override(course_key, *, reason, enabled=None, offset_days=None, freeze_date=None, user=None):
    """Create or replace a course's freeze override (None = inherit); validated, audited, seen at once."""
    return overrides.set_course_override(
        course_key, reason=reason, enabled=enabled, offset_days=offset_days, freeze_date=freeze_date, user=user
    )


def set_org_override(org, *, reason, enabled=None, offset_days=None, user=None):
    """Create or replace an org's freeze override (None = inherit); validated, audited, seen at once."""
    return overrides.set_org_override(org, reason=reason, enabled=enabled, offset_days=offset_days, user=user)


def delete_course_override(course_key, *, reason, user=None):
    """Remove a course's override so the lower layers decide again; returns whether there was one."""
    return overrides.delete_course_override(course_key, reason=reason, user=user)


def delete_org_override(org, *, reason, user=None):
    """Remove an org's override; returns whether there was one."""
    return overrides.delete_org_override(org, reason=reason, user=user)


def get_course_status(course_key, at=None):
    """A course's ``CourseStatus``: its phase and the facts about it; ``UnknownCourseError`` if no one knows it."""
    return status.get_course_status(course_key, at=at)


def list_courses(course_keys=None, frozen=None, upcoming_days=None, org=None, at=None):
    """``CourseStatus`` items of the courses named, else of every course the plugin knows, filtered by whether they
    are frozen, about to freeze within ``upcoming_days`` days, and org."""
    return status.list_courses(course_keys, frozen=frozen, upcoming_days=upcoming_days, org=org, at=at)


def can_read_course_status(user, course_key):
    """Whether ``user`` may see a course's freeze status: global staff, or the course's staff and instructors."""
    if not (user and user.is_authenticated and user.is_active):
        return False
    return bool(user.is_staff or course_roles.is_course_team(user, course_key))


def retire_learner(user_id, username, email=""):
    """Forget a retired learner's username and email wherever the plugin kept them (user ids and grades stay), and
    remove them from the lists of refused learners."""
    ledger.forget_answers(user_id)
    retirement.forget_learner(user_id, username, email)
    blocked.forget_learner(user_id)
