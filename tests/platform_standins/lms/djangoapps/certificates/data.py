"""
Stand-in for ``lms.djangoapps.certificates.data`` (``CertificateStatuses``, ``GeneratedCertificateData``).

Read from ``openedx/openedx-platform`` at ``e57a655d77b614f19223984e9805b1fb940ab192``; ``user`` is any object.
"""
from dataclasses import dataclass


class CertificateStatuses:
    """Certificate status values."""

    deleted = 'deleted'
    deleting = 'deleting'
    downloadable = 'downloadable'
    error = 'error'
    generating = 'generating'
    notpassing = 'notpassing'
    restricted = 'restricted'
    unavailable = 'unavailable'
    auditing = 'auditing'
    audit_passing = 'audit_passing'
    audit_notpassing = 'audit_notpassing'
    honor_passing = 'honor_passing'
    unverified = 'unverified'
    invalidated = 'invalidated'
    requesting = 'requesting'

    PASSED_STATUSES = (downloadable, generating)

    @classmethod
    def is_passing_status(cls, status):
        return status in cls.PASSED_STATUSES


@dataclass
class GeneratedCertificateData:
    """A data representation of a generated course certificate (upstream's defaults kept)."""

    user: object
    course_id: object
    verify_uuid: str = ""
    grade: str = ""
    key: str = ""
    distinction: bool = False
    status: str = "unavailable"
    mode: str = "honor"
    name: str = ""
    created_date: str = None
    modified_date: str = None
    download_uuid: str = ""
    download_url: str = ""
    error_reason: str = ""
