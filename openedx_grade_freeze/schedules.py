"""
Keeping the plugin's course-schedule records current, and recording every change of a course's end date.
"""
import copy
import logging
import time
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone

from django.conf import settings
from django.db import IntegrityError, OperationalError, transaction
from django.dispatch import Signal

from openedx_grade_freeze import tracking
from openedx_grade_freeze.dates import as_utc, isoformat
from openedx_grade_freeze.keys import to_course_key
from openedx_grade_freeze.models import (
    PACING_INSTRUCTOR,
    PACING_SELF,
    SOURCE_EVENT,
    SOURCE_EVENT_BUS,
    SOURCE_FORCED,
    SOURCE_SYNC,
    CourseEndDateChange,
    CourseSchedule,
    FailedScheduleEvent,
)
from openedx_grade_freeze.policy import policy_cache, state_with_schedule

log = logging.getLogger(__name__)

# A course's end date was first seen or changed. Sent after commit with ``change`` (an ``EndDateChange``; a first
# sighting has no previous dates); receivers (the Credentials integration) are connected through ``signals_config``
# and their errors are logged, not raised.
COURSE_END_CHANGED = Signal()


@dataclass(frozen=True)
class ScheduleSnapshot:
    """
    One course's schedule as a publish event (or edx-platform's CourseOverview) stated it.
    """

    course_key: object
    start: datetime | None
    end: datetime | None
    pacing: str
    source: str
    event_id: str = ""
    event_time: datetime | None = None
    event_source: str = ""


@dataclass(frozen=True)
class EndDateChange:
    """
    A course's end date moved: the end and freeze dates before and after.
    """

    course_key: object
    previous_end: datetime | None
    new_end: datetime | None
    previous_freeze_date: datetime | None
    new_freeze_date: datetime | None
    pacing: str
    detected_by: str = SOURCE_EVENT


OUTCOME_NEW = "new"
OUTCOME_END_CHANGED = "end changed"
OUTCOME_UNCHANGED = "unchanged"
OUTCOME_OUT_OF_DATE = "out of date"


@dataclass(frozen=True)
class ScheduleOutcome:
    """
    What storing a snapshot did (or, in a dry run, would do): one of the ``OUTCOME_*`` names, and the end-date change.
    """

    status: str
    change: EndDateChange | None = None
    detail: str = ""


def snapshot_from_catalog_info(catalog_info, metadata, from_event_bus=False):
    """Turn a ``COURSE_CATALOG_INFO_CHANGED`` payload into a snapshot, refusing a payload without a schedule."""
    if catalog_info is None or getattr(catalog_info, "schedule_data", None) is None:
        raise ValueError(f"COURSE_CATALOG_INFO_CHANGED without schedule data: {catalog_info!r}")
    schedule = catalog_info.schedule_data
    pacing = schedule.pacing if schedule.pacing in (PACING_INSTRUCTOR, PACING_SELF) else None
    if pacing is None:
        raise ValueError(f"Unknown pacing {schedule.pacing!r} for {catalog_info.course_key}")
    return ScheduleSnapshot(
        course_key=to_course_key(catalog_info.course_key),
        start=as_utc(schedule.start),
        end=as_utc(schedule.end),
        pacing=pacing,
        source=SOURCE_EVENT_BUS if from_event_bus else SOURCE_EVENT,
        event_id=str(metadata.id) if metadata is not None else "",
        event_time=as_utc(metadata.time) if metadata is not None else None,
        event_source=f"{metadata.source}@{metadata.sourcehost}" if metadata is not None else "",
    )


_ATTEMPTS = 3


def apply_snapshot(snapshot):
    """Store a schedule snapshot unless an equal or newer one is stored; return the end-date change, if any."""
    return store_snapshot(snapshot).change


def store_snapshot(snapshot, force=False, dry_run=False, write_unchanged=True):
    """
    Store a schedule snapshot and say what it did, as a ``ScheduleOutcome``.

    ``force`` replaces the stored schedule whatever its event time; ``dry_run`` decides the same way and writes
    nothing; ``write_unchanged=False`` leaves a schedule equal to the snapshot untouched (not even its time).
    """
    # Two workers publishing the same course can deadlock (MySQL) or find the database locked (SQLite); the
    # loser's transaction is rolled back whole, so trying it again is safe. Inside a caller's transaction it is
    # not: there the error goes to the caller.
    retry = not transaction.get_connection().in_atomic_block
    snapshot = _trusted_time(snapshot)
    for attempt in range(1, _ATTEMPTS + 1):
        try:
            return _store_snapshot(snapshot, force, dry_run, write_unchanged)
        except OperationalError:
            if not retry or attempt == _ATTEMPTS:
                raise
            log.warning("Retrying the schedule of %s after a lock conflict (attempt %s).", snapshot.course_key, attempt)
            time.sleep(0.05 * attempt)
    return None  # not reached


