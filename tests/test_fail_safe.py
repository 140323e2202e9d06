"""
Broken configuration fails safe: edx-platform's own rule decides when the policy cannot be evaluated, misspelt site
keys are named once, and dates at the end of the calendar evaluate to "never".
"""
import logging
from datetime import datetime, timedelta, timezone

import pytest
from django.test import override_settings

from openedx_grade_freeze import api, rate_limits
from openedx_grade_freeze.filters import GradePersistenceRequested
from openedx_grade_freeze.policy import policy_cache
from tests.events import publish
from tests.factories import UserFactory

NOW = datetime.now(timezone.utc)
ENDED = "course-v1:SafeX+Ended+2025"  # ended 60 days ago: frozen under edx-platform's own rule too
RUNNING = "course-v1:SafeX+Running+2026"
LAST_DAY = datetime(9999, 12, 31, 23, 59, tzinfo=timezone.utc)
FAR = "course-v1:SafeX+Far+9999"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def courses():
    rate_limits.forget_local()
    publish(ENDED, NOW - timedelta(days=60), time=NOW - timedelta(days=60))
    publish(RUNNING, NOW + timedelta(days=5), time=NOW - timedelta(days=1))
    publish(FAR, LAST_DAY, time=NOW - timedelta(days=1))


@pytest.fixture
def site_configuration(platform_standins):
    from openedx.core.djangoapps.site_configuration import helpers  # pylint: disable=import-outside-toplevel

    return helpers


@pytest.fixture
def staff_client(client):
    client.force_login(UserFactory(username="ops", is_staff=True))
    return client


def write_is_vetoed(course_id):
    try:
        GradePersistenceRequested.run_filter(course_id, user_id=1, source="tasks")
    except GradePersistenceRequested.PreventGradePersistence:
        return True
    return False


def freeze_state_over_http(client, course_id):
    response = client.get(f"/api/grade_freeze/v1/courses/{course_id}/")
    assert response.status_code == 200, response.content
    return response.json()


@pytest.mark.parametrize("broken", [
    {"ENABLED": "no"},                 # a string where true/false belongs
    {"OFFSET_DAYS": "ninety"},
    "ENABLED=false",                   # not a dict at all
])
def test_a_wrongly_typed_site_configuration_keeps_the_ended_course_frozen(site_configuration, broken, caplog):
    site_configuration.set_value_for_org("SafeX", "GRADE_FREEZE", broken)

    assert write_is_vetoed(ENDED)
    assert api.get_freeze_state(ENDED).error is None  # the bad value is left out; the other layers decide
    assert "Site configuration GRADE_FREEZE of the site that owns org SafeX" in caplog.text


def test_misspelt_keys_are_named_once_and_the_valid_keys_still_apply(site_configuration, caplog):
    site_configuration.set_value_for_org(
        "SafeX", "GRADE_FREEZE", {"ENABLE": False, "enabled": False, "OFFSET_DAY": 90, "OFFSET_DAYS": 45},
    )
    with caplog.at_level(logging.ERROR, logger="openedx_grade_freeze"):
        for _ in range(3):
            policy_cache.clear()  # each check reads the site configuration again
            assert write_is_vetoed(ENDED)

    state = api.get_freeze_state(ENDED)
    assert state.frozen and state.freeze_date == state.course_end + timedelta(days=45)
    assert state.offset_days == 45 and state.source == "site configuration: course end + 45 days"
    lines = [r.getMessage() for r in caplog.records if "Site configuration GRADE_FREEZE" in r.getMessage()]
    for key in ("ENABLE", "enabled", "OFFSET_DAY"):
        assert sum(f"unknown key {key!r}" in line for line in lines) == 1, lines
    assert all("org SafeX" in line for line in lines)


