"""
The public Python API of openedx-grade-freeze: other plugins and edx-platform code call only these.
"""
from openedx_grade_freeze import blocked
from openedx_grade_freeze import learners as learner_lookup
from openedx_grade_freeze import overrides, policy, retirement, schedule_sync, schedules, status
from openedx_grade_freeze.credentials import ledger
from openedx_grade_freeze.exceptions import (
    InvalidCourseKeyError,
    InvalidFreezeConfigurationError,
    InvalidLearnerExceptionError,
    LearnerExceptionNotAllowedError,
    NotALearnerError,
    UnknownCourseError,
    UnknownLearnerExceptionError,
    UnknownUserError,
)
from openedx_grade_freeze.keys import to_course_key
from openedx_grade_freeze.learner_exceptions import workflow
from openedx_grade_freeze.learner_exceptions.summary import ExceptionCounts, ExceptionRecord, ExceptionSummary
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
    "ExceptionCounts",
    "ExceptionRecord",
    "ExceptionSummary",
    "FreezeState",
    "InvalidCourseKeyError",
    "InvalidFreezeConfigurationError",
    "InvalidLearnerExceptionError",
    "LearnerExceptionNotAllowedError",
    "NotALearnerError",
    "RefusedLearner",
    "RefusedLearners",
    "RefusedUpdates",
    "ScheduleSnapshot",
    "SnapshotSummary",
    "UnknownCourseError",
    "UnknownLearnerExceptionError",
    "UnknownUserError",
    "approve_learner_exception",
    "are_grades_frozen",
    "can_read_course_status",
    "close_learner_exception",
    "delete_course_override",
    "delete_org_override",
    "find_user",
    "get_course_status",
    "get_freeze_state",
    "get_learner_exception",
    "grant_learner_exceptions",
    "list_courses",
    "record_course_schedule",
    "replace_course_schedule_from_platform",
    "request_learner_exception",
    "retire_learner",
    "set_course_override",
    "set_org_override",
    "to_course_key",
]


def get_freeze_state(course_key, at=None, user_id=None):
    """The freeze state of a course (``CourseKey`` or string) now, or at ``at``, for one learner when ``user_id`` is
    given (an open learner exception answers not frozen; ``learner_rule`` says so); warm calls make no query."""
    return policy.get_freeze_state(course_key, at=at, user_id=user_id)


def are_grades_frozen(course_key, user_id=None):
    """True when the course's grades (one learner's, when ``user_id`` is given) must no longer change."""
    return policy.get_freeze_state(course_key, user_id=user_id).frozen


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


def find_user(value, by_id=False, username_only=False):
    """The user ``value`` names: a user id when it is ASCII digits (always with ``by_id``) and that user exists,
    else a username (always with ``username_only``); ``UnknownUserError`` when none."""
    how = learner_lookup.BY_ID if by_id else learner_lookup.BY_USERNAME if username_only else learner_lookup.EITHER
    return learner_lookup.find_user(value, how)


def request_learner_exception(course_key, learner, *, reason, until=None, user):
    """Ask for an exception for one learner (a user or user id): their grades in the course may change until
    ``until`` (default: ``GRADE_FREEZE_EXCEPTION_DEFAULT_DAYS`` days) once another person approves it. ``user`` is
    the requester (the course's staff or instructors, or global staff). Returns its ``ExceptionRecord``."""
    status.require_known([course_key])
    return workflow.request_exception(course_key, learner, reason=reason, until=until, user=user)


def approve_learner_exception(exception_id, *, user, reason=""):
    """Approve a requested exception (global staff or ``openedx_grade_freeze.approve_learnerexception``; never the
    requester): it opens now. Returns its ``ExceptionRecord``."""
    return workflow.approve_exception(exception_id, user=user, reason=reason)


def close_learner_exception(exception_id, *, reason, user=None):
    """Close an exception early (its learner's grade is then re-frozen) or revoke a request; returns its record."""
    return workflow.close_exception(exception_id, reason=reason, user=user)


def grant_learner_exceptions(course_key, learners, *, reason, until=None, user=None, dry_run=False):
    """Open exceptions for several learners at once, without an approval step (operators); all or none."""
    status.require_known([course_key])
    return workflow.grant_exceptions(course_key, learners, reason=reason, until=until, user=user, dry_run=dry_run)


def get_learner_exception(exception_id):
    """One learner exception's ``ExceptionRecord``; ``UnknownLearnerExceptionError`` if there is none."""
    return workflow.get_exception(exception_id)


def retire_learner(user_id, username, email=""):
    """Forget a retired learner's username and email wherever the plugin kept them (user ids and grades stay), and
    remove them from the lists of refused learners."""
    ledger.forget_answers(user_id)
    retirement.forget_learner(user_id, username, email)
    blocked.forget_learner(user_id)
