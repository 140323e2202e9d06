"""
Stand-in for ``lms.djangoapps.certificates.api`` (two certificate look-ups), certificates in memory.

Read from ``openedx/openedx-platform`` at ``e57a655d77b614f19223984e9805b1fb940ab192``. Upstream's
``get_generated_certificate(user, course_id)`` builds ``GeneratedCertificateData(user=cert.user,
course_id=cert.course_id)`` and so returns the dataclass DEFAULTS for ``mode`` ('honor') and ``status``
('unavailable'), not the stored ones; the stand-in keeps that. ``get_certificate_for_user_id(user, course_id)``
(read at ``21572afe319f6742dac1c181f6ca9b74d77b2e86``) returns the stored row, here its data with the stored mode and
status. ``create_certificate`` is stand-in only.
"""
from lms.djangoapps.certificates.data import GeneratedCertificateData
from standin_support import register_reset

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


@register_reset
def _reset_certificates():
    _CERTIFICATES.clear()
