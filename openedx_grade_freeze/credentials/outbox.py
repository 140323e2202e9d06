"""
The Credentials outbox: one delivery per subject, and the one way in, ``submit`` (``submit_grades`` for many
learners at once), which records that a subject changed and queues its send after commit. A send posts the newest
value (``sending``) under a lease (``leases``).

See docs/decisions/0005-credentials-outbox-and-ordering.rst.
"""
import logging

from celery import shared_task
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q

from openedx_grade_freeze import broker_handoff as handoff
from openedx_grade_freeze.credentials import leases, sending
from openedx_grade_freeze.credentials.sending import (  # noqa: F401  (the outcomes callers compare with)
    OUTCOME_BUSY,
    OUTCOME_FAILED,
    OUTCOME_PAUSED,
    OUTCOME_REJECTED,
    OUTCOME_RETRY,
    OUTCOME_SENT,
    OUTCOME_SKIPPED,
    OUTCOME_WAITING,
)
from openedx_grade_freeze.models import (
    DELIVERY_CERTIFICATE_DATE,
    DELIVERY_FAILED,
    DELIVERY_GRADE,
    DELIVERY_PENDING,
    DELIVERY_SUBJECT_FIELDS,
    DELIVERY_UNSENT,
    CredentialsDelivery,
)

log = logging.getLogger(__name__)


def grade_subject(user_id, course_key):
    """The outbox subject of one learner's grade in one course run: its ``DELIVERY_SUBJECT_FIELDS`` values."""
    return {"user_id": user_id, "course_key": course_key, "kind": DELIVERY_GRADE, "certificate_type": ""}


def certificate_date_subject(course_key, certificate_type):
    """The outbox subject of one course run's certificate available date for one certificate type."""
    return {"user_id": 0, "course_key": course_key, "kind": DELIVERY_CERTIFICATE_DATE,
            "certificate_type": certificate_type}


def delivery_subject(delivery):
    """The outbox subject of an existing delivery."""
    return {name: getattr(delivery, name) for name in DELIVERY_SUBJECT_FIELDS}


def submit(subject, queue=True):
    """Record that a subject changed (its delivery pending, in the caller's transaction) and queue its send after
    commit; returns the delivery id. With ``queue`` off the caller sends it itself (else the periodic drain does)."""
    delivery_id = mark_pending(subject)
    if queue:
        transaction.on_commit(lambda: queue_delivery(delivery_id))
    return delivery_id


def mark_pending(subject):
    """Mark a subject's delivery pending now (creating it if needed) and return its id, in the change's transaction.

    ``subject`` is what ``grade_subject``, ``certificate_date_subject`` or ``delivery_subject`` return.
    """
    now = leases.now()
    changes = {
        "status": DELIVERY_PENDING,
        "generation": F("generation") + 1,
        "attempts": 0,
        "next_attempt_at": now,
        "last_error": "",
        "modified": now,
    }
    delivery = CredentialsDelivery.objects.filter(**subject)
    if not delivery.update(**changes):
        try:
            with transaction.atomic():
                CredentialsDelivery.objects.create(**subject, generation=1, next_attempt_at=now)
        except IntegrityError:
            # Another worker created this subject's delivery a moment ago (the unique constraint): mark that one.
            delivery.update(**changes)
    return delivery.values_list("pk", flat=True).get()


def submit_grades(course_key, user_ids, forget_sent=False):
    """``submit`` for the grades of many learners of one course run, in a few queries and one hand-off after
    commit; returns the delivery ids. With ``forget_sent`` each is sent even if it is not newer than what was last
    sent to Credentials."""
    delivery_ids = mark_grades_pending(course_key, user_ids, forget_sent)
    transaction.on_commit(lambda: queue_deliveries(delivery_ids))
    return delivery_ids


def mark_grades_pending(course_key, user_ids, forget_sent=False):
    """``mark_pending`` for the grades of many learners of one course run, in a few queries; returns the ids."""
    now = leases.now()
    changes = {
        "status": DELIVERY_PENDING, "generation": F("generation") + 1, "attempts": 0, "next_attempt_at": now,
        "last_error": "", "modified": now, **({"sent_last_modified": None} if forget_sent else {}),
    }
    deliveries = CredentialsDelivery.objects.filter(
        kind=DELIVERY_GRADE, course_key=course_key, certificate_type="", user_id__in=user_ids)
    deliveries.update(**changes)
    existing = set(deliveries.values_list("user_id", flat=True))
    missing = [user_id for user_id in user_ids if user_id not in existing]
    try:
        with transaction.atomic():
            CredentialsDelivery.objects.bulk_create([
                CredentialsDelivery(**grade_subject(user_id, course_key), generation=1, next_attempt_at=now)
                for user_id in missing
            ])
    except IntegrityError:
        # Another worker created some of them a moment ago (the unique constraint): one at a time, then.
        for user_id in missing:
            mark_pending(grade_subject(user_id, course_key))
        if forget_sent:
            deliveries.update(sent_last_modified=None)
    return list(deliveries.order_by("user_id").values_list("pk", flat=True))


def queue_delivery(delivery_id, countdown=None):
    """Queue the send task without waiting on the broker; if it is unreachable the periodic drain sends the row."""
    handoff.publish(send_credentials_delivery, [((delivery_id,), countdown)], f"Credentials delivery {delivery_id}")


def queue_deliveries(delivery_ids):
    """Queue the send tasks of many deliveries with one hand-off (they never crowd other publishes out)."""
    if delivery_ids:
        handoff.publish(send_credentials_delivery, [((delivery_id,), None) for delivery_id in delivery_ids],
                        f"{len(delivery_ids)} Credentials deliveries (first {delivery_ids[0]})")


def queue_again(requeues):
    """Queue the sends a ``sending.Recorder`` asked for: ``[(delivery id, countdown)]``."""
    for delivery_id, countdown in requeues:
        queue_delivery(delivery_id, countdown=countdown)


def deliver(delivery_id, ignore_schedule=False, resend=False):
    """Send one delivery's newest value if no other worker holds it; returns the outcome (``sent``, ``skipped``…)."""
    claims = leases.claim([delivery_id], ignore_schedule)
    if not claims:
        return OUTCOME_BUSY
    recorder = sending.Recorder()
    outcome = sending.send(claims[0], recorder, resend)
    queue_again(recorder.take_requeues())
    return outcome


def course_counts(course_key):
    """A course's deliveries (its learners' grades and its certificate dates) not sent yet, and failed.

    Not sent yet: pending, waiting for Credentials' catalog, or paused; all of them go out without anyone's action.
    """
    counts = CredentialsDelivery.objects.filter(course_key=course_key).aggregate(
        pending=Count("pk", filter=Q(status__in=DELIVERY_UNSENT)),
        failed=Count("pk", filter=Q(status=DELIVERY_FAILED)),
    )
    return counts["pending"] or 0, counts["failed"] or 0


# The celery tasks live beside what they run (``openedx_grade_freeze.tasks`` re-exports them for autodiscovery);
# their names are fixed, so queued messages survive the move.
@shared_task(name="openedx_grade_freeze.tasks.send_credentials_delivery", ignore_result=True)
def send_credentials_delivery(delivery_id):
    """Send one outbox delivery if it is due and no other worker holds it; a duplicate message does nothing."""
    outcome = deliver(int(delivery_id))
    log.debug("Credentials delivery %s: %s", delivery_id, outcome)
    return outcome
