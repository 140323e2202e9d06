"""
Each course's freeze at a glance: dates, the deciding layer, its snapshot and counts, and Credentials deliveries.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from django.db.models import Count, Q

from openedx_grade_freeze import policy
from openedx_grade_freeze.keys import to_course_key
from openedx_grade_freeze.models import (
    DELIVERY_FAILED,
    DELIVERY_GRADE,
    DELIVERY_UNSENT,
    RUN_COMPLETE,
    CourseSchedule,
    CredentialsDelivery,
    FreezeRun,
)
from openedx_grade_freeze.platform import course_overviews
from openedx_grade_freeze.snapshots import runs


class UnknownCourseError(ValueError):
    """A course key that names no course the plugin or the LMS knows."""


@dataclass(frozen=True)
class CourseFreezeStatus:
    """One course's row in ``grade_freeze_status``."""

    course_key: object
    end: datetime | None
    freeze_date: datetime | None
    frozen: bool
    decided_by: str
    snapshot: str
    learners: int
    frozen_learners: int
    no_grade: int
    failed: int
    resent: int
    deliveries_pending: int
    deliveries_failed: int


def _known(course_key):
    return (
        CourseSchedule.objects.filter(course_key=course_key).exists()
        or FreezeRun.objects.filter(course_key=course_key).exists()
        or course_overviews.get_course_overview(course_key) is not None
    )


def select_courses(course_keys=None, frozen_only=False, upcoming_days=None, now=None):
    """The courses to report: those named (each must be known), else every course with a schedule or a run."""
    now = now or datetime.now(timezone.utc)
    if course_keys:
        keys = [to_course_key(key) for key in course_keys]
        unknown = [str(key) for key in keys if not _known(key)]
        if unknown:
            raise UnknownCourseError(f"Unknown course(s): {', '.join(unknown)}")
    else:
        keys = set(CourseSchedule.objects.values_list("course_key", flat=True))
        keys |= set(FreezeRun.objects.values_list("course_key", flat=True))
        keys = sorted(keys, key=str)
    selected = []
    for key in keys:
        state = policy.get_freeze_state(key, at=now)
        if frozen_only and not state.frozen:
            continue
        if upcoming_days is not None and not (
            state.enabled and state.freeze_date is not None
            and now < state.freeze_date <= now + timedelta(days=upcoming_days)
        ):
            continue
        selected.append((key, state))
    return selected


def _snapshot_label(course_key, state):
    run = runs.open_run(course_key)
    if run is not None:
        counts = runs.count_run(run.pk)
        return run, counts, f"run {run.pk} {run.status} ({counts.chunks_done}/{counts.chunks} chunks)"
    run = runs.current_snapshot(course_key)
    if run is not None:
        label = f"complete (run {run.pk})"
        if not state.frozen:
            label += " - superseded: no longer past its freeze date"
        return run, None, label
    run = FreezeRun.objects.filter(course_key=course_key, status=RUN_COMPLETE).order_by("-completed_at").first()
    if run is not None:
        return run, None, f"{run.retired} (run {run.pk}); no current snapshot"
    return None, None, "none"


def course_status(course_key, state):
    """The status row of one course."""
    run, counts, label = _snapshot_label(course_key, state)
    deliveries = CredentialsDelivery.objects.filter(course_key=course_key, kind=DELIVERY_GRADE).aggregate(
        pending=Count("pk", filter=Q(status__in=DELIVERY_UNSENT)), failed=Count("pk", filter=Q(status=DELIVERY_FAILED)),
    )
    if counts is not None:
        numbers = (counts.learners, counts.frozen, counts.no_grade, counts.failed, run.resent)
    elif run is not None:
        numbers = (run.learners, run.frozen, run.no_grade, run.failed, run.resent)
    else:
        numbers = (0, 0, 0, 0, 0)
    return CourseFreezeStatus(
        course_key=course_key, end=state.course_end, freeze_date=state.freeze_date, frozen=state.frozen,
        decided_by=state.source, snapshot=label, learners=numbers[0], frozen_learners=numbers[1],
        no_grade=numbers[2], failed=numbers[3], resent=numbers[4],
        deliveries_pending=deliveries["pending"], deliveries_failed=deliveries["failed"],
    )


def course_statuses(course_keys=None, frozen_only=False, upcoming_days=None, now=None):
    """The status rows of the selected courses (see ``select_courses``)."""
    return [course_status(key, state) for key, state in select_courses(course_keys, frozen_only, upcoming_days, now)]
