"""
Certificate available dates: a course run's new end date is queued for Credentials when its certificates wait for it.
"""
from django.db import transaction

from openedx_grade_freeze.credentials import outbox
from openedx_grade_freeze.credentials.config import certificate_types, certificates_available_at_end, forwarding_enabled
from openedx_grade_freeze.keys import to_course_key
from openedx_grade_freeze.models import PACING_SELF


def on_course_end_changed(change):
    """Queue the new certificate available date of a course whose certificates become available at its end."""
    course_key = to_course_key(change.course_key)
    if change.pacing == PACING_SELF or not forwarding_enabled(course_key.org):
        return []
    if not certificates_available_at_end(course_key):
        return []
    ids = []
    with transaction.atomic():
        for certificate_type in certificate_types(course_key.org):
            ids.append(outbox.mark_pending(outbox.certificate_date_subject(course_key, certificate_type)))
        for delivery_id in ids:
            transaction.on_commit(lambda delivery_id=delivery_id: outbox.queue_delivery(delivery_id))
    return ids
