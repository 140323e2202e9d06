"""
The plugin's tracking events as xAPI statements, through event-routing-backends' real pipeline in the host.

Events are emitted with ``tracking.emit`` into the tracker the host configures; ERB's ``event_transformer`` backend
(built by its plugin_settings, with the plugin's names allowed by ours) runs its whitelist and ``XApiProcessor``
(celery eager), which logs each statement to the ``xapi_tracking`` logger, as Aspects reads it. ERB reaches
edx-platform for users, external ids and course overviews: the stand-ins provide them.
"""
import importlib
import json
import logging
import os
import re
import subprocess
import sys
import uuid
from datetime import datetime
from types import SimpleNamespace

import pytest
from django.contrib.auth import get_user_model
from event_routing_backends import helpers
from event_routing_backends.processors.xapi import constants
from event_routing_backends.processors.xapi.registry import XApiTransformersRegistry
from event_routing_backends.settings import common as erb_settings
from eventtracking.processors.whitelist import NameWhitelistProcessor
from tincan import Statement

import openedx_grade_freeze
from openedx_grade_freeze import analytics, apps, tracking
from openedx_grade_freeze.settings import common as plugin_settings

COURSE = "course-v1:DemoX+Freeze101+2026"
OTHER_COURSE = "course-v1:DemoX+Other+2026"
ROOT = "http://localhost:18000"
EXT = analytics.EXTENSION_BASE
SYSTEM_ACTOR = {"objectType": "Agent", "name": "Open edX grade freeze",
                "account": {"homePage": ROOT, "name": "openedx-grade-freeze"}}
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

pytestmark = pytest.mark.django_db


@pytest.fixture
def xapi(platform, monkeypatch, settings, caplog):
    """ERB's pipeline switched on, its edx-platform helpers bound to the stand-ins as they would be in the LMS."""
    student = importlib.import_module("common.djangoapps.student.models")
    overviews = importlib.import_module("openedx.core.djangoapps.content.course_overviews.models")
    overviews_api = importlib.import_module("openedx.core.djangoapps.content.course_overviews.api")
    external_ids = importlib.import_module("openedx.core.djangoapps.external_user_ids.models")
    # ERB's helpers import these at LMS startup; here the stand-ins come onto sys.path after it.
    monkeypatch.setattr(helpers, "get_potentially_retired_user_by_username",
                        student.get_potentially_retired_user_by_username)
    monkeypatch.setattr(helpers, "get_course_overviews", overviews_api.get_course_overviews)
    monkeypatch.setattr(helpers, "ExternalId", external_ids.ExternalId)
    monkeypatch.setattr(helpers, "ExternalIdType", external_ids.ExternalIdType)
    helpers.get_anonymous_user_id.cache_clear()
    helpers.get_course_from_id.cache_clear()
    settings.XAPI_EVENTS_ENABLED = True
    caplog.set_level(logging.INFO, logger="xapi_tracking")
    overviews.CourseOverview.create(COURSE, display_name="Freezing grades 101")

    def statements():
        return [json.loads(record.getMessage()) for record in caplog.records if record.name == "xapi_tracking"]

    def external_id(user):
        return str(external_ids.ExternalId.add_new_user_id(user, "xapi")[0].external_user_id)

    yield SimpleNamespace(statements=statements, external_id=external_id, CourseOverview=overviews.CourseOverview)
    helpers.get_anonymous_user_id.cache_clear()
    helpers.get_course_from_id.cache_clear()


def make_user(username):
    return get_user_model().objects.create(username=username, email=f"{username}@example.com")


IRI = re.compile(r"^[a-z][a-z0-9+.-]*:[^\s]+$")
IFIS = ("mbox", "mbox_sha1sum", "openid", "account")


