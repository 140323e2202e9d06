"""
Django app configuration: registers the plugin with the LMS and Studio through edx-django-utils.
"""
import importlib.util
import logging

from django.apps import AppConfig

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


class GradeFreezeConfig(AppConfig):
    """
    The openedx-grade-freeze plugin app, loaded by the LMS and Studio through its entry points.
    """

    name = "openedx_grade_freeze"
    verbose_name = "Grade freeze"
    default_auto_field = "django.db.models.BigAutoField"

    plugin_app = {
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
            _LMS: {"relative_path": "signals.handlers", "receivers": [_SCHEDULE_RECEIVER, *_GRADE_RECEIVERS]},
            _CMS: {"relative_path": "signals.handlers", "receivers": [_SCHEDULE_RECEIVER]},
        },
    }

    def ready(self):
        """Quiet expected vetoes in openedx-filters' log, and wire the veto into edx-platform where the LMS runs."""
        # pylint: disable=import-outside-toplevel,unused-import
        from openedx_grade_freeze import logging_filters
        from openedx_grade_freeze.credentials import upstream_sender  # noqa: F401 (registers its write point)
        from openedx_grade_freeze.platform import wiring, write_points  # noqa: F401 (registers the grade points)

        logging_filters.install()
        wiring.activate()
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
