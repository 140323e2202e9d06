"""
Stand-in for ``lms.djangoapps.certificates.api`` (two certificate look-ups), certificates in memory.

Read from ``openedx/openedx-platform`` at ``e57a655d77b614f19223984e9805b1fb940ab192``. Upstream's
``get_generated_certificate(user, course_id)`` builds ``GeneratedCertificateData(user=cert.user,
course_id=cert.course_id)`` and so returns the dataclass DEFAULTS for ``mode`` ('honor') and ``status``
('unavailable'), not the stored ones; the stand-in keeps that. ``get_certificate_for_user_id(user, course_id)``
(read at ``21572afe319f6742dac1c181f6ca9b74d77b2e86``) returns the stored row, here its data with the stored mode and
status. ``invalidate_certificate(user_id, course_key_or_id, source)`` (read at ``21572afe319f…``) marks the stored
certificate ``unavailable`` (upstream ``GeneratedCertificate.invalidate``; no allowlist here) and logs the write to
``WRITE_LOG``; it returns False when there is no certificate. ``create_certificate`` is stand-in only.
"""
import dataclasses

from opaque_keys.edx.keys import CourseKey

from lms.djangoapps.certificates.data import CertificateStatuses, GeneratedCertificateData
from standin_support import record_write, register_reset, utcnow

_CERTIFICATES = {}


def create_certificate(user, course_id, mode, status):
    """Stand-in only: store a GeneratedCertificate row for ``user`` in ``course_id``."""
    _CERTIFICATES[(user.id, str(course_id))] = GeneratedCertificateData(
        user=user, course_id=course_id, mode=mode, status=status,
    )


def get_generated_certificate(user, course_id):
    """The learner's certificate data, or None when there is no certificate row."""
    cert = _CERTIFICATES.get((user.id, str(course_id)))
    if cert is None:
        return None
    return GeneratedCertificateData(user=cert.user, course_id=cert.course_id)


def get_certificate_for_user_id(user, course_id):
    """The learner's stored certificate (upstream: ``GeneratedCertificate.certificate_for_student``), or None."""
    return _CERTIFICATES.get((user.id, str(course_id)))


def invalidate_certificate(user_id, course_key_or_id, source):
    """Invalidate the learner's certificate in the course; False when there is none."""
    course_key = CourseKey.from_string(course_key_or_id) if isinstance(course_key_or_id, str) else course_key_or_id
    key = (user_id, str(course_key))
    cert = _CERTIFICATES.get(key)
    if cert is None:
        return False
    _CERTIFICATES[key] = dataclasses.replace(
        cert, status=CertificateStatuses.unavailable, grade='', download_url='', verify_uuid='', download_uuid='',
        error_reason=f'invalidated by {source}',
    )
    record_write('GeneratedCertificate', key, utcnow())
    return True


@register_reset
def _reset_certificates():
    _CERTIFICATES.clear()