def assert_valid_statement(statement):
    """The xAPI 1.0.3 rules a Learning Record Store checks, on the JSON as ERB sends it."""
    assert Statement.from_json(json.dumps(statement)).to_json()  # tincan parses it back
    assert statement["version"] == "1.0.3"
    uuid.UUID(statement["id"])
    actor = statement["actor"]
    assert actor["objectType"] == "Agent"
    assert [ifi for ifi in IFIS if ifi in actor] in (["mbox"], ["mbox_sha1sum"], ["openid"], ["account"])
    if "account" in actor:
        assert IRI.match(actor["account"]["homePage"]) and actor["account"]["name"]
    verb = statement["verb"]
    assert IRI.match(verb["id"]) and verb["display"]["en"]
    obj = statement["object"]
    assert obj["objectType"] == "Activity" and IRI.match(obj["id"])
    if "type" in obj.get("definition", {}):
        assert IRI.match(obj["definition"]["type"])
    assert datetime.fromisoformat(statement["timestamp"]).tzinfo is not None
    for extensions in (statement.get("context", {}).get("extensions", {}),
                       statement.get("result", {}).get("extensions", {})):
        assert all(IRI.match(key) for key in extensions)
    score = statement.get("result", {}).get("score")
    if score:
        assert -1 <= score["scaled"] <= 1 and score["min"] <= score["raw"] <= score["max"]
    for parent in statement.get("context", {}).get("contextActivities", {}).get("parent", []):
        assert IRI.match(parent["id"])


def emit_one(xapi, name, data):
    tracking.emit(name, data)
    (statement,) = xapi.statements()
    assert_valid_statement(statement)
    return statement


def course_object(name="Freezing grades 101", course=COURSE):
    definition = {"type": constants.XAPI_ACTIVITY_COURSE}
    if name:
        definition["name"] = {"en": name}
    return {"objectType": "Activity", "id": f"{ROOT}/course/{course}", "definition": definition}


def plugin_extensions(statement):
    return {key[len(EXT):]: value for key, value in statement["context"]["extensions"].items() if key.startswith(EXT)}


def test_course_end_changed_is_the_course_edited_by_the_plugin(xapi):
    statement = emit_one(xapi, tracking.COURSE_END_CHANGED, {
        "course_id": COURSE, "previous_end": "2026-12-18T00:00:00+00:00", "new_end": "2027-01-15T00:00:00+00:00",
        "previous_freeze_date": "2027-01-17T00:00:00+00:00", "new_freeze_date": "2027-02-14T00:00:00+00:00",
        "pacing": "instructor",
    })
    assert statement["actor"] == SYSTEM_ACTOR
    assert statement["verb"] == {"id": constants.XAPI_VERB_EDITED, "display": {"en": "edited"}}
    assert statement["object"] == course_object()
    assert statement["context"]["contextActivities"]["parent"][0]["id"] == f"{ROOT}/course/{COURSE}"
    assert plugin_extensions(statement) == {
        "previous-end": "2026-12-18T00:00:00+00:00", "new-end": "2027-01-15T00:00:00+00:00",
        "previous-freeze-date": "2027-01-17T00:00:00+00:00", "new-freeze-date": "2027-02-14T00:00:00+00:00",
        "pacing": "instructor",
    }
    assert "result" not in statement


def test_config_changed_is_edited_by_the_staff_member_and_leaves_the_reason_behind(xapi):
    staff = make_user("staff")
    statement = emit_one(xapi, tracking.CONFIG_CHANGED, {
        "scope": "course", "key": COURSE, "action": "created", "before": None,
        "after": {"enabled": None, "offset_days": None, "reason": "Appeals for Jane Doe",
                  "freeze_date": "2026-11-29T23:59:00+00:00"},
        "reason": "Appeals for Jane Doe", "changed_by_user_id": staff.id,
    })
    assert statement["actor"] == {"objectType": "Agent", "account": {"homePage": ROOT, "name": xapi.external_id(staff)}}
    assert statement["object"] == course_object()
    assert plugin_extensions(statement) == {
        "scope": "course", "action": "created",
        "after": {"enabled": None, "offset_days": None, "freeze_date": "2026-11-29T23:59:00+00:00"},
    }
    assert "Jane Doe" not in json.dumps(statement)


def test_an_org_override_changed_by_code_is_the_org_edited_by_the_plugin(xapi):
    statement = emit_one(xapi, tracking.CONFIG_CHANGED, {
        "scope": "org", "key": "DemoX", "action": "deleted", "before": {"enabled": False, "offset_days": 10,
                                                                        "reason": "x"},
        "after": None, "reason": "cleanup", "changed_by_user_id": None,
    })
    assert statement["actor"] == SYSTEM_ACTOR
    assert statement["object"] == {"objectType": "Activity", "id": f"{ROOT}/org/DemoX",
                                   "definition": {"name": {"en": "DemoX"}}}
    assert "contextActivities" not in statement["context"]
    assert plugin_extensions(statement)["before"] == {"enabled": False, "offset_days": 10}


