"""
The test-only app holding the stand-ins' shared tables.
"""
import os
import sys

from django.apps import AppConfig
from django.conf import settings

STANDINS_PATH = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "platform_standins")


class PlatformStoreConfig(AppConfig):
    """Tables that edx-platform's own models would hold in the LMS database (course grades, enrollments)."""

    name = "tests.platform_store"
    label = "platform_store"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # A celery worker started by a test (or the benchmark) runs "in the LMS": the stand-ins on its path,
        # backed by these tables, so it reads what the test process wrote.
        if getattr(settings, "GRADE_FREEZE_STANDINS_IN_DATABASE", False):
            if STANDINS_PATH not in sys.path:
                sys.path.insert(0, STANDINS_PATH)
            from tests.platform_store.store import attach  # pylint: disable=import-outside-toplevel

            attach()
