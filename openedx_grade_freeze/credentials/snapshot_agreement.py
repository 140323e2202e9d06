"""
Credentials agrees with the snapshot: each frozen grade Credentials does not hold is put in the ledger and re-sent.

Run when the snapshots announce a completed run (``SNAPSHOT_COMPLETED``) or a re-frozen learner
(``LEARNER_REFROZEN``). See docs/decisions/0012-credentials-agrees-with-the-snapshot.rst.
"""
import logging
from datetime import datetime, timezone

from celery import shared_task
from django.db import IntegrityError, transaction
from django.db.models import F

from openedx_grade_freeze import broker_handoff as handoff
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


def _ledger_values(frozen, now):
    """The ledger row of a frozen grade: as the LMS stored it, dated with the stored grade's own ``modified`` (for
    "no grade", when the snapshot found none), not the time of the re-send."""
    return {
        "percent_grade": frozen.percent_grade, "letter_grade": frozen.letter_grade, "passed": frozen.passed,
        "passed_timestamp": frozen.passed_timestamp, "last_modified": frozen.grade_modified or frozen.frozen_at,
        "source_event_id": f"freeze-run-{frozen.run_id}", "source_event_time": now,
    }


def send_frozen_grades(frozen_grades, now=None):
    """Make the ledger hold these frozen grades (of one course run) and submit their deliveries, in one transaction
    and a few queries whatever their number; returns the deliveries' ids. Each is sent even if Credentials was last
    sent a later modification time: the snapshot decides, and Credentials keeps whatever arrives last."""
    if not frozen_grades:
        return []
    now = now or datetime.now(timezone.utc)
    course_key = frozen_grades[0].course_key
    by_user = {frozen.user_id: frozen for frozen in frozen_grades}
    with transaction.atomic():
        records = CourseGradeRecord.objects.select_for_update().filter(course_key=course_key, user_id__in=by_user)
        existing = {record.user_id: record for record in records}
        for user_id, record in existing.items():
            for name, value in _ledger_values(by_user[user_id], now).items():
                setattr(record, name, value)
        names = list(_ledger_values(frozen_grades[0], now)) + ["modified"]
        for record in existing.values():
            record.modified = now
        CourseGradeRecord.objects.bulk_update(existing.values(), names, batch_size=200)
        missing = [frozen for user_id, frozen in by_user.items() if user_id not in existing]
        try:
            with transaction.atomic():
                CourseGradeRecord.objects.bulk_create([
                    CourseGradeRecord(user_id=frozen.user_id, course_key=course_key, **_ledger_values(frozen, now))
                    for frozen in missing
                ])
        except IntegrityError:
            # A grade event recorded one of them a moment ago (the unique constraint): one at a time, then.
            for frozen in missing:
                CourseGradeRecord.objects.update_or_create(
                    user_id=frozen.user_id, course_key=course_key, defaults=_ledger_values(frozen, now))
        return outbox.submit_grades(course_key, list(by_user), forget_sent=True)


def send_frozen_grade(frozen, now=None):
    """Re-send one frozen grade (``send_frozen_grades``); returns its delivery's id."""
    return send_frozen_grades([frozen], now)[0]


def _differing(run, page):
    """The user ids of a page of frozen grades (``user_id, has_grade, percent_grade, letter_grade`` rows) that
    Credentials does not hold: two queries, whatever the page holds."""
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


def _pages(frozen_grades):
    """A run's frozen grades as pages of ``PAGE_SIZE`` plain rows (``user_id, has_grade, percent_grade,
    letter_grade``) in user id order, each read where the last one ended (ADR 0030).

    A page's user ids come first, from the ``(run, user_id)`` index alone; its rows are then read between the last
    page's end and that page's last id. Asked for the rows at once (a limit on an open range), MariaDB reads the
    index from the run's first learner on every page: the course read again for each page.
    """
    after = -1
    while True:
        user_ids = list(frozen_grades.filter(user_id__gt=after).order_by("user_id")
                        .values_list("user_id", flat=True)[:PAGE_SIZE])
        if not user_ids:
            return
        yield list(frozen_grades.filter(user_id__gt=after, user_id__lte=user_ids[-1]).order_by("user_id")
                   .values_list("user_id", "has_grade", "percent_grade", "letter_grade", named=True))
        after = user_ids[-1]


def agree_with_credentials(run_id):
    """Re-send every frozen grade of a complete, current run that Credentials does not hold; returns how many.

    Pages of ``PAGE_SIZE`` learners, compared as plain rows; only the learners that differ are read in full, re-sent
    and counted together in one transaction per page and queued with one hand-off per page.
    """
    run = FreezeRun.objects.filter(pk=run_id, status=RUN_COMPLETE, retired="").first()
    if run is None:
        return 0
    if not forwarding_enabled(run.course_key.org):
        log.info("Freeze run %s: forwarding to Credentials is off for org %s; nothing re-sent.",
                 run_id, run.course_key.org)
        FreezeRun.objects.filter(pk=run_id).update(agreed_at=datetime.now(timezone.utc))
        return 0
    resent = 0
    frozen_grades = FrozenGrade.objects.filter(run=run)
    for page in _pages(frozen_grades):
        differing = _differing(run, page)
        if differing:
            # Counted with its page: an agreement stopped midway and run again counts each re-sent grade once.
            with transaction.atomic():
                sent = len(send_frozen_grades(list(frozen_grades.filter(user_id__in=differing))))
                FreezeRun.objects.filter(pk=run_id).update(resent=F("resent") + sent)
            resent += sent
    FreezeRun.objects.filter(pk=run_id).update(agreed_at=datetime.now(timezone.utc))
    log.info("Freeze run %s of %s: %s frozen grades re-sent to Credentials.", run_id, run.course_key, resent)
    return resent


def queue_agreement(run_id):
    """Queue the agreement of a completed run without waiting on the broker; a lost publish is queued again by the
    periodic snapshot task, which announces again a current snapshot not agreed with (``FreezeRun.agreed_at``)."""
    handoff.publish(agree_with_credentials_task, [((run_id,), None)], f"the Credentials agreement of run {run_id}",
                    "the periodic snapshot task")


def resend_refrozen(frozen, at):
    """Re-send one re-frozen grade where the org's grades are forwarded, in the caller's transaction; True if so."""
    if not forwarding_enabled(frozen.course_key.org):
        return False
    send_frozen_grade(frozen, at)
    return True


@shared_task(name="openedx_grade_freeze.tasks.agree_with_credentials", ignore_result=True)
def agree_with_credentials_task(run_id):
    """Re-send the frozen grades of a completed run that Credentials does not hold."""
    return agree_with_credentials(int(run_id))
