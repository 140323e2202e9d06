"""
Stand-in for ``openedx.core.djangoapps.credentials.signals`` (read from ``openedx/edx-platform`` at ``adc359bd58f2…``).

Upstream's module holds only the two receivers, which call ``send_grade_if_interesting`` imported BY NAME from
``tasks.v1.tasks``. The credentials app's ``plugin_app`` connects them (``PluginSignals``) to
``COURSE_GRADE_CHANGED`` and ``COURSE_CERT_CHANGED`` in the LMS; ``connect_receivers`` (stand-in only) does the same.
"""
from openedx.core.djangoapps.signals.signals import COURSE_CERT_CHANGED, COURSE_GRADE_CHANGED

from .tasks.v1.tasks import send_grade_if_interesting


def handle_grade_change(user, course_grade, course_key, **kwargs):
    """Tell Credentials about a changed course grade it may want."""
    send_grade_if_interesting(
        user,
        course_key,
        None,
        None,
        course_grade.letter_grade,
        course_grade.percent,
        verbose=kwargs.get('verbose', False)
    )


def handle_cert_change(user, course_key, mode, status, **kwargs):
    """Tell Credentials about the grade of a learner whose certificate changed."""
    send_grade_if_interesting(user, course_key, mode, status, None, None, verbose=kwargs.get('verbose', False))


def connect_receivers():
    """Stand-in only: connect the receivers as the LMS's plugin signals configuration does at startup."""
    COURSE_GRADE_CHANGED.connect(handle_grade_change, dispatch_uid='credentials.handle_grade_change')
    COURSE_CERT_CHANGED.connect(handle_cert_change, dispatch_uid='credentials.handle_cert_change')
