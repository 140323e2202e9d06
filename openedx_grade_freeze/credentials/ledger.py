"""
The grade ledger: each learner's newest course grade, queued for Credentials; a change after the freeze is drift.
"""
import logging
import math
from dataclasses import dataclass
from datetime import datetime, timezone

from celery import shared_task
from django.db import DatabaseError, IntegrityError, transaction

from openedx_grade_freeze import policy
from openedx_grade_freeze.credentials import drain as outbox_drain
from openedx_grade_freeze.credentials import outbox
from openedx_grade_freeze.credentials.config import forwarding_enabled
from openedx_grade_freeze.dates import as_utc, isoformat
from openedx_grade_freeze.keys import to_course_key
from openedx_grade_freeze.models import (
    CourseGradeRecord,
    CredentialsDelivery,
    FrozenGradeDrift,
    RefusedGradeValue,
    UnrecordedGradeEvent,
)
from openedx_grade_freeze.platform import grades

log = logging.getLogger(__name__)

# What recording a grade change did.
RECORDED = "recorded"
STALE = "stale"
UNCHANGED = "unchanged"
DRIFT = "drift"
REFUSED = "refused"    # values no course grade can have: kept as a RefusedGradeValue, nothing queued
KEPT = "kept"          # a database error: kept as an UnrecordedGradeEvent for the next drain


@dataclass(frozen=True)
class GradeChange:
    """
    A learner's persisted course grade as an event reported it, with the time it was last modified.
    """

    user_id: int
    course_key: object
    percent_grade: float
    letter_grade: str
    passed_timestamp: datetime | None
    last_modified: datetime
    event_id: str = ""
    event_time: datetime | None = None


def grade_change_from_event(grade, metadata):
    """A ``GradeChange`` from a ``PERSISTENT_GRADE_SUMMARY_CHANGED`` payload, last-modified from the LMS if known.

    In the LMS the stored ``PersistentCourseGrade`` is read as a whole: a newer write may have landed since the
    event's, and its ``modified`` must not be paired with the event's older values (which would then hide it).
    """
    if grade is None or getattr(grade, "course", None) is None:
        raise ValueError(f"PERSISTENT_GRADE_SUMMARY_CHANGED without a grade: {grade!r}")
    course_key = to_course_key(grade.course.course_key)
    event_time = as_utc(metadata.time) if metadata is not None and metadata.time is not None else None
    event_id = str(metadata.id) if metadata is not None else ""
    stored = _platform_grade(grade.user_id, course_key)
    if stored is None or stored.modified is None:
        # Outside the LMS (or before the row is readable) the event's payload and time are all there is.
        source, last_modified = grade, event_time or datetime.now(timezone.utc)
    else:
        source, last_modified = stored, as_utc(stored.modified)
    return GradeChange(
        user_id=int(grade.user_id),
        course_key=course_key,
        percent_grade=float(source.percent_grade),
        letter_grade=source.letter_grade or "",
        passed_timestamp=as_utc(source.passed_timestamp),
        last_modified=last_modified,
        event_id=event_id,
        event_time=event_time,
    )


def _platform_grade(user_id, course_key):
    """The LMS's stored course grade (``PlatformCourseGrade``) read through the platform adapter, or None."""
    try:
        return grades.get_persisted_course_grade(user_id, course_key)
    except Exception:  # pylint: disable=broad-except
        log.exception("Could not read user %s's stored grade in %s", user_id, course_key)
        return None


def freeze_state(course_key, at, user_id=None):
    """The course's freeze state at ``at`` for the learner's grade, or None when it cannot be evaluated (logged;
    forwarded as usual).

    A personalized due date moves the learner's freeze for Credentials too: their grade is forwarded until their own
    freeze date. An open exception does not: its result is sent when the learner is re-frozen (ADR 0020).
    """
    try:
        if user_id is not None:
            learner_state = policy.get_freeze_state(course_key, at=at, user_id=user_id)
            if learner_state.course_freeze_date is not None:
                return learner_state
        return policy.get_freeze_state(course_key, at=at)
    except Exception:  # pylint: disable=broad-except
        log.exception("Could not evaluate the freeze of %s; forwarding the grade change as usual.", course_key)
        return None


