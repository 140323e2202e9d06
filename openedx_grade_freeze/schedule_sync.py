"""
Comparing the plugin's schedules with edx-platform's ``CourseOverview``: the sync command, the admin's "replace from
CourseOverview" action, and the periodic check that finds end-date changes Studio sent no event for.
"""
import logging
from collections import Counter
from datetime import datetime, timedelta, timezone

from celery import shared_task
from django.conf import settings

from openedx_grade_freeze.dates import isoformat
from openedx_grade_freeze.exceptions import PlatformReadError
from openedx_grade_freeze.models import SOURCE_PERIODIC, PeriodicCheckpoint
from openedx_grade_freeze.platform import course_overviews
from openedx_grade_freeze.schedules import (
    forced_snapshot_from_platform,
    record_failed_event,
    resolve_failed_events,
    snapshot_from_platform,
    store_snapshot,
    unresolved_failed_course_keys,
)

log = logging.getLogger(__name__)

CHECKPOINT_NAME = "course_overviews"
OUTCOME_UNREADABLE = "unreadable"  # its CourseOverview could not be read
OUTCOME_FAILED = "failed"  # its schedule could not be stored: kept as a failed schedule event


def sync_from_overview(overview, force=False, dry_run=False, who="sync_course_schedules"):
    """Store one CourseOverview schedule (``force``: whatever the stored one's time); a dry run says the same."""
    if force:
        snapshot = forced_snapshot_from_platform(overview, who)
    else:
        snapshot = snapshot_from_platform(overview, event_source=who)
    return store_snapshot(snapshot, force=force, dry_run=dry_run)


def replace_from_overview(course_key, who):
    """Replace one course's stored schedule from its CourseOverview whatever its time (admin action)."""
    overview = course_overviews.get_course_overview(course_key)
    if overview is None:
        raise PlatformReadError(f"No CourseOverview for {course_key}.")
    return sync_from_overview(overview, force=True, who=who)


def check_course_schedules():
    """Compare the CourseOverviews changed since the last run, and the courses that failed before, with the stored
    schedules; record what differs.

    A course that cannot be compared or stored is reported (logged, and kept as a failed schedule event, once) and
    tried again by the next run, so it holds no other course back: the checkpoint always moves on.
    """
    started = datetime.now(timezone.utc)
    checkpoint, _ = PeriodicCheckpoint.objects.get_or_create(name=CHECKPOINT_NAME)
    since = None
    if checkpoint.position is not None:
        # Look back a little: an overview saved in a transaction that committed after our last run may carry an
        # earlier ``modified``. Comparing a course twice changes nothing.
        lookback = timedelta(seconds=max(getattr(settings, "GRADE_FREEZE_EVENT_TIME_SKEW_SECONDS", 300) or 0, 60))
        since = checkpoint.position - lookback
    counts = Counter()
    failed_before = {str(key): key for key in unresolved_failed_course_keys()}
    compared = set()
    for overview in course_overviews.iter_changed_course_overviews(since):
        compared.add(str(overview.course_key))
        counts[_compare(overview, started, failed_before)] += 1
    retry = [key for name, key in failed_before.items() if name not in compared]
    for course_key, overview, error in course_overviews.iter_course_overviews(retry):
        if overview is not None:
            counts[_compare(overview, started, failed_before)] += 1
        elif error is not None:
            log.error("Could not read the CourseOverview of %s to compare it again: %s", course_key, error)
            counts[OUTCOME_UNREADABLE] += 1
    PeriodicCheckpoint.objects.filter(pk=checkpoint.pk).update(position=started)
    log.info(
        "Course schedules compared with CourseOverviews changed since %s: %s",
        isoformat(since) or "the beginning", dict(counts) or "none",
    )
    return dict(counts)


def _compare(overview, started, failed_before):
    """Store one overview's schedule if it differs (the course's failed events then resolved); the outcome's name."""
    try:
        snapshot = snapshot_from_platform(
            overview, source=SOURCE_PERIODIC, event_time=overview.modified or started,
            event_source="periodic CourseOverview check",
        )
        outcome = store_snapshot(snapshot, write_unchanged=False)
    except Exception as error:  # pylint: disable=broad-except
        log.exception("Could not compare the schedule of %s with its CourseOverview; the next check tries again.",
                      overview.course_key)
        record_failed_event(overview.course_key, "", None, overview, f"{type(error).__name__}: {error}",
                            once_per_course=True)
        return OUTCOME_FAILED
    if str(overview.course_key) in failed_before:
        resolve_failed_events([overview.course_key])
    return outcome.status


@shared_task(name="openedx_grade_freeze.tasks.check_course_schedules", ignore_result=True)
def check_course_schedules_task():
    """Periodic (celery beat): record end-date changes and new courses seen in CourseOverview since the last run."""
    return check_course_schedules()
