"""
Django app configuration: registers the plugin with the LMS and Studio through edx-django-utils.
"""
import importlib.util
import logging

from django.apps import AppConfig
from django.utils.functional import classproperty

from openedx_grade_freeze.platform import retirement

log = logging.getLogger(__name__)

_LMS = "lms.djangoapp"
_CMS = "cms.djangoapp"

_SETTINGS = {
    "common": {"relative_path": "settings.common"},
    "test": {"relative_path": "settings.common"},
    "production": {"relative_path": "settings.production"},
    "devstack": {"relative_path": "settings.common"},
}
# Studio also turns on its catalog event where the release still has the toggle (settings/cms.py).
_CMS_SETTINGS = {
    **_SETTINGS,
    "common": {"relative_path": "settings.cms"},
    "test": {"relative_path": "settings.cms"},
    "devstack": {"relative_path": "settings.cms"},
}

# Studio sends the schedule on publish (an LMS consuming the event bus receives it too); grades change
# only in the LMS. Both share one database.
_SCHEDULE_RECEIVER = {
    "receiver_func_name": "record_course_schedule",
    "signal_path": "openedx_events.content_authoring.signals.COURSE_CATALOG_INFO_CHANGED",
    "dispatch_uid": "openedx_grade_freeze.record_course_schedule",
}
_GRADE_RECEIVERS = [
    {
        "receiver_func_name": "record_course_grade",
        "signal_path": "openedx_events.learning.signals.PERSISTENT_GRADE_SUMMARY_CHANGED",
        "dispatch_uid": "openedx_grade_freeze.record_course_grade",
    },
]
# Learners are retired in the LMS: both signals, so the plugin forgets the learner even if one step is skipped.
_RETIREMENT_SIGNALS_MODULE = retirement.USER_RETIRE_LMS_CRITICAL.rsplit(".", 1)[0]
_RETIREMENT_RECEIVERS = [
    {
        "receiver_func_name": "retire_learner",
        "signal_path": retirement.USER_RETIRE_LMS_CRITICAL,
        "dispatch_uid": "openedx_grade_freeze.retire_learner.critical",
    },
    {
        "receiver_func_name": "retire_learner",
        "signal_path": retirement.USER_RETIRE_LMS_MISC,
        "dispatch_uid": "openedx_grade_freeze.retire_learner.misc",
    },
]


# The features' own announcements, heard by the Credentials integration (a layer above them). An end date changes in
# Studio (a publish) as in the LMS (the periodic check); snapshots are taken and corrected in the LMS only.
_END_DATE_RECEIVER = {
    "receiver_func_name": "queue_certificate_date",
    "signal_path": "openedx_grade_freeze.schedules.COURSE_END_CHANGED",
    "dispatch_uid": "openedx_grade_freeze.queue_certificate_date",
}
_SNAPSHOT_RECEIVERS = [
    {
        "receiver_func_name": "agree_with_credentials",
        "signal_path": "openedx_grade_freeze.snapshots.signals.SNAPSHOT_COMPLETED",
        "dispatch_uid": "openedx_grade_freeze.agree_with_credentials",
    },
    {
        "receiver_func_name": "resend_refrozen_grade",
        "signal_path": "openedx_grade_freeze.snapshots.signals.LEARNER_REFROZEN",
        "dispatch_uid": "openedx_grade_freeze.resend_refrozen_grade",
    },
]


def _retirement_receivers():
    """The retirement receivers where edx-platform's signals exist; none elsewhere, so a bare host still starts.

    edx-django-utils imports each ``signal_path`` while connecting and fails startup on one it cannot import.
    """
    try:
        found = importlib.util.find_spec(_RETIREMENT_SIGNALS_MODULE) is not None
    except (ImportError, ValueError):
        found = False
    return _RETIREMENT_RECEIVERS if found else []


class GradeFreezeConfig(AppConfig):
    """
    The openedx-grade-freeze plugin app, loaded by the LMS and Studio through its entry points.
    """

    name = "openedx_grade_freeze"
    verbose_name = "Grade freeze"
    default_auto_field = "django.db.models.BigAutoField"

    @classproperty
    def plugin_app(cls):  # pylint: disable=no-self-argument
        """The edx-django-utils plugin configuration; read when the host loads settings and connects receivers."""
        return {
            "url_config": {
                _LMS: {
                    "namespace": "openedx_grade_freeze",
                    "regex": r"^api/grade_freeze/",
                    "relative_path": "urls",
                },
                _CMS: {
                    "namespace": "openedx_grade_freeze",
                    "regex": r"^api/grade_freeze/",
                    "relative_path": "urls",
                },
            },
            "settings_config": {_LMS: _SETTINGS, _CMS: _CMS_SETTINGS},
            "signals_config": {
                _LMS: {"relative_path": "signals.handlers", "receivers": [
                    _SCHEDULE_RECEIVER, *_GRADE_RECEIVERS, *_retirement_receivers(), _END_DATE_RECEIVER,
                    *_SNAPSHOT_RECEIVERS,
                ]},
                _CMS: {"relative_path": "signals.handlers", "receivers": [_SCHEDULE_RECEIVER, _END_DATE_RECEIVER]},
            },
        }

    def ready(self):
        """Quiet expected vetoes in openedx-filters' log; register the patch points and wire them where the LMS runs."""
        # pylint: disable=import-outside-toplevel
        from django.core import checks

        from openedx_grade_freeze import logging_filters, policy
        from openedx_grade_freeze.credentials import config, upstream_sender
        from openedx_grade_freeze.platform import due_dates, wiring, write_points
        from openedx_grade_freeze.snapshots import extended_learners

        logging_filters.install()
        # A personalized due date given, changed or removed is seen by the next decision about its course (ADR 0028).
        due_dates.when_changed(policy.personalized_due_dates_changed)
        # ... and, once the course has a snapshot, when that learner's row is re-taken (ADR 0029).
        due_dates.when_learner_changed(extended_learners.due_date_changed)
        # The one table of edx-platform functions the plugin replaces; the Credentials take-over is one entry.
        write_points.register({write_points.SEND_GRADE_IF_INTERESTING: upstream_sender.route_to_outbox})
        wiring.activate()
        checks.register(config.check_certificate_types)
        for warning in config.check_certificate_types():
            log.warning("%s %s (%s)", warning.msg, warning.hint, warning.id)  # a served LMS runs no checks
        register_xapi_transformers()


ANALYTICS_BACKEND = "event_routing_backends"


def register_xapi_transformers():
    """Register the xAPI transformers when event-routing-backends is installed; without it, nothing is imported."""
    try:
        installed = importlib.util.find_spec(ANALYTICS_BACKEND) is not None
    except (ImportError, ValueError):
        installed = False
    if not installed:
        log.info("openedx-grade-freeze: event-routing-backends is not installed; no xAPI transformers registered.")
        return False
    try:
        from openedx_grade_freeze import analytics  # pylint: disable=import-outside-toplevel

        analytics.register()
    except Exception:  # pylint: disable=broad-except
        log.exception("openedx-grade-freeze: could not register the xAPI transformers with event-routing-backends; "
                      "the plugin's events are not sent as xAPI.")
        return False
    return True
