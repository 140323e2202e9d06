"""
Stand-in for ``common.djangoapps.course_modes.models`` (``CourseMode``'s mode constants,
``is_eligible_for_certificate`` and an in-memory table of a run's modes: ``course_id`` and ``mode_slug``).

Read from ``openedx/openedx-platform`` at ``6913dfd7cbf742e40041ce14b76df5072ba6e335``.
"""
from standin_support import InMemoryManager, register_reset, setting


class CourseMode:
    """The mode slugs and mode groups upstream's credentials code reads."""

    HONOR = 'honor'
    PROFESSIONAL = 'professional'
    VERIFIED = 'verified'
    AUDIT = 'audit'
    NO_ID_PROFESSIONAL_MODE = 'no-id-professional'
    CREDIT_MODE = 'credit'
    MASTERS = 'masters'
    EXECUTIVE_EDUCATION = 'executive-education'
    PAID_EXECUTIVE_EDUCATION = 'paid-executive-education'
    UNPAID_EXECUTIVE_EDUCATION = 'unpaid-executive-education'
    PAID_BOOTCAMP = 'paid-bootcamp'
    UNPAID_BOOTCAMP = 'unpaid-bootcamp'

    AUDIT_MODES = [AUDIT, HONOR, UNPAID_EXECUTIVE_EDUCATION, UNPAID_BOOTCAMP]
    VERIFIED_MODES = [
        VERIFIED, PROFESSIONAL, MASTERS, EXECUTIVE_EDUCATION, PAID_EXECUTIVE_EDUCATION, PAID_BOOTCAMP
    ]
    NON_VERIFIED_MODES = [HONOR, AUDIT, NO_ID_PROFESSIONAL_MODE]
    CREDIT_MODES = [CREDIT_MODE]
    CREDIT_ELIGIBLE_MODES = [
        VERIFIED, PROFESSIONAL, NO_ID_PROFESSIONAL_MODE, EXECUTIVE_EDUCATION, PAID_EXECUTIVE_EDUCATION,
        PAID_BOOTCAMP
    ]
    # Modes for which certificates/programs may need to be updated
    CERTIFICATE_RELEVANT_MODES = CREDIT_MODES + CREDIT_ELIGIBLE_MODES + [MASTERS]

    @classmethod
    def is_eligible_for_certificate(cls, mode_slug, status=None):
        """Every mode but audit (and honor, when ``FEATURES['DISABLE_HONOR_CERTIFICATES']``) grants a certificate."""
        ineligible_modes = [cls.AUDIT]
        if setting('FEATURES', {}).get('DISABLE_HONOR_CERTIFICATES', False):
            from lms.djangoapps.certificates.data import CertificateStatuses  # pylint: disable=import-outside-toplevel
            if mode_slug == cls.HONOR and status != CertificateStatuses.downloadable:
                ineligible_modes.append(cls.HONOR)
        return mode_slug not in ineligible_modes


class _ModeRow:
    """One row of ``course_modes_coursemode``: the fields the plugin reads."""

    def __init__(self, course_id, mode_slug):
        self.course_id = course_id
        self.mode_slug = mode_slug


CourseMode._store = {}  # pylint: disable=protected-access
CourseMode.objects = InMemoryManager(CourseMode)


def add_mode(course_id, mode_slug):
    """Stand-in only: give a course run an enrollment mode."""
    CourseMode._store[(str(course_id), mode_slug)] = _ModeRow(course_id, mode_slug)  # pylint: disable=protected-access


def remove_mode(course_id, mode_slug):
    """Stand-in only: take an enrollment mode away from a course run."""
    CourseMode._store.pop((str(course_id), mode_slug), None)  # pylint: disable=protected-access


register_reset(CourseMode._store.clear)  # pylint: disable=protected-access
