"""
The host project's own app: connects plugin receivers in ``ready()``, as edx-platform's plugins app does.
"""
from django.apps import AppConfig


class HostConfig(AppConfig):
    """Stands in for edx-platform's ``openedx.core.djangoapps.plugins`` app."""

    name = "tests.host"
    label = "grade_freeze_host"

    def ready(self):
        from django.conf import settings  # pylint: disable=import-outside-toplevel
        from edx_django_utils.plugins import connect_plugin_receivers  # pylint: disable=import-outside-toplevel

        connect_plugin_receivers(settings.PROJECT_TYPE)