def test_update_blocked_is_the_learners_refused_attempt(xapi):
    learner = make_user("learner")
    statement = emit_one(xapi, tracking.UPDATE_BLOCKED, {
        "course_id": COURSE, "user_id": learner.id, "source": "PersistentCourseGrade.update_or_create",
        "freeze_date": "2026-10-30T00:00:00+00:00", "blocked_count": 17,
    })
    assert statement["actor"]["account"] == {"homePage": ROOT, "name": xapi.external_id(learner)}
    assert statement["verb"]["id"] == constants.XAPI_VERB_ATTEMPTED
    assert statement["result"] == {"success": False}
    assert plugin_extensions(statement) == {
        "source": "PersistentCourseGrade.update_or_create", "freeze-date": "2026-10-30T00:00:00+00:00",
        "blocked-count": 17,
    }


def test_update_blocked_without_a_learner_is_the_plugins_not_the_requesting_users(xapi):
    make_user("gradebook_staff")
    tracker_context = {"user_id": 1, "username": "gradebook_staff", "course_id": COURSE}
    from eventtracking import tracker  # pylint: disable=import-outside-toplevel
    with tracker.get_tracker().context("grade_freeze_test", tracker_context):
        statement = emit_one(xapi, tracking.UPDATE_BLOCKED, {
            "course_id": COURSE, "user_id": None, "source": "api.override_subsection_grade",
            "freeze_date": "2026-10-30T00:00:00+00:00", "blocked_count": 1,
        })
    assert statement["actor"] == SYSTEM_ACTOR


def test_course_frozen_is_the_course_closed_by_the_plugin_with_its_counts(xapi):
    statement = emit_one(xapi, tracking.COURSE_FROZEN, {
        "course_id": COURSE, "run_id": 7, "freeze_date": "2026-10-30T00:00:00+00:00", "learners": 10000,
        "frozen": 9200, "no_grade": 800, "skipped": 0, "trigger": "schedule",
    })
    assert statement["actor"] == SYSTEM_ACTOR
    assert statement["verb"] == {"id": "http://activitystrea.ms/schema/1.0/close", "display": {"en": "closed"}}
    assert plugin_extensions(statement) == {
        "freeze-date": "2026-10-30T00:00:00+00:00", "learners": 10000, "frozen": 9200, "no-grade": 800,
        "skipped": 0, "trigger": "schedule",
    }


def test_unfrozen_is_the_course_opened_by_the_operator(xapi):
    operator = make_user("operator")
    statement = emit_one(xapi, tracking.UNFROZEN, {
        "course_id": COURSE, "run_ids": [7], "learners": 10000, "reason": "Wrong end date, ticket 123",
        "user_id": operator.id,
    })
    assert statement["actor"]["account"]["name"] == xapi.external_id(operator)
    assert statement["verb"]["id"] == "http://activitystrea.ms/schema/1.0/open"
    assert plugin_extensions(statement) == {"learners": 10000}
    assert "ticket 123" not in json.dumps(statement)


def test_learner_refrozen_is_the_frozen_grade_earned_as_erb_states_a_course_grade(xapi):
    learner, operator = make_user("learner"), make_user("operator")
    statement = emit_one(xapi, tracking.LEARNER_REFROZEN, {
        "course_id": COURSE, "user_id": learner.id, "run_id": 7,
        "before": {"has_grade": True, "percent_grade": 0.41, "letter_grade": "", "passed": False,
                   "grade_modified": "2026-10-01T00:00:00+00:00"},
        "after": {"has_grade": True, "percent_grade": 0.82, "letter_grade": "B", "passed": True,
                  "grade_modified": "2026-11-01T00:00:00+00:00"},
        "reason": "Relinked account", "changed_by": operator.id,
    })
    assert statement["actor"]["account"]["name"] == xapi.external_id(learner)
    assert statement["verb"] == {"id": constants.XAPI_VERB_EARNED, "display": {"en": "earned"}}
    assert statement["result"] == {
        "score": {"min": 0.0, "max": 1.0, "raw": 0.82, "scaled": 0.82}, "success": True,
        "extensions": {constants.XAPI_ACTIVITY_GRADE_CLASSIFICATION: "B"},
    }
    assert "Relinked" not in json.dumps(statement)


