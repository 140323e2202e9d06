"""
The Credentials outbox: one delivery per subject, and the one way in, ``submit``, which records that a subject
changed and queues its send after commit. A send posts the newest value (``sending``) under a lease (``leases``).

See docs/decisions/0005-credentials-outbox-and-ordering.rst.
"""
import logging

from celery import shared_task
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q

from openedx_grade_freeze.credentials import handoff, leases, sending
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


def queue_delivery(delivery_id, countdown=None):
    """Queue the send task without waiting on the broker; if it is unreachable the periodic drain sends the row."""
    # Resolved here: in another thread celery's current app would be its unconfigured fallback.
    task = send_credentials_delivery._get_current_object()  # pylint: disable=protected-access

    def publish():
        task.apply_async((delivery_id,), countdown=countdown, retry=False)

    try:
        eager = task.app.conf.task_always_eager
    except Exception:  # pylint: disable=broad-except
        eager = False
    if eager:  # no broker involved: run it here, as celery would
        try:
            publish()
        except Exception:  # pylint: disable=broad-except
            log.warning("Credentials delivery %s failed to run; the periodic drain will send it.", delivery_id,
                        exc_info=True)
        return
    handoff.hand_off(publish, f"Credentials delivery {delivery_id}")


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
