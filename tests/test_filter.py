"""
The veto through the real openedx-filters machinery, configured only by the plugin's settings.
"""
from datetime import datetime, timedelta, timezone

import pytest
from django.conf import settings
from django.test import override_settings
from openedx_filters.filters import PipelineStep

from openedx_grade_freeze import policy
from openedx_grade_freeze.filters import GradePersistenceRequested
from openedx_grade_freeze.models import BlockedGradeUpdates
from openedx_grade_freeze.settings.common import FILTER_TYPE, PIPELINE_STEP, register_filter_step
from openedx_grade_freeze.tracking import UPDATE_BLOCKED
from tests.conftest import events_named
from tests.events import publish

FROZEN = "course-v1:FilterX+Frozen+2025"
OPEN = "course-v1:FilterX+Open+2026"
NOW = datetime.now(timezone.utc)
CALLS = []

pytestmark = pytest.mark.django_db


class AppealsWindow(PipelineStep):
    """Another plugin's step on the same filter type: lets one learner's update through during an appeal."""

    def run_filter(self, course_key, user_id=None, source=None, action=None):  # pylint: disable=arguments-differ
        CALLS.append((str(course_key), user_id, source))
        if user_id == self.extra_config.get("appeal_user_id"):
            return None  # stops the pipeline: the steps after this one do not run
        return {}


@pytest.fixture(autouse=True)
def courses():
    CALLS.clear()
    publish(FROZEN, NOW - timedelta(days=45), time=NOW - timedelta(days=45))
    publish(OPEN, NOW - timedelta(days=5), time=NOW - timedelta(days=5))


def test_frozen_course_is_vetoed_with_course_and_freeze_date():
    with pytest.raises(GradePersistenceRequested.PreventGradePersistence) as veto:
        GradePersistenceRequested.run_filter(FROZEN, user_id=7, source="test")

    assert str(veto.value.course_key) == FROZEN
    assert veto.value.freeze_date == policy.get_freeze_state(FROZEN).freeze_date
    assert "frozen since" in str(veto.value)


def test_unfrozen_course_returns_its_arguments():
    assert GradePersistenceRequested.run_filter(OPEN, user_id=7, source="test") == (OPEN, 7, "test")


def test_unknown_course_is_allowed():
    assert GradePersistenceRequested.run_filter("course-v1:FilterX+Never+1", user_id=1)[1] == 1


def test_plugin_settings_keep_other_plugins_and_operator_entries_without_duplicates():
    host = type("Settings", (), {})()
    host.OPEN_EDX_FILTERS_CONFIG = {
        "org.openedx.learning.course.enrollment.started.v1": {"pipeline": ["other.Step"], "fail_silently": True},
        FILTER_TYPE: {"pipeline": ["tests.test_filter.AppealsWindow"], "fail_silently": True, "appeal_user_id": 3},
    }
    register_filter_step(host)
    register_filter_step(host)  # a second settings pass adds nothing

    assert host.OPEN_EDX_FILTERS_CONFIG["org.openedx.learning.course.enrollment.started.v1"]["pipeline"] == [
        "other.Step"
    ]
    ours = host.OPEN_EDX_FILTERS_CONFIG[FILTER_TYPE]
    assert ours["pipeline"] == ["tests.test_filter.AppealsWindow", PIPELINE_STEP]
    assert ours["fail_silently"] is True
    assert ours["appeal_user_id"] == 3


def test_another_plugins_step_on_the_same_filter_type_still_runs():
    host = type("Settings", (), {})()
    host.OPEN_EDX_FILTERS_CONFIG = {
        FILTER_TYPE: {"pipeline": ["tests.test_filter.AppealsWindow"], "appeal_user_id": 3},
    }
    register_filter_step(host)
    with override_settings(OPEN_EDX_FILTERS_CONFIG=host.OPEN_EDX_FILTERS_CONFIG):
        with pytest.raises(GradePersistenceRequested.PreventGradePersistence):
            GradePersistenceRequested.run_filter(FROZEN, user_id=7, source="appeal-test")
        # The appeals step answers for learner 3 before our step runs: that learner's update goes through.
        assert GradePersistenceRequested.run_filter(FROZEN, user_id=3, source="appeal-test")[1] == 3

    assert CALLS == [(FROZEN, 7, "appeal-test"), (FROZEN, 3, "appeal-test")]


def test_blocked_updates_are_reported_once_per_interval_with_a_count(tracking_events):
    for user_id in range(5):
        with pytest.raises(GradePersistenceRequested.PreventGradePersistence):
            GradePersistenceRequested.run_filter(FROZEN, user_id=user_id, source="tasks")
    with pytest.raises(GradePersistenceRequested.PreventGradePersistence):
        GradePersistenceRequested.run_filter(FROZEN, user_id=9, source="gradebook")

    blocked = events_named(tracking_events, UPDATE_BLOCKED)
    assert [(event["source"], event["blocked_count"], event["user_id"]) for event in blocked] == [
        ("tasks", 1, 0), ("gradebook", 1, 9)
    ]
    assert blocked[0]["course_id"] == FROZEN
    assert blocked[0]["freeze_date"] == policy.get_freeze_state(FROZEN).freeze_date.isoformat()


@override_settings(GRADE_FREEZE_BLOCKED_EVENT_INTERVAL_SECONDS=1)
def test_after_the_interval_the_next_event_carries_the_count_since_the_last(tracking_events):
    import time

    for _ in range(3):
        with pytest.raises(GradePersistenceRequested.PreventGradePersistence):
            GradePersistenceRequested.run_filter(FROZEN, user_id=1, source="tasks")
    time.sleep(1.1)
    with pytest.raises(GradePersistenceRequested.PreventGradePersistence):
        GradePersistenceRequested.run_filter(FROZEN, user_id=1, source="tasks")

    assert [event["blocked_count"] for event in events_named(tracking_events, UPDATE_BLOCKED)] == [1, 3]
    assert BlockedGradeUpdates.objects.get(source="tasks").total == 4


def test_the_registered_pipeline_is_the_plugins_own():
    assert settings.OPEN_EDX_FILTERS_CONFIG[FILTER_TYPE] == {"pipeline": [PIPELINE_STEP], "fail_silently": False}


def test_vetoes_do_not_flood_the_log_but_other_filter_errors_still_show(caplog):
    import logging

    from openedx_filters.exceptions import OpenEdxFilterException

    with pytest.raises(GradePersistenceRequested.PreventGradePersistence):
        GradePersistenceRequested.run_filter(FROZEN, user_id=1, source="tasks")
    logger = logging.getLogger("openedx_filters.tooling")
    try:
        raise OpenEdxFilterException("another plugin's veto")
    except OpenEdxFilterException:
        logger.exception("Exception raised while running 'OtherStep'")

    messages = [record.getMessage() for record in caplog.records if record.name == "openedx_filters.tooling"]
    assert messages == ["Exception raised while running 'OtherStep'"]


def test_each_blocked_write_marks_the_request_for_monitoring():
    from tests.host.telemetry import ATTRIBUTES

    ATTRIBUTES.clear()
    with pytest.raises(GradePersistenceRequested.PreventGradePersistence):
        GradePersistenceRequested.run_filter(FROZEN, user_id=1, source="tasks")
    GradePersistenceRequested.run_filter(OPEN, user_id=1, source="tasks")

    # Other code may add its own attributes (event-routing-backends' eager celery task marks its code owner).
    ours = [attribute for attribute in ATTRIBUTES if attribute[0].startswith("grade_freeze.")]
    assert ours == [("grade_freeze.blocked", True), ("grade_freeze.course_id", FROZEN)]
