"""
Replaying the ledger to Credentials (the ``send_grades_to_credentials`` command): which grades, and sending one now.
"""
from django.db import transaction

from openedx_grade_freeze.credentials import outbox, upstream_sender
from openedx_grade_freeze.keys import as_utc
from openedx_grade_freeze.models import (
    DELIVERY_FAILED,
    DELIVERY_GRADE,
    DELIVERY_SENT,
    CourseGradeRecord,
    CredentialsDelivery,
)


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
        CredentialsDelivery.objects.filter(subject=subject, status=DELIVERY_SENT)
        .values_list("sent_last_modified", flat=True)
        .first()
    )
    return sent is None or as_utc(record.last_modified) > as_utc(sent)


def replay_grade(record, resend=False):
    """Send one ledger grade now (ordered like any other delivery), after the LMS's if it is newer; the outcome."""
    with transaction.atomic():
        upstream_sender.record_newer_lms_grade(record.user_id, record.course_key, record, reason="replay")
        delivery_id = outbox.mark_pending(
            DELIVERY_GRADE, outbox.grade_subject(record.user_id, record.course_key), record.course_key,
            user_id=record.user_id,
        )
    return outbox.deliver(delivery_id, ignore_schedule=True, resend=resend)
