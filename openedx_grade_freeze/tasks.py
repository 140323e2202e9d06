"""
Celery tasks that send the Credentials outbox; both are idempotent and take only ids.
"""
import logging

from celery import shared_task

log = logging.getLogger(__name__)


@shared_task(name="openedx_grade_freeze.tasks.send_credentials_delivery", ignore_result=True)
def send_credentials_delivery(delivery_id):
    """Send one outbox delivery if it is due and no other worker holds it; a duplicate message does nothing."""
    from openedx_grade_freeze.credentials import outbox  # pylint: disable=import-outside-toplevel

    outcome = outbox.deliver(int(delivery_id))
    log.debug("Credentials delivery %s: %s", delivery_id, outcome)
    return outcome


@shared_task(name="openedx_grade_freeze.tasks.drain_credentials_deliveries", ignore_result=True)
def drain_credentials_deliveries(limit=None):
    """Send every due delivery whose task was lost or whose retry is due (run it from celery beat)."""
    from openedx_grade_freeze.credentials import outbox  # pylint: disable=import-outside-toplevel

    return outbox.drain(int(limit) if limit else None)