def test_a_learner_refrozen_without_a_grade_earns_zero_and_fail(xapi):
    learner = make_user("learner")
    statement = emit_one(xapi, tracking.LEARNER_REFROZEN, {
        "course_id": COURSE, "user_id": learner.id, "run_id": 7, "before": None,
        "after": {"has_grade": False, "percent_grade": 0.0, "letter_grade": None, "passed": False,
                  "grade_modified": None},
        "reason": "late enrolment", "changed_by": None,
    })
    assert statement["result"]["score"]["raw"] == 0.0
    assert statement["result"]["success"] is False
    assert statement["result"]["extensions"] == {constants.XAPI_ACTIVITY_GRADE_CLASSIFICATION: "Fail"}


def test_upcoming_is_the_freeze_scheduled_by_the_plugin(xapi):
    statement = emit_one(xapi, tracking.FREEZE_UPCOMING, {
        "course_id": COURSE, "freeze_date": "2026-11-29T00:00:00+00:00", "previous_freeze_date": None,
        "days_until_freeze": 6, "course_end": "2026-10-30T00:00:00+00:00",
        "source": "Django settings: course end + 30 days",
    })
    assert statement["actor"] == SYSTEM_ACTOR
    assert statement["verb"]["id"] == "http://activitystrea.ms/schema/1.0/schedule"
    assert plugin_extensions(statement) == {
        "freeze-date": "2026-11-29T00:00:00+00:00", "days-until-freeze": 6,
        "course-end": "2026-10-30T00:00:00+00:00", "source": "Django settings: course end + 30 days",
    }


def test_a_learner_exception_is_requested_approved_and_closed_for_the_learner_without_staff_ids_or_reasons(xapi):
    learner, staff = make_user("learner"), make_user("staff")
    requested = emit_one(xapi, tracking.EXCEPTION_REQUESTED, {
        "course_id": COURSE, "exception_id": 12, "user_id": learner.id, "requested_by_user_id": staff.id,
        "closes_at": "2026-12-10T00:00:00+00:00", "reason": "Appeal by Ada Lovelace, ticket 77",
    })
    approved = xapi_next(xapi, tracking.EXCEPTION_APPROVED, {
        "course_id": COURSE, "exception_id": 12, "user_id": learner.id, "approved_by_user_id": staff.id,
        "approval": "approved", "opens_at": "2026-12-03T00:00:00+00:00", "closes_at": "2026-12-10T00:00:00+00:00",
    })
    closed = xapi_next(xapi, tracking.EXCEPTION_CLOSED, {
        "course_id": COURSE, "exception_id": 12, "user_id": learner.id, "closed_by_user_id": None,
        "how": "expired", "closes_at": "2026-12-10T00:00:00+00:00", "reason": "Its window ended.",
    })

    for statement in (requested, approved, closed):
        assert statement["actor"]["account"] == {"homePage": ROOT, "name": xapi.external_id(learner)}
        assert statement["object"] == course_object()
        text = json.dumps(statement)
        assert "Ada" not in text and "ticket" not in text and "window ended" not in text
    assert requested["verb"] == {"id": "http://activitystrea.ms/schema/1.0/request", "display": {"en": "requested"}}
    assert approved["verb"] == {"id": "http://activitystrea.ms/schema/1.0/approve", "display": {"en": "approved"}}
    assert closed["verb"] == {"id": "http://activitystrea.ms/schema/1.0/close", "display": {"en": "closed"}}
    assert plugin_extensions(requested) == {"exception-id": 12, "closes-at": "2026-12-10T00:00:00+00:00"}
    assert plugin_extensions(approved) == {"exception-id": 12, "approval": "approved",
                                           "opens-at": "2026-12-03T00:00:00+00:00",
                                           "closes-at": "2026-12-10T00:00:00+00:00"}
    assert plugin_extensions(closed) == {"exception-id": 12, "how": "expired",
                                         "closes-at": "2026-12-10T00:00:00+00:00"}