def same_grade(change, record):
    """True when the ledger's ``record`` already holds the values of ``change``."""
    return (
        record is not None
        and record.percent_grade == change.percent_grade
        and record.letter_grade == change.letter_grade
        and record.passed == (change.passed_timestamp is not None)
    )


def record_grade_event(grade, metadata):
    """Record a ``PERSISTENT_GRADE_SUMMARY_CHANGED`` payload; on a database error keep it for the next drain."""
    change = grade_change_from_event(grade, metadata)
    try:
        return record_grade_change(change)
    except DatabaseError as error:
        log.exception("Could not record the grade of user %s in %s (event %s); kept for the next drain.",
                      change.user_id, change.course_key, change.event_id)
        keep_unrecorded(change, error)
        return KEPT


def keep_unrecorded(change, error):
    """Keep a grade change the ledger could not record, so ``record_kept_changes`` records it later."""
    with transaction.atomic():
        UnrecordedGradeEvent.objects.create(
            user_id=change.user_id, course_key=change.course_key, percent_grade=change.percent_grade,
            letter_grade=change.letter_grade, passed_timestamp=change.passed_timestamp,
            last_modified=change.last_modified, event_id=change.event_id, event_time=change.event_time,
            error=f"{error.__class__.__name__}: {error}"[:2000],
        )


def record_kept_changes(limit=1000):
    """Record the kept grade changes, oldest first, each then marked pending for Credentials; returns how many."""
    done = 0
    for kept in UnrecordedGradeEvent.objects.order_by("last_modified", "pk")[:limit]:
        change = GradeChange(
            user_id=kept.user_id, course_key=to_course_key(str(kept.course_key)), percent_grade=kept.percent_grade,
            letter_grade=kept.letter_grade, passed_timestamp=as_utc(kept.passed_timestamp),
            last_modified=as_utc(kept.last_modified), event_id=kept.event_id, event_time=as_utc(kept.event_time),
        )
        try:
            with transaction.atomic():
                result = record_grade_change(change, queue_send=False)
                kept.delete()
        except DatabaseError:
            log.exception("Could not record the kept grade of user %s in %s yet.", kept.user_id, kept.course_key)
            continue
        log.info("Recorded the kept grade of user %s in %s (event %s): %s.", change.user_id, change.course_key,
                 change.event_id, result)
        done += 1
    return done


def value_problem(change):
    """Why ``change`` cannot be a course grade (NaN, infinite, outside 0..1), or None."""
    percent = change.percent_grade
    if not isinstance(percent, (int, float)) or isinstance(percent, bool):
        return f"percent_grade is not a number ({type(percent).__name__})"
    if math.isnan(percent) or math.isinf(percent):
        return "percent_grade is not a finite number"
    if not 0.0 <= percent <= 1.0:
        return "percent_grade is outside 0..1"
    return None


def _refuse(change, problem):
    log.error("Refused the grade of user %s in %s from event %s: %s (%r); nothing is sent to Credentials.",
              change.user_id, change.course_key, change.event_id, problem, change.percent_grade)
    RefusedGradeValue.objects.create(
        user_id=change.user_id, course_key=change.course_key, percent_grade=repr(change.percent_grade)[:64],
        letter_grade=(change.letter_grade or "")[:255], event_id=change.event_id or "", reason=problem[:255],
    )
    return REFUSED


