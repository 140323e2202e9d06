"""
Credentials agrees with the snapshot: each frozen grade Credentials does not hold is put in the ledger and re-sent.

See docs/decisions/0012-credentials-agrees-with-the-snapshot.rst.
"""
import logging
from datetime import datetime, timezone

from celery import shared_task
from django.db import transaction
from django.db.models import F

from openedx_grade_freeze.credentials import outbox
from openedx_grade_freeze.credentials.config import forwarding_enabled
from openedx_grade_freeze.models import (
    DELIVERY_GRADE,
    DELIVERY_UNSENT,
    RUN_COMPLETE,
    CourseGradeRecord,
    CredentialsDelivery,
    FreezeRun,
    FrozenGrade,
)

log = logging.getLogger(__name__)

PAGE_SIZE = 1000


def _same(percent, letter, frozen):
    return percent == frozen.percent_grade and (letter or "") == frozen.letter_grade


def needs_sending(frozen, delivery, record):
    """Whether Credentials (as last sent, or about to be sent from the ledger) would not hold this frozen grade.

    A learner frozen without a grade is sent 0 only if Credentials holds (or is about to get) a grade for them:
    no record there already agrees with "no grade".
    """
    sent = (delivery.sent_payload or None) if delivery is not None else None
    pending = delivery is not None and delivery.status in DELIVERY_UNSENT
    ledger_differs = record is not None and not _same(record.percent_grade, record.letter_grade, frozen)
    if ledger_differs and (pending or sent is None):
        return True  # the ledger would send something else
    if sent is not None:
        return not _same(sent.get("percent_grade"), sent.get("letter_grade"), frozen)
    if not frozen.has_grade:
        return False
    return not (pending and record is not None)  # a pending send of the same grade is on its way


def send_frozen_grade(frozen, now=None, queue=True):
    """Make the ledger hold this frozen grade and mark its delivery pending (in the caller's transaction, if any).

    It is sent as the LMS stored it: ``lms_last_updated_at`` is the stored grade's ``modified`` (for "no grade",
    when the snapshot found none), not the time of the re-send. Returns the delivery's id; with ``queue`` off the
    caller queues it.
    """
    now = now or datetime.now(timezone.utc)
    with transaction.atomic():
        CourseGradeRecord.objects.update_or_create(
            user_id=frozen.user_id, course_key=frozen.course_key,
            defaults={
                "percent_grade": frozen.percent_grade, "letter_grade": frozen.letter_grade, "passed": frozen.passed,
                "passed_timestamp": frozen.passed_timestamp, "last_modified": frozen.grade_modified or frozen.frozen_at,
                "source_event_id": f"freeze-run-{frozen.run_id}", "source_event_time": now,
            },
        )
        delivery_id = outbox.mark_pending(outbox.grade_subject(frozen.user_id, frozen.course_key))
        # Sent even when Credentials was last sent a later modification time: the snapshot decides, and Credentials
        # keeps whatever arrives last.
        CredentialsDelivery.objects.filter(pk=delivery_id).update(sent_last_modified=None)
        if queue:
            transaction.on_commit(lambda: outbox.queue_delivery(delivery_id))
    return delivery_id


def _differing(run, page):
    """The user ids of a page of frozen grades (``user_id, has_grade, percent_grade, letter_grade`` rows) that
    Credentials does not hold: three queries, whatever the page holds."""
    user_ids = [frozen.user_id for frozen in page]
    deliveries = {
        delivery.user_id: delivery
        for delivery in CredentialsDelivery.objects.filter(
            kind=DELIVERY_GRADE, course_key=run.course_key, certificate_type="", user_id__in=user_ids
        ).values_list("user_id", "status", "sent_payload", named=True)
    }
    records = {
        record.user_id: record
        for record in CourseGradeRecord.objects.filter(course_key=run.course_key, user_id__in=user_ids)
        .values_list("user_id", "percent_grade", "letter_grade", named=True)
    }
    return [frozen.user_id for frozen in page
            if needs_sending(frozen, deliveries.get(frozen.user_id), records.get(frozen.user_id))]


def agree_with_credentials(run_id):
    """Re-send every frozen grade of a complete, current run that Credentials does not hold; returns how many.

    Pages of ``PAGE_SIZE`` learners, compared as plain rows; only the learners that differ are read in full, re-sent
    in one transaction per page and queued with one hand-off per page.
    """
    run = FreezeRun.objects.filter(pk=run_id, status=RUN_COMPLETE, retired="").first()
    if run is None:
        return 0
    if not forwarding_enabled(run.course_key.org):
        log.info("Freeze run %s: forwarding to Credentials is off for org %s; nothing re-sent.",
                 run_id, run.course_key.org)
        FreezeRun.objects.filter(pk=run_id).update(agreed_at=datetime.now(timezone.utc))
        return 0
    resent, after = 0, -1
    frozen_grades = FrozenGrade.objects.filter(run=run)
    while True:
        page = list(frozen_grades.filter(user_id__gt=after).order_by("user_id").values_list(
            "user_id", "has_grade", "percent_grade", "letter_grade", named=True)[:PAGE_SIZE])
        if not page:
            break
        differing = _differing(run, page)
        if differing:
            now = datetime.now(timezone.utc)
            with transaction.atomic():
                delivery_ids = [send_frozen_grade(frozen, now, queue=False)
                                for frozen in frozen_grades.filter(user_id__in=differing).order_by("user_id")]
                transaction.on_commit(lambda ids=delivery_ids: outbox.queue_deliveries(ids))
            resent += len(delivery_ids)
        after = page[-1].user_id
    FreezeRun.objects.filter(pk=run_id).update(resent=F("resent") + resent, agreed_at=datetime.now(timezone.utc))
    log.info("Freeze run %s of %s: %s frozen grades re-sent to Credentials.", run_id, run.course_key, resent)
    return resent


@shared_task(name="openedx_grade_freeze.tasks.agree_with_credentials", ignore_result=True)
def agree_with_credentials_task(run_id):
    """Re-send the frozen grades of a completed run that Credentials does not hold."""
    return agree_with_credentials(int(run_id))