def xapi_next(xapi, name, data):
    """Emit one more event and return its statement (the newest), checked as valid."""
    count = len(xapi.statements())
    tracking.emit(name, data)
    statements = xapi.statements()
    assert len(statements) == count + 1
    assert_valid_statement(statements[-1])
    return statements[-1]


def test_a_course_without_an_overview_still_gets_a_valid_statement(xapi):
    statement = emit_one(xapi, tracking.FREEZE_UPCOMING, {
        "course_id": OTHER_COURSE, "freeze_date": "2026-11-29T00:00:00+00:00", "days_until_freeze": 6,
    })
    assert statement["object"] == course_object(name=None, course=OTHER_COURSE)


def test_an_unknown_learner_drops_the_statement_as_erb_does_and_the_caller_goes_on(xapi, caplog):
    tracking.emit(tracking.UPDATE_BLOCKED, {"course_id": COURSE, "user_id": 987654, "source": "x",
                                            "freeze_date": None, "blocked_count": 1})
    assert xapi.statements() == []
    assert any("987654" in record.getMessage() for record in caplog.records if record.levelno >= logging.WARNING)


@pytest.mark.parametrize("ifi", ["mbox", "mbox_sha1sum"])
def test_erbs_actor_setting_applies_to_learners_not_to_the_plugin(xapi, settings, ifi):
    settings.XAPI_AGENT_IFI_TYPE = ifi
    learner = make_user("learner")
    blocked = emit_one(xapi, tracking.UPDATE_BLOCKED, {"course_id": COURSE, "user_id": learner.id, "source": "x",
                                                       "freeze_date": None, "blocked_count": 1})
    assert ifi in blocked["actor"]
    tracking.emit(tracking.COURSE_FROZEN, {"course_id": COURSE, "learners": 1})
    assert xapi.statements()[-1]["actor"] == SYSTEM_ACTOR


def _transform(name, data, timestamp="2026-11-22T09:00:00.412000+00:00"):
    event = {"name": name, "timestamp": timestamp, "context": {}, "data": data}
    return XApiTransformersRegistry.get_transformer(event).transform()


def test_statement_ids_are_stable_and_differ_per_course(xapi):  # pylint: disable=unused-argument
    first = _transform(tracking.FREEZE_UPCOMING, {"course_id": COURSE, "freeze_date": None})
    again = _transform(tracking.FREEZE_UPCOMING, {"course_id": COURSE, "freeze_date": None})
    other = _transform(tracking.FREEZE_UPCOMING, {"course_id": OTHER_COURSE, "freeze_date": None})
    assert first.id == again.id
    assert first.id != other.id


def test_every_tracking_event_has_a_registered_transformer():
    for name in tracking.EVENT_NAMES:
        transformer = XApiTransformersRegistry.mapping[name]
        assert issubclass(transformer, analytics.FreezeEventTransformer)
        assert transformer.statement.event_name == name
    assert {s.event_name for s in analytics.STATEMENTS} == set(tracking.EVENT_NAMES)


def test_the_host_allows_the_plugins_events_and_erbs_own(settings):
    allowed = settings.EVENT_TRACKING_BACKENDS_ALLOWED_XAPI_EVENTS
    assert set(tracking.EVENT_NAMES) <= set(allowed)
    assert "edx.grades.course.grade_calculated" in allowed
    assert len(allowed) == len(set(allowed))


# ERB's plugin_settings and ours run in entry-point order, which nothing fixes: both orders must allow the events.

def _lms_settings(**values):
    return SimpleNamespace(LMS_ROOT_URL=ROOT, EVENT_TRACKING_BACKENDS={}, **values)


def _whitelists(settings):
    options = settings.EVENT_TRACKING_BACKENDS["event_transformer"]["OPTIONS"]
    outer = options["processors"][0]["OPTIONS"]["whitelist"]
    xapi = options["backends"]["xapi"]["OPTIONS"]["processors"][0]["OPTIONS"]["whitelist"]
    return [NameWhitelistProcessor(whitelist=outer), NameWhitelistProcessor(whitelist=xapi)]


def _passes(processor, name):
    try:
        processor({"name": name})
    except Exception:  # pylint: disable=broad-except  (EventEmissionExit: filtered out)
        return False
    return True


