"""
What the freeze means for one course right now, gathered for the people it affects (API, status page, dashboard).
"""
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone

from django.db.models import Count, Q

from openedx_grade_freeze import policy
from openedx_grade_freeze.dates import as_utc, days_until
from openedx_grade_freeze.exceptions import PlatformReadError
from openedx_grade_freeze.keys import to_course_key
from openedx_grade_freeze.models import (
    DELIVERY_FAILED,
    DELIVERY_UNSENT,
    BlockedGradeUpdates,
    CourseSchedule,
    CredentialsDelivery,
)
from openedx_grade_freeze.platform import course_overviews
from openedx_grade_freeze.snapshots import status as snapshot_status


@dataclass(frozen=True)
class RefusedUpdates:
    """How many grade updates the freeze refused on one write path of a course."""

    source: str
    total: int
    last_reported: datetime | None


@dataclass(frozen=True)
class SnapshotSummary:
    """The course's final-grade snapshot: ``label`` says which run and how far (``none`` before the freeze)."""

    label: str
    learners: int
    frozen: int
    no_grade: int
    failed: int

    @classmethod
    def of(cls, course_key, state):
        """The snapshot summary of one course in ``state``."""
        row = snapshot_status.course_status(course_key, state)
        return cls(row.snapshot, row.learners, row.frozen_learners, row.no_grade, row.failed)


@dataclass(frozen=True)
class CourseFreezeReport:
    """
    One course's freeze state with its consequences; ``configuration_error`` says what stopped the plugin's own
    policy from deciding (the state then follows ``GRADE_FREEZE_ON_ERROR``: ``state.on_error``).
    """

    course_key: object
    state: policy.FreezeState
    course_start: datetime | None
    configuration_error: str
    refused_updates: tuple
    deliveries_pending: int
    deliveries_failed: int
    generated_at: datetime
    snapshot: SnapshotSummary

    @property
    def refused_total(self):
        """Every refused update of the course, on every write path."""
        return sum(item.total for item in self.refused_updates)

    @property
    def days_until_freeze(self):
        """Days left before the freeze, a started day counting as one, or None when frozen, off or undated."""
        state = self.state
        if state.frozen or not state.enabled or state.freeze_date is None:
            return None
        return days_until(state.freeze_date, self.generated_at)


class UnknownCourseError(LookupError):
    """Neither the plugin's schedules nor edx-platform know this course."""


def course_start(course_key):
    """The course's start date (plugin schedule, else CourseOverview); raises ``UnknownCourseError`` if unknown.

    ``PlatformReadError`` from a CourseOverview that cannot be loaded reaches the caller: the course may exist.
    """
    schedule = CourseSchedule.objects.filter(course_key=course_key).first()
    if schedule is not None:
        return as_utc(schedule.start)
    overview = course_overviews.get_course_overview(course_key)
    if overview is None:
        raise UnknownCourseError(f"Unknown course {course_key}: no schedule has been published for it.")
    return as_utc(overview.start)


def get_course_report(course_key, at=None):
    """The report of one course; raises ``InvalidCourseKeyError`` or ``UnknownCourseError``, never a policy error."""
    course_key = to_course_key(course_key)
    at = as_utc(at) if at is not None else datetime.now(timezone.utc)
    try:
        start, start_error = course_start(course_key), ""
    except PlatformReadError as read_error:
        start, start_error = None, str(read_error)
    # Never raises: a policy that cannot be evaluated comes back decided by GRADE_FREEZE_ON_ERROR, with its error.
    state = policy.get_freeze_state(course_key, at=at)
    error = state.error or start_error
    refused = tuple(
        RefusedUpdates(source=row.source, total=row.total, last_reported=as_utc(row.last_reported))
        for row in BlockedGradeUpdates.objects.filter(course_key=course_key).order_by("source")
    )
    counts = CredentialsDelivery.objects.filter(course_key=course_key).aggregate(
        pending=Count("pk", filter=Q(status__in=DELIVERY_UNSENT)),
        failed=Count("pk", filter=Q(status=DELIVERY_FAILED)),
    )
    return CourseFreezeReport(
        course_key=course_key,
        state=state,
        course_start=start,
        configuration_error=error,
        refused_updates=refused,
        deliveries_pending=counts["pending"] or 0,
        deliveries_failed=counts["failed"] or 0,
        generated_at=at,
        snapshot=SnapshotSummary.of(course_key, state),
    )


@dataclass(frozen=True)
class CourseListEntry:
    """One course in the overview list: its state now, what kept the plugin's policy from deciding it (if anything),
    and its final-grade snapshot label (filled in by ``with_snapshot_labels``)."""

    course_key: object
    state: policy.FreezeState
    configuration_error: str
    snapshot: str = ""


def list_courses(frozen=None, upcoming_days=None, org=None, at=None):
    """The courses the plugin has schedules for, filtered by state, by a freeze within N days, and by org.

    ``upcoming_days`` keeps courses not frozen yet whose freeze date falls within that many days. A course whose
    policy cannot be evaluated is filtered by the state ``GRADE_FREEZE_ON_ERROR`` gives it.
    """
    at = as_utc(at) if at is not None else datetime.now(timezone.utc)
    schedules = CourseSchedule.objects.order_by("course_key")
    if org:
        schedules = schedules.filter(org=org)
    entries = []
    for course_key in schedules.values_list("course_key", flat=True).iterator():
        entry = _entry(course_key, at)
        if _matches(entry, frozen, upcoming_days, at):
            entries.append(entry)
    return entries


def with_snapshot_labels(entries):
    """The entries with their snapshot label filled in (a few queries each: call it for one page of a list)."""
    return [
        replace(entry, snapshot=SnapshotSummary.of(entry.course_key, entry.state).label) for entry in entries
    ]


def _entry(course_key, at):
    state = policy.get_freeze_state(course_key, at=at)
    return CourseListEntry(course_key, state, state.error or "")


def _matches(entry, frozen, upcoming_days, at):
    state = entry.state
    if frozen is not None and state.frozen != frozen:
        return False
    if upcoming_days is not None:
        return (
            state.enabled and not state.frozen and state.freeze_date is not None
            and state.freeze_date <= at + timedelta(days=upcoming_days)
        )
    return True
