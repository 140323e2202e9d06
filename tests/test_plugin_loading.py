"""
The plugin is loaded purely through its entry points, as edx-platform loads plugins.
"""
import os
import subprocess
import sys

from django.conf import settings
from edx_django_utils.plugins import get_plugin_apps
from openedx_events.content_authoring.signals import COURSE_CATALOG_INFO_CHANGED
from openedx_events.learning.signals import PERSISTENT_GRADE_SUMMARY_CHANGED

from openedx_grade_freeze.signals import handlers

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STEP = "openedx_grade_freeze.pipeline.PreventGradePersistenceAfterFreeze"
FILTER_TYPE = "org.openedx.learning.grade.persistence.requested.v1"


def _connected(signal, func):
    return any(getattr(ref(), "__name__", None) == func.__name__ for _, ref in
               [(key, receiver) for key, receiver in _refs(signal)])


def _refs(signal):
    signal._clear_dead_receivers()  # pylint: disable=protected-access
    for receiver in signal.receivers:
        lookup, ref = receiver[0], receiver[1]
        yield lookup, (ref if callable(ref) and not hasattr(ref, "__self__") else ref)


def test_entry_points_register_the_app_for_lms_and_studio():
    app = "openedx_grade_freeze.apps.GradeFreezeConfig"
    assert app in get_plugin_apps("lms.djangoapp")
    assert app in get_plugin_apps("cms.djangoapp")
    assert app in settings.INSTALLED_APPS


def test_plugin_settings_were_applied_by_add_plugins():
    assert settings.GRADE_FREEZE_OFFSET_DAYS == 30
    assert settings.OPEN_EDX_FILTERS_CONFIG[FILTER_TYPE]["pipeline"] == [STEP]


def test_receivers_are_connected_once_by_connect_plugin_receivers():
    live = [receiver for receiver in COURSE_CATALOG_INFO_CHANGED._live_receivers(None)]  # pylint: disable=protected-access
    flat = live[0] + live[1] if isinstance(live[0], list) else live
    assert flat.count(handlers.record_course_schedule) == 1
    grade_live = PERSISTENT_GRADE_SUMMARY_CHANGED._live_receivers(None)  # pylint: disable=protected-access
    grade_flat = grade_live[0] + grade_live[1] if isinstance(grade_live[0], list) else grade_live
    assert grade_flat.count(handlers.record_course_grade) == 1


def test_studio_connects_the_schedule_receiver_only():
    script = (
        "import django; django.setup();"
        "from openedx_events.content_authoring.signals import COURSE_CATALOG_INFO_CHANGED as C;"
        "from openedx_events.learning.signals import PERSISTENT_GRADE_SUMMARY_CHANGED as G;"
        "from openedx_grade_freeze.signals import handlers as h;"
        "flat=lambda s: [r for group in s._live_receivers(None) for r in (group if isinstance(group, list) else [group])];"
        "print(flat(C).count(h.record_course_schedule), flat(G).count(h.record_course_grade))"
    )
    env = dict(os.environ, GRADE_FREEZE_HOST_PROJECT="cms.djangoapp", DJANGO_SETTINGS_MODULE="tests.host.settings")
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, env=env, capture_output=True, text=True, check=True
    )
    assert result.stdout.split()[-2:] == ["1", "0"]