@pytest.mark.parametrize("order", ["plugin first", "erb first"])
def test_the_events_pass_erbs_whitelists_in_either_settings_order(order):
    settings = _lms_settings(EVENT_TRACKING_BACKENDS_ALLOWED_XAPI_EVENTS=["operator.custom.event"])
    steps = [plugin_settings.allow_xapi_events, erb_settings.plugin_settings]
    for step in steps if order == "plugin first" else reversed(steps):
        step(settings)
    plugin_settings.allow_xapi_events(settings)  # production settings run ours again: nothing doubles
    for processor in _whitelists(settings):
        for name in [*tracking.EVENT_NAMES, "edx.grades.course.grade_calculated", "operator.custom.event"]:
            assert _passes(processor, name), (order, name)
        assert not _passes(processor, "edx.unknown.event")
    allowed = settings.EVENT_TRACKING_BACKENDS_ALLOWED_XAPI_EVENTS
    assert len(allowed) == len(set(allowed))
    assert set(tracking.EVENT_NAMES) <= settings.EVENT_BUS_TRACKING_LOGS


def test_without_erb_the_allow_list_is_only_a_list_of_names():
    settings = _lms_settings(EVENT_TRACKING_BACKENDS_ALLOWED_XAPI_EVENTS=("operator.custom.event",))
    plugin_settings.allow_xapi_events(settings)
    assert settings.EVENT_TRACKING_BACKENDS_ALLOWED_XAPI_EVENTS == ["operator.custom.event", *tracking.EVENT_NAMES]
    assert settings.EVENT_TRACKING_BACKENDS == {}


# Without event-routing-backends installed.

def forget_analytics(monkeypatch):
    """Make the next import of ``openedx_grade_freeze.analytics`` run the module again (restored afterwards)."""
    monkeypatch.delitem(sys.modules, "openedx_grade_freeze.analytics")
    monkeypatch.delattr(openedx_grade_freeze, "analytics")


def test_registration_imports_nothing_when_erb_is_absent(monkeypatch, caplog):
    monkeypatch.setitem(sys.modules, "event_routing_backends", None)  # as if not installed: not importable
    forget_analytics(monkeypatch)
    caplog.set_level(logging.INFO, logger="openedx_grade_freeze.apps")
    assert apps.register_xapi_transformers() is False
    assert "openedx_grade_freeze.analytics" not in sys.modules
    assert "event-routing-backends is not installed" in caplog.text


def test_a_broken_erb_is_logged_and_the_app_starts(monkeypatch, caplog):
    forget_analytics(monkeypatch)
    monkeypatch.setitem(sys.modules, "event_routing_backends.processors.xapi.registry", None)
    assert apps.register_xapi_transformers() is False
    assert "could not register the xAPI transformers" in caplog.text


HIDE_ERB = """
import importlib.abc, json, os, sys
class Hide(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "event_routing_backends":
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
sys.meta_path.insert(0, Hide())
os.environ["DJANGO_SETTINGS_MODULE"] = "tests.host.settings"
import django
django.setup()
from django.conf import settings
from openedx_grade_freeze import tracking
tracking.emit(tracking.COURSE_END_CHANGED, {"course_id": "course-v1:DemoX+Freeze101+2026", "new_end": None})
print(json.dumps({
    "apps": list(settings.INSTALLED_APPS),
    "backends": sorted(settings.EVENT_TRACKING_BACKENDS),
    "loaded": sorted(m for m in sys.modules
                     if m.startswith(("event_routing_backends", "openedx_grade_freeze.analytics"))),
}))
"""


def test_the_host_starts_and_emits_without_erb():
    result = subprocess.run([sys.executable, "-c", HIDE_ERB], cwd=REPO, env=dict(os.environ, PYTHONPATH=REPO),
                            capture_output=True, text=True, timeout=120, check=True)
    state = json.loads(result.stdout.strip().splitlines()[-1])
    assert "openedx_grade_freeze.apps.GradeFreezeConfig" in state["apps"]
    assert not any(app.startswith("event_routing_backends") for app in state["apps"])
    assert state["backends"] == ["tracking_logs"]
    assert state["loaded"] == []
    assert "event-routing-backends is not installed" in result.stderr
    assert "Traceback" not in result.stderr
