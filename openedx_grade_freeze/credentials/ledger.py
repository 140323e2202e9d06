"""
The grade ledger: each learner's newest course grade, queued for Credentials; a change after the freeze is drift.
"""
import logging
from dataclasses import dataclass
from datetime import datetime, timezone

from django.db import IntegrityError, transaction

from openedx_grade_freeze import policy
from openedx_grade_freeze.credentials import outbox
from openedx_grade_freeze.credentials.config import forwarding_enabled
from openedx_grade_freeze.dates import as_utc, isoformat
from openedx_grade_freeze.keys import to_course_key
from openedx_grade_freeze.models import CourseGradeRecord, FrozenGradeDrift
from openedx_grade_freeze.platform import grades

log = logging.getLogger(__name__)

# What recording a grade change did.
RECORDED = "recorded"
STALE = "stale"
UNCHANGED = "unchanged"
DRIFT = "drift"


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


def freeze_state(course_key, at):
    """The course's freeze state at ``at``, or None when it cannot be evaluated (logged; forwarded as usual)."""
    try:
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


def record_grade_change(change, queue_send=True):
    """Store a grade in the ledger unless an equal or newer one is there, and queue its delivery.

    A change to a course past its freeze date is recorded as drift instead, and not forwarded. With ``queue_send``
    off the delivery is only marked pending (the caller sends it, else the periodic drain does).
    """
    with transaction.atomic():
        record = _locked_record(change)
        if record is not None and change.last_modified <= as_utc(record.last_modified):
            log.info(
                "Ignored an out-of-date grade of user %s in %s: modified %s, stored %s (event %s).",
                change.user_id, change.course_key, isoformat(change.last_modified),
                isoformat(record.last_modified), change.event_id,
            )
            return STALE
        state = freeze_state(change.course_key, change.last_modified)
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
            delivery_id = outbox.mark_pending(outbox.grade_subject(change.user_id, change.course_key))
            if queue_send:
                transaction.on_commit(lambda: outbox.queue_delivery(delivery_id))
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