def _allowed_skew():
    return timedelta(seconds=getattr(settings, "GRADE_FREEZE_EVENT_TIME_SKEW_SECONDS", 300) or 0)


def _trusted_time(snapshot):
    """A snapshot whose event time lies too far in the future is ordered by the time it was received instead."""
    received = datetime.now(timezone.utc)
    if snapshot.event_time is None or snapshot.event_time <= received + _allowed_skew():
        return snapshot
    log.warning(
        "Schedule event %s for %s is stamped %s, later than now (%s) plus the allowed skew: its time is not trusted; "
        "it is ordered by the time it was received.",
        snapshot.event_id or "(no id)", snapshot.course_key, isoformat(snapshot.event_time), isoformat(received),
    )
    return replace(snapshot, event_time=received)


def _store_snapshot(snapshot, force, dry_run, write_unchanged):
    with transaction.atomic():
        schedule = CourseSchedule.objects.select_for_update().filter(course_key=snapshot.course_key).first()
        if schedule is None:
            if dry_run:
                return ScheduleOutcome(OUTCOME_NEW)
            try:
                with transaction.atomic():
                    CourseSchedule.objects.create(**_fields(snapshot))
            except IntegrityError:
                # Another worker stored this course's first sighting a moment ago: compare with it instead.
                schedule = CourseSchedule.objects.select_for_update().get(course_key=snapshot.course_key)
            else:
                log.info("Course schedule recorded: course=%s end=%s", snapshot.course_key, isoformat(snapshot.end))
                # A first sighting changes no decision already made elsewhere: only this course is read again.
                policy_cache.forget(snapshot.course_key)
                if snapshot.end is not None:
                    # Not a change (nothing to audit), but Credentials needs the first end date too.
                    first = EndDateChange(
                        course_key=snapshot.course_key, previous_end=None, new_end=snapshot.end,
                        previous_freeze_date=None, new_freeze_date=None, pacing=snapshot.pacing,
                        detected_by=snapshot.source,
                    )
                    transaction.on_commit(lambda: _announce_to_features(first))
                return ScheduleOutcome(OUTCOME_NEW)

        if not force and _is_older(snapshot, schedule):
            log.info(
                "Ignored an out-of-date schedule for %s: event %s at %s is older than the stored one at %s.",
                snapshot.course_key, snapshot.event_id, isoformat(snapshot.event_time),
                isoformat(schedule.source_event_time),
            )
            return ScheduleOutcome(
                OUTCOME_OUT_OF_DATE,
                detail=f"the stored schedule is stamped {isoformat(schedule.source_event_time)}, later than "
                       f"{isoformat(snapshot.event_time)}; --force replaces it",
            )

        previous = copy.copy(schedule)
        end_changed = as_utc(previous.end) != snapshot.end
        same = not end_changed and as_utc(previous.start) == snapshot.start and previous.pacing == snapshot.pacing
        if dry_run or (same and not write_unchanged and not force):
            if not end_changed:
                return ScheduleOutcome(OUTCOME_UNCHANGED)
            return ScheduleOutcome(OUTCOME_END_CHANGED, EndDateChange(
                course_key=snapshot.course_key, previous_end=as_utc(previous.end), new_end=snapshot.end,
                previous_freeze_date=None, new_freeze_date=None, pacing=snapshot.pacing, detected_by=snapshot.source,
            ))
        for name, value in _fields(snapshot).items():
            setattr(schedule, name, value)
        schedule.save()
        policy_cache.invalidate()

        if not end_changed:
            return ScheduleOutcome(OUTCOME_UNCHANGED)
        change = EndDateChange(
            course_key=snapshot.course_key,
            previous_end=as_utc(previous.end),
            new_end=schedule.end,
            previous_freeze_date=_freeze_date(snapshot.course_key, previous),
            new_freeze_date=_freeze_date(snapshot.course_key, schedule),
            pacing=schedule.pacing,
            detected_by=snapshot.source,
        )
        CourseEndDateChange.objects.create(
            course_key=change.course_key,
            previous_end=change.previous_end,
            new_end=change.new_end,
            previous_freeze_date=change.previous_freeze_date,
            new_freeze_date=change.new_freeze_date,
            pacing=change.pacing,
            source=snapshot.source,
            event_id=snapshot.event_id,
            event_time=snapshot.event_time,
            event_source=snapshot.event_source,
        )
        transaction.on_commit(lambda: _announce(change))
        return ScheduleOutcome(OUTCOME_END_CHANGED, change)


