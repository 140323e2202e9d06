"""
Replaying the ledger to Credentials (the ``send_grades_to_credentials`` command): catching the ledger up with the
LMS's stored grades, which grades to send, and sending one now.
"""
import logging

from django.db import transaction
from django.db.models import Count

from openedx_grade_freeze.credentials import breaker, ledger, outbox, upstream_sender
from openedx_grade_freeze.dates import as_utc, isoformat
from openedx_grade_freeze.models import (
    DELIVERY_FAILED,
    DELIVERY_GRADE,
    DELIVERY_SENT,
    DELIVERY_STATUS_CHOICES,
    CourseGradeRecord,
    CredentialsDelivery,
    RefusedGradeValue,
    UnrecordedGradeEvent,
)
from openedx_grade_freeze.platform import grades

log = logging.getLogger(__name__)

# What catching up one LMS grade did (``record_lms_grade``'s answer).
LMS_RECORDED = "recorded"         # newer than the ledger's: recorded, its delivery pending
LMS_DRIFT = "drift"               # changed after the course's freeze: recorded as drift, not forwarded
LMS_UP_TO_DATE = "up to date"     # the ledger already holds it or a newer one (or knows it as drift)
LMS_WOULD_RECORD = "would record"
LMS_WOULD_DRIFT = "would record as drift"


def lms_grades_for_catch_up(course_keys, user_ids=None, start=None, end=None):
    """The LMS's stored course grades of these runs (``PlatformCourseGrade``s), each run's oldest first.

    Raises ``PlatformUnavailableError`` outside the LMS.
    """
    for course_key in course_keys:
        yield from grades.iter_persisted_course_grades(course_key, user_ids=user_ids, start=start, end=end)


def record_lms_grade(grade, dry_run=False):
    """Record one LMS stored grade in the ledger, as a grade event would, when it is newer than the ledger's.

    Its delivery is marked pending but not queued: the replay sends it next (or the periodic drain does).
    """
    record = CourseGradeRecord.objects.filter(user_id=grade.user_id, course_key=grade.course_key).first()
    change, known_drift = upstream_sender.lms_grade_change(grade, record)
    if change is None or known_drift:
        return LMS_UP_TO_DATE
    if dry_run:
        state = ledger.freeze_state(change.course_key, change.last_modified, change.user_id)
        if state is None or not state.frozen:
            return LMS_WOULD_RECORD
        return LMS_UP_TO_DATE if ledger.same_grade(change, record) else LMS_WOULD_DRIFT
    result = ledger.record_grade_change(change, queue_send=False)
    if result == ledger.RECORDED:
        log.info("Recorded user %s's grade in %s from the LMS (modified %s, ledger had %s): replay.",
                 change.user_id, change.course_key, isoformat(change.last_modified),
                 isoformat(record.last_modified) if record is not None else "nothing")
        return LMS_RECORDED
    return LMS_DRIFT if result == ledger.DRIFT else LMS_UP_TO_DATE


def grade_records_for_replay(course_keys=None, user_ids=None, start=None, end=None, failed_only=False):
    """The ledger rows a replay covers, oldest change first."""
    records = CourseGradeRecord.objects.all()
    if course_keys:
        records = records.filter(course_key__in=course_keys)
    if user_ids:
        records = records.filter(user_id__in=user_ids)
    if start is not None:
        records = records.filter(last_modified__gte=start)
    if end is not None:
        records = records.filter(last_modified__lt=end)
    if failed_only:
        failed = CredentialsDelivery.objects.filter(kind=DELIVERY_GRADE, status=DELIVERY_FAILED)
        pairs = set(failed.values_list("user_id", "course_key"))
        records = [record for record in records.order_by("last_modified", "pk")
                   if (record.user_id, record.course_key) in pairs]
        return records
    return records.order_by("last_modified", "pk")


def needs_sending(record):
    """True when Credentials has not stored this ledger grade (or a newer one) yet, or the LMS holds a newer one."""
    change, known_drift = upstream_sender.newer_lms_grade(record.user_id, record.course_key, record)
    if change is not None and not known_drift:
        return True  # a grade event the ledger missed (its recording failed): replay_grade records it first
    subject = outbox.grade_subject(record.user_id, record.course_key)
    sent = (
        CredentialsDelivery.objects.filter(**subject, status=DELIVERY_SENT)
        .values_list("sent_last_modified", flat=True)
        .first()
    )
    return sent is None or as_utc(record.last_modified) > as_utc(sent)


def replay_grade(record, resend=False):
    """Send one ledger grade now (ordered like any other delivery), after the LMS's if it is newer; the outcome."""
    with transaction.atomic():
        upstream_sender.record_newer_lms_grade(record.user_id, record.course_key, record, reason="replay")
        delivery_id = outbox.submit(outbox.grade_subject(record.user_id, record.course_key), queue=False)
    return outbox.deliver(delivery_id, ignore_schedule=True, resend=resend)


def status_lines():
    """The outbox's state in words: deliveries by status, paused Credentials URLs, kept and refused grade events."""
    counts = dict(CredentialsDelivery.objects.values_list("status").annotate(n=Count("pk")))
    lines = ["Credentials deliveries:"]
    for status, label in DELIVERY_STATUS_CHOICES:
        lines.append(f"  {status:9} {counts.get(status, 0):8}  {label}")
    final = CredentialsDelivery.objects.filter(status=DELIVERY_FAILED, next_attempt_at__isnull=True).count()
    if final:
        lines.append(f"  {final} failed deliveries are not tried again by the drain: send them with --failed-only.")
    paused = breaker.describe()
    lines.append("Paused Credentials URLs:" if paused else "Paused Credentials URLs: none")
    lines.extend(f"  {line}" for line in paused)
    lines.append(f"Grade events kept after a database error, recorded by the next drain: "
                 f"{UnrecordedGradeEvent.objects.count()}")
    lines.append(f"Grade events refused for impossible values: {RefusedGradeValue.objects.count()}")
    return lines
