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

from openedx_grade_freeze import schedules
from openedx_grade_freeze.signals import handlers
from openedx_grade_freeze.snapshots import signals as snapshot_signals
from tests.plugin_support import REPO, receivers_of

STEP = "openedx_grade_freeze.pipeline.PreventGradePersistenceAfterFreeze"
FILTER_TYPE = "org.openedx.learning.grade.persistence.requested.v1"


def test_entry_points_register_the_app_for_lms_and_studio():
    app = "openedx_grade_freeze.apps.GradeFreezeConfig"
    assert app in get_plugin_apps("lms.djangoapp")
    assert app in get_plugin_apps("cms.djangoapp")
    assert app in settings.INSTALLED_APPS


def test_plugin_settings_were_applied_by_add_plugins():
    assert settings.GRADE_FREEZE_OFFSET_DAYS == 30
    assert settings.OPEN_EDX_FILTERS_CONFIG[FILTER_TYPE]["pipeline"] == [STEP]


def test_receivers_are_connected_once_by_connect_plugin_receivers():
    assert receivers_of(COURSE_CATALOG_INFO_CHANGED).count(handlers.record_course_schedule) == 1
    assert receivers_of(PERSISTENT_GRADE_SUMMARY_CHANGED).count(handlers.record_course_grade) == 1
    # The features' own announcements, heard by the Credentials integration.
    assert receivers_of(schedules.COURSE_END_CHANGED) == [handlers.queue_certificate_date]
    assert receivers_of(snapshot_signals.SNAPSHOT_COMPLETED) == [handlers.agree_with_credentials]
    assert receivers_of(snapshot_signals.LEARNER_REFROZEN) == [handlers.resend_refrozen_grade]


def test_studio_connects_the_schedule_and_end_date_receivers_only():
    script = (
        "import django; django.setup();"
        "from openedx_events.content_authoring.signals import COURSE_CATALOG_INFO_CHANGED as C;"
        "from openedx_events.learning.signals import PERSISTENT_GRADE_SUMMARY_CHANGED as G;"
        "from openedx_grade_freeze.signals import handlers as h;"
        "from openedx_grade_freeze.schedules import COURSE_END_CHANGED as E;"
        "from openedx_grade_freeze.snapshots.signals import SNAPSHOT_COMPLETED as S;"
        "from tests.plugin_support import receivers_of as r;"
        "print(r(C).count(h.record_course_schedule), r(G).count(h.record_course_grade),"
        " r(E).count(h.queue_certificate_date), len(r(S)))"
    )
    env = dict(os.environ, GRADE_FREEZE_HOST_PROJECT="cms.djangoapp", DJANGO_SETTINGS_MODULE="tests.host.settings")
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, env=env, capture_output=True, text=True, check=True
    )
    # Studio records schedules and queues certificate dates; grades and snapshots are the LMS's.
    assert result.stdout.split()[-4:] == ["1", "0", "1", "0"]