def _fields(snapshot):
    return {
        "course_key": snapshot.course_key,
        "org": snapshot.course_key.org,
        "start": snapshot.start,
        "end": snapshot.end,
        "pacing": snapshot.pacing,
        "source": snapshot.source,
        "source_event_id": snapshot.event_id,
        "source_event_time": snapshot.event_time,
    }


def _is_older(snapshot, schedule):
    if snapshot.event_time is None or schedule.source_event_time is None:
        return False
    stored_time = as_utc(schedule.source_event_time)
    if stored_time > datetime.now(timezone.utc) + _allowed_skew():
        # Stored from a future-stamped event before times were checked: it must not hold every later publish back.
        return False
    return snapshot.event_time < stored_time


def _freeze_date(course_key, schedule):
    """The resolved freeze date for a schedule; a broken override is logged and reported as unknown (None)."""
    try:
        return state_with_schedule(course_key, schedule).freeze_date
    except Exception:  # pylint: disable=broad-except
        log.exception("Could not resolve the freeze date of %s while recording its end-date change.", course_key)
        return None


def _announce(change):
    """Tell the tracking log and the operators' log that a course's end date changed."""
    tracking.emit(tracking.COURSE_END_CHANGED, {
        "course_id": str(change.course_key),
        "previous_end": isoformat(change.previous_end),
        "new_end": isoformat(change.new_end),
        "previous_freeze_date": isoformat(change.previous_freeze_date),
        "new_freeze_date": isoformat(change.new_freeze_date),
        "pacing": change.pacing,
        "detected_by": change.detected_by,
    })
    log.info(
        "Course end date changed: course=%s previous=%s new=%s detected_by=%s",
        change.course_key, isoformat(change.previous_end), isoformat(change.new_end), change.detected_by,
    )
    _announce_to_features(change)


def _announce_to_features(change):
    """Send ``COURSE_END_CHANGED``; a receiver's error is logged, never raised."""
    for receiver, error in COURSE_END_CHANGED.send_robust(sender=CourseSchedule, change=change):
        if isinstance(error, Exception):
            # Django logs the traceback; this line names the course.
            log.error("The end-date change of %s failed in %s: %r", change.course_key, receiver, error)


def record_failed_event(course_key, event_id, event_time, payload, error):
    """Keep a schedule event that could not be applied, for replay; never raises nor breaks the caller's transaction."""
    try:
        # A savepoint of its own: a failing insert is rolled back alone, and the caller's transaction goes on.
        with transaction.atomic():
            FailedScheduleEvent.objects.create(
                course_key=str(course_key or "")[:255],
                event_id=str(event_id or "")[:64],
                event_time=event_time,
                payload=repr(payload),
                error=str(error) or error.__class__.__name__,
            )
    except Exception:  # pylint: disable=broad-except
        log.exception(
            "Could not keep failed schedule event %s for %s; replay it with sync_course_schedules --courses %s",
            event_id, course_key, course_key,
        )


def snapshot_from_platform(overview, source=SOURCE_SYNC, event_time=None, event_source="sync_course_schedules"):
    """A snapshot of one edx-platform CourseOverview, as the sync command (or ``source``) stores it."""
    return ScheduleSnapshot(
        course_key=to_course_key(overview.course_key),
        start=as_utc(overview.start),
        end=as_utc(overview.end),
        pacing=overview.pacing,
        source=source,
        event_time=as_utc(event_time) if event_time is not None else datetime.now(timezone.utc),
        event_source=event_source,
    )


def forced_snapshot_from_platform(overview, who):
    """A snapshot of one CourseOverview that replaces the stored schedule whatever its time (audited as forced)."""
    return snapshot_from_platform(overview, source=SOURCE_FORCED, event_source=who)