def test_a_site_configuration_that_cannot_be_read_falls_back_to_edx_platforms_rule(
    site_configuration, monkeypatch, caplog, staff_client,
):
    def broken(org, name, default=None):
        raise RuntimeError("site configuration table unreadable")

    monkeypatch.setattr(site_configuration, "get_value_for_org", broken)
    with caplog.at_level(logging.ERROR, logger="openedx_grade_freeze"):
        for _ in range(3):
            policy_cache.clear()
            assert write_is_vetoed(ENDED)
            assert not write_is_vetoed(RUNNING)

    state = api.get_freeze_state(ENDED)
    assert state.frozen and state.on_error == "platform-rule"
    assert state.source == "policy error: edx-platform's rule, course end + 30 days"
    assert "site configuration table unreadable" in state.error
    body = freeze_state_over_http(staff_client, ENDED)
    assert body["frozen"] is True and "site configuration table unreadable" in body["configuration_error"]
    assert body["on_error"] == "platform-rule"
    failures = [r for r in caplog.records if "Could not evaluate the grade freeze" in r.getMessage()]
    assert [r.getMessage().split(";")[0] for r in failures] == [
        f"Could not evaluate the grade freeze of course={ENDED}",
        f"Could not evaluate the grade freeze of course={RUNNING}",
    ]  # once per course, not once per write


@pytest.fixture
def unreadable_policy(site_configuration, monkeypatch):
    def broken(org, name, default=None):
        raise RuntimeError("boom")

    monkeypatch.setattr(site_configuration, "get_value_for_org", broken)


@pytest.mark.usefixtures("unreadable_policy")
@override_settings(GRADEBOOK_FREEZE_DAYS=90)
def test_the_fallback_uses_the_platforms_own_offset():
    assert not write_is_vetoed(ENDED)
    assert api.get_freeze_state(ENDED).offset_days == 90


@pytest.mark.usefixtures("unreadable_policy")
@override_settings(GRADE_FREEZE_ON_ERROR="open")
def test_only_an_explicit_setting_chooses_open():
    assert not write_is_vetoed(ENDED)
    assert api.get_freeze_state(ENDED).source == "policy error: grades left open (GRADE_FREEZE_ON_ERROR=open)"


@pytest.mark.usefixtures("unreadable_policy")
@override_settings(GRADE_FREEZE_ON_ERROR="closed")
def test_closed_refuses_every_write_while_the_policy_cannot_be_evaluated():
    with pytest.raises(GradePersistenceRequested.PreventGradePersistence, match="could not be evaluated"):
        GradePersistenceRequested.run_filter(RUNNING, user_id=1, source="tasks")


@pytest.mark.usefixtures("unreadable_policy")
@override_settings(GRADE_FREEZE_ON_ERROR="fail-open-please")
def test_an_invalid_on_error_value_is_reported_and_the_platform_rule_applies(caplog):
    assert write_is_vetoed(ENDED)
    assert not write_is_vetoed(RUNNING)
    assert "GRADE_FREEZE_ON_ERROR must be one of platform-rule, open, closed, not 'fail-open-please'" in caplog.text


def test_an_end_date_in_year_9999_is_not_frozen_from_every_entry_point(staff_client, caplog):
    assert api.are_grades_frozen(FAR) is False
    state = api.get_freeze_state(FAR)
    assert state.error is None and state.freeze_date is None
    assert state.source == "Django settings: course end + 30 days, past the last date of the calendar: never"
    assert not write_is_vetoed(FAR)
    body = freeze_state_over_http(staff_client, FAR)
    assert body["frozen"] is False and body["configuration_error"] == "" and body["on_error"] is None
    api.set_course_override(FAR, offset_days=36500, reason="longest offset")
    assert api.are_grades_frozen(FAR) is False
    assert "Traceback" not in caplog.text and "OverflowError" not in caplog.text


@pytest.mark.usefixtures("unreadable_policy")
def test_an_end_date_in_year_9999_is_not_frozen_by_the_fallback_either():
    assert not write_is_vetoed(FAR)
    assert api.get_freeze_state(FAR).source == (
        "policy error: edx-platform's rule, course end + 30 days, past the last date of the calendar: never"
    )
