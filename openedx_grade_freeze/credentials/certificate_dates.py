"""
Certificate available dates: a course run's end date (first seen, or changed) is queued for Credentials when its
certificates wait for it, for the run's one certificate type.
"""
from django.db import transaction

from openedx_grade_freeze.credentials import outbox
from openedx_grade_freeze.credentials.config import certificate_type, certificates_available_at_end, forwarding_enabled
from openedx_grade_freeze.keys import to_course_key
from openedx_grade_freeze.models import PACING_SELF


def on_course_end_changed(change):
    """Queue the certificate available date of a course whose certificates become available at its end.

    ``change`` is an ``EndDateChange`` (or anything with its ``course_key`` and ``pacing``).
    """
    course_key = to_course_key(change.course_key)
    if change.pacing == PACING_SELF or not forwarding_enabled(course_key.org):
        return []
    if not certificates_available_at_end(course_key):
        return []
    mode = certificate_type(course_key)
    if mode is None:
        return []
    with transaction.atomic():
        delivery_id = outbox.submit(outbox.certificate_date_subject(course_key, mode))
    return [delivery_id]