def record_grade_change(change, queue_send=True):
    """Store a grade in the ledger unless an equal or newer one is there, and queue its delivery.

    A change to a course past its freeze date is recorded as drift instead, and not forwarded; impossible values
    are refused. With ``queue_send`` off the delivery is only marked pending (the caller sends it, else the periodic
    drain does).
    """
    problem = value_problem(change)
    if problem is not None:
        return _refuse(change, problem)
    with transaction.atomic():
        record = _locked_record(change)
        if record is not None and change.last_modified <= as_utc(record.last_modified):
            log.info(
                "Ignored an out-of-date grade of user %s in %s: modified %s, stored %s (event %s).",
                change.user_id, change.course_key, isoformat(change.last_modified),
                isoformat(record.last_modified), change.event_id,
            )
            return STALE
        state = freeze_state(change.course_key, change.last_modified, change.user_id)
        if state is not None and state.frozen:
            if same_grade(change, record):
                return UNCHANGED
            _record_drift(change, record, state)
            return DRIFT
        fields = {
            "percent_grade": change.percent_grade,
            "letter_grade": change.letter_grade,
            "passed": change.passed_timestamp is not None,
            "passed_timestamp": change.passed_timestamp,
            "last_modified": change.last_modified,
            "source_event_id": change.event_id,
            "source_event_time": change.event_time,
        }
        if record is None:
            try:
                with transaction.atomic():
                    CourseGradeRecord.objects.create(user_id=change.user_id, course_key=change.course_key, **fields)
            except IntegrityError:
                # Another worker stored this learner's first grade a moment ago: compare with it instead.
                record = _locked_record(change)
                if change.last_modified <= as_utc(record.last_modified):
                    return STALE
        if record is not None:
            for name, value in fields.items():
                setattr(record, name, value)
            record.save()
        if forwarding_enabled(change.course_key.org):
            delivery_id = outbox.submit(outbox.grade_subject(change.user_id, change.course_key), queue=queue_send)
            log.info("Recorded user %s's grade in %s (modified %s, event %s); delivery %s pending.",
                     change.user_id, change.course_key, isoformat(change.last_modified), change.event_id, delivery_id)
    return RECORDED


def _locked_record(change):
    return (
        CourseGradeRecord.objects.select_for_update()
        .filter(user_id=change.user_id, course_key=change.course_key)
        .first()
    )


def _record_drift(change, record, state):
    FrozenGradeDrift.objects.create(
        user_id=change.user_id,
        course_key=change.course_key,
        percent_grade=change.percent_grade,
        letter_grade=change.letter_grade,
        passed=change.passed_timestamp is not None,
        last_modified=change.last_modified,
        frozen_percent_grade=record.percent_grade if record is not None else None,
        frozen_letter_grade=record.letter_grade if record is not None else "",
        freeze_date=state.freeze_date,
        source_event_id=change.event_id,
    )
    log.warning(
        "Grade of user %s in %s changed after its freeze date %s (%s -> %s, event %s): drift, not forwarded.",
        change.user_id, change.course_key, isoformat(state.freeze_date),
        record.percent_grade if record is not None else None, change.percent_grade, change.event_id,
    )


def forget_answers(user_id):
    """Clear the answers and errors kept with a retired learner's deliveries (older versions kept usernames)."""
    count = CredentialsDelivery.objects.filter(user_id=user_id).exclude(response_body="", last_error="").update(
        response_body="", last_error="",
    )
    log.info("Retired user %s: cleared the answers of %s Credentials deliveries.", user_id, count)
    return count


def drain(limit=None):
    """Record the kept grade changes, then send every due delivery (``drain.drain``); the outcome counts."""
    try:
        record_kept_changes()
    except DatabaseError:
        log.exception("Could not read the kept grade changes; the outbox drains as usual.")
    return outbox_drain.drain(limit)


# Beside what it runs (``openedx_grade_freeze.tasks`` re-exports it); its name is fixed for queued messages.
@shared_task(name="openedx_grade_freeze.tasks.drain_credentials_deliveries", ignore_result=True)
def drain_credentials_deliveries(limit=None):
    """Record kept grade changes and send every due delivery whose task was lost or whose retry is due (beat)."""
    return drain(int(limit) if limit else None)
