"""
The platform adapter against the edx-platform stand-ins: wiring, the veto at every write point, drift, and undoing.

Courses are frozen or not through the plugin's own policy (a published schedule and its settings); the stand-ins'
``CourseOverview`` carries the same end date so upstream's own rule would agree unless a test says otherwise.
"""
import importlib
import inspect
import logging
import sys
import types
from datetime import datetime, timedelta, timezone

import pytest
from django.test import override_settings
from opaque_keys.edx.keys import CourseKey, UsageKey

from openedx_grade_freeze import api, blocked
from openedx_grade_freeze.platform import modules, wiring
from openedx_grade_freeze.policy import policy_cache
from openedx_grade_freeze.tracking import UPDATE_BLOCKED
from tests.conftest import events_named
from tests.events import publish
from tests.host import telemetry

COURSE = "course-v1:OrgX+Freeze101+2024"
SUBSECTION = "block-v1:OrgX+Freeze101+2024+type@sequential+block@week1"
GRADES = "lms.djangoapps.grades"
LEARNER = 7

pytestmark = pytest.mark.django_db

# Modules that bind an upstream freeze check by name, the attribute, and how the plugin's answer is read there.
CHECK_SITES = [
    (f"{GRADES}.tasks", "are_grades_frozen", "are_grades_frozen@lms.djangoapps.grades.tasks"),
    (f"{GRADES}.rest_api.v1.gradebook_views", "are_grades_frozen",
     "are_grades_frozen@lms.djangoapps.grades.rest_api.v1.gradebook_views"),
    (f"{GRADES}.rest_api.v2.permissions", "are_grades_frozen",
     "are_grades_frozen@lms.djangoapps.grades.rest_api.v2.permissions"),
    (f"{GRADES}.rest_api.v2.services", "grades_frozen", "rest_api.v2.services.grades_frozen"),
    (f"{GRADES}.grade_utils", "are_grades_frozen", "grade_utils.are_grades_frozen"),
]


def now():
    return datetime.now(timezone.utc)


def make_course(standins, ended_days_ago):
    """Publish the course's schedule (the plugin's policy input) and give it a matching CourseOverview."""
    from openedx.core.djangoapps.content.course_overviews.models import CourseOverview

    end = now() - timedelta(days=ended_days_ago)
    publish(COURSE, end, time=now())
    policy_cache.clear()
    overview = CourseOverview.create(COURSE, end=end)
    standins.enroll(standins.register_user(LEARNER, "learner"), COURSE)
    return overview


def recalculate(tasks):
    tasks.recalculate_subsection_grade_v3.apply_async(kwargs={
        "user_id": LEARNER, "course_id": COURSE, "usage_id": SUBSECTION, "only_if_higher": False,
        "score_deleted": False, "score_db_table": "csm",
    })


def store_grade(standins, earned=8):
    """A stored subsection and course grade, written while nothing is wired."""
    from lms.djangoapps.grades import tasks

    tasks.set_raw_score(LEARNER, SUBSECTION, earned, 10)
    recalculate(tasks)


def is_wired(function):
    return getattr(function, "grade_freeze_source", None)


# --- when the adapter stays off -------------------------------------------------------------------------------------

def test_without_edx_platform_it_logs_one_info_line_and_does_nothing(caplog):
    modules.forget_imports()
    with caplog.at_level(logging.INFO, logger="openedx_grade_freeze.platform.wiring"):
        assert wiring.activate() is False

    (record,) = [r for r in caplog.records if r.name == "openedx_grade_freeze.platform.wiring"]
    assert record.levelno == logging.INFO
    assert "no edx-platform here" in record.getMessage()
    assert wiring.describe()["active"] is False


@pytest.mark.parametrize("overrides, says", [
    ({"SERVICE_VARIANT": "cms"}, "Studio"),
    ({"ROOT_URLCONF": "cms.urls", "SERVICE_VARIANT": "lms"}, "Studio"),
    ({"SERVICE_VARIANT": None}, "not running in edx-platform's LMS"),
    ({"GRADE_FREEZE_PLATFORM_ADAPTER_ENABLED": False}, "disabled by GRADE_FREEZE_PLATFORM_ADAPTER_ENABLED"),
])
def test_studio_unknown_service_and_disabled_wire_nothing(platform, caplog, overrides, says):
    from lms.djangoapps.grades import grade_utils, models

    original_check = grade_utils.are_grades_frozen
    original_write = models.PersistentCourseGrade.__dict__["update_or_create"]
    with override_settings(**overrides), caplog.at_level(logging.INFO, logger="openedx_grade_freeze"):
        assert wiring.activate() is False

    (record,) = [r for r in caplog.records if r.name == "openedx_grade_freeze.platform.wiring"]
    assert record.levelno == logging.INFO and says in record.getMessage()
    assert grade_utils.are_grades_frozen is original_check
    assert models.PersistentCourseGrade.__dict__["update_or_create"] is original_write
    assert wiring.describe()["wired"] == []


# --- wiring --------------------------------------------------------------------------------------------------------

def test_startup_logs_the_wired_points_and_those_wired_on_import(newest_upstream, platform, caplog):
    with caplog.at_level(logging.INFO, logger="openedx_grade_freeze.platform.wiring"):
        assert wiring.activate() is True

    (line,) = [r.getMessage() for r in caplog.records if "wired the grade freeze into edx-platform" in r.getMessage()]
    for point in ("grade_utils.are_grades_frozen", "models.PersistentCourseGrade.update_or_create",
                  "models.PersistentSubsectionGrade.update_or_create_grade",
                  "models.PersistentSubsectionGrade.bulk_create_grades",
                  "models.PersistentSubsectionGradeOverride.update_or_create_override"):
        assert point in line
    status = wiring.describe()
    assert status["active"] and status["problems"] == {}
    assert "rest_api.v2.services.grades_frozen" in status["pending"]
    assert "api.override_subsection_grade" in status["pending"]


@pytest.mark.parametrize("release", ["teak", "ulmo", "verawood"])
def test_a_release_without_the_grades_api_v2_has_nothing_there_to_wire_and_no_drift(platform, release, caplog):
    """The v2 module is newer than the supported releases: its absence is logged as such, never as drift."""
    platform.use_variant(release)
    with caplog.at_level(logging.INFO, logger="openedx_grade_freeze.platform.wiring"):
        assert wiring.activate() is True

    status = wiring.describe()
    assert status["problems"] == {}
    assert sorted(status["absent"]) == ["rest_api.v2.services.grades_frozen",
                                        "rest_api.v2.services.record_subsection_grade_overrides"]
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    from lms.djangoapps.grades import tasks

    assert tasks.are_grades_frozen.grade_freeze_source == "are_grades_frozen@lms.djangoapps.grades.tasks"


@pytest.mark.parametrize("order", ["imported before activation", "imported after activation"])
@pytest.mark.parametrize("module_name, attribute, source", CHECK_SITES)
def test_every_freeze_check_follows_the_plugin_whatever_the_import_order(newest_upstream, platform, order,
                                                                         module_name, attribute, source):
    if order == "imported before activation":
        module = importlib.import_module(module_name)
        wiring.activate()
    else:
        wiring.activate()
        assert module_name not in sys.modules or module_name.endswith("grade_utils")
        module = importlib.import_module(module_name)

    check = getattr(module, attribute)
    assert is_wired(check) == source
    # Ended 10 days ago: frozen with a 5-day plugin offset, though upstream's own 30-day rule says not.
    overview = make_course(platform, ended_days_ago=10)

    def frozen():
        return check(overview.id, overview.end) if attribute == "grades_frozen" else check(overview.id)

    assert frozen() is False
    with override_settings(GRADE_FREEZE_OFFSET_DAYS=5):
        policy_cache.clear()
        assert frozen() is True
    # Ended 40 days ago: upstream says frozen; a 60-day plugin offset says not.
    overview.end = now() - timedelta(days=40)
    publish(COURSE, overview.end, time=now() + timedelta(seconds=1))
    with override_settings(GRADE_FREEZE_OFFSET_DAYS=60):
        policy_cache.clear()
        assert frozen() is False


def test_tasks_gradebook_and_xblock_service_answer_per_the_plugin_policy(platform, caplog):
    from lms.djangoapps.grades import tasks
    from lms.djangoapps.grades.models import PersistentCourseGrade
    from lms.djangoapps.grades.rest_api.v1.gradebook_views import (
        CourseGradingView,
        GradebookBulkUpdateView,
        StandinAPIError,
    )
    from lms.djangoapps.grades.util_services import GradesUtilService

    wiring.activate()
    overview = make_course(platform, ended_days_ago=10)

    class Request:
        user = platform.get_user(LEARNER)
        data = [{"user_id": LEARNER, "usage_id": SUBSECTION, "grade": {"earned_graded_override": 9.0}}]

    tasks.set_raw_score(LEARNER, SUBSECTION, 8, 10)
    recalculate(tasks)
    assert PersistentCourseGrade.read(LEARNER, COURSE).percent_grade == 0.8
    assert CourseGradingView().get(Request, overview.id).data["grades_frozen"] is False
    assert GradesUtilService(course_id=overview.id).are_grades_frozen() is False

    with override_settings(GRADE_FREEZE_OFFSET_DAYS=5), caplog.at_level(logging.INFO):
        policy_cache.clear()
        writes = len(platform.WRITE_LOG)
        tasks.set_raw_score(LEARNER, SUBSECTION, 1, 10)
        recalculate(tasks)
        tasks.compute_all_grades_for_course(course_key=COURSE)
        tasks.compute_grades_for_course(COURSE, 0, 100)
        tasks.recalculate_course_and_subsection_grades_for_user(user_id=LEARNER, course_key=COURSE)
        assert len(platform.WRITE_LOG) == writes
        assert "Attempted _recalculate_subsection_grade for course" in caplog.text
        assert CourseGradingView().get(Request, overview.id).data["grades_frozen"] is True
        assert GradesUtilService(course_id=overview.id).are_grades_frozen() is True
        with pytest.raises(StandinAPIError) as refused:
            GradebookBulkUpdateView().post(Request, overview.id)
        assert (refused.value.status_code, refused.value.error_code) == (403, "grades_frozen")
    policy_cache.clear()
    assert PersistentCourseGrade.read(LEARNER, COURSE).percent_grade == 0.8


# --- the persistence methods ----------------------------------------------------------------------------------------

def _write_course_grade(models, percent):
    return models.PersistentCourseGrade.update_or_create(
        LEARNER, CourseKey.from_string(COURSE), course_version="", course_edited_timestamp=None,
        grading_policy_hash="h", percent_grade=percent, letter_grade="Pass" if percent >= 0.5 else "",
        passed=percent >= 0.5,
    )


def _write_subsection_grade(models, earned):
    return models.PersistentSubsectionGrade.update_or_create_grade(
        user_id=LEARNER, usage_key=UsageKey.from_string(SUBSECTION), course_version="", subtree_edited_timestamp=None,
        earned_all=earned, possible_all=10.0, earned_graded=earned, possible_graded=10.0, visible_blocks=[],
        first_attempted=now(),
    )


def _bulk_create(models, earned):
    return models.PersistentSubsectionGrade.bulk_create_grades(
        [{"user_id": LEARNER, "usage_key": SUBSECTION, "course_version": "", "subtree_edited_timestamp": None,
          "earned_all": earned, "possible_all": 10.0, "earned_graded": earned, "possible_graded": 10.0,
          "visible_blocks": [], "first_attempted": now()}],
        LEARNER, CourseKey.from_string(COURSE),
    )


WRITES = [
    ("PersistentCourseGrade.update_or_create", _write_course_grade, 0.8, 0.1, lambda g: g.percent_grade),
    ("PersistentSubsectionGrade.update_or_create_grade", _write_subsection_grade, 8.0, 1.0, lambda g: g.earned_graded),
    ("PersistentSubsectionGrade.bulk_create_grades", _bulk_create, 8.0, 1.0, lambda g: g[0].earned_graded),
]


@pytest.mark.parametrize("source, write, stored_value, new_value, value_of", WRITES)
def test_a_frozen_course_write_is_not_persisted_returns_the_stored_grade_and_is_reported(
    platform, tracking_events, source, write, stored_value, new_value, value_of,
):
    from lms.djangoapps.grades import models

    make_course(platform, ended_days_ago=2)
    stored = write(models, stored_value)
    wiring.activate()
    publish(COURSE, now() - timedelta(days=40), time=now() + timedelta(seconds=1))  # now frozen
    policy_cache.clear()
    writes = len(platform.WRITE_LOG)

    result = write(models, new_value)

    assert len(platform.WRITE_LOG) == writes
    assert value_of(result) == value_of(stored if not isinstance(stored, list) else stored) == stored_value
    (event,) = events_named(tracking_events, UPDATE_BLOCKED)
    assert (event["course_id"], event["user_id"], event["source"], event["blocked_count"]) == (
        COURSE, LEARNER, source, 1
    )
    blocked.flush_blocked_counts()  # the refused list names the learner the write point was called for
    assert [(entry.user_id, entry.source, entry.count) for entry in api.get_course_status(COURSE).refused_learners] \
        == [(LEARNER, source, 1)]


def test_a_frozen_write_with_nothing_stored_returns_none_and_never_raises(platform, tracking_events):
    from lms.djangoapps.grades import models
    from lms.djangoapps.grades.course_grade_factory import CourseGradeFactory

    make_course(platform, ended_days_ago=40)
    wiring.activate()

    assert _write_course_grade(models, 0.9) is None
    assert _write_subsection_grade(models, 9.0) is None
    assert _bulk_create(models, 9.0) == []
    CourseGradeFactory().update(platform.get_user(LEARNER), course_key=CourseKey.from_string(COURSE))
    assert platform.WRITE_LOG == []
    assert {e["source"] for e in events_named(tracking_events, UPDATE_BLOCKED)} == {
        "PersistentCourseGrade.update_or_create", "PersistentSubsectionGrade.update_or_create_grade",
        "PersistentSubsectionGrade.bulk_create_grades", "CourseGradeFactory.update",
    }


@pytest.mark.parametrize("source, write, stored_value, new_value, value_of", WRITES)
def test_an_unfrozen_course_write_goes_through_with_the_same_arguments_and_result(
    platform, tracking_events, source, write, stored_value, new_value, value_of,
):
    from lms.djangoapps.grades import models

    make_course(platform, ended_days_ago=2)
    class_name, method = source.split(".")
    original = getattr(getattr(models, class_name), method)
    wiring.activate()
    wired = getattr(getattr(models, class_name), method)

    assert is_wired(wired) == source
    assert inspect.signature(wired) == inspect.signature(original)
    result = write(models, new_value)

    assert value_of(result) == new_value
    assert platform.WRITE_LOG[-1][0] == class_name
    assert events_named(tracking_events, UPDATE_BLOCKED) == []


def test_course_grade_write_keeps_upstream_side_effects_when_unfrozen(platform):
    from lms.djangoapps.grades import models

    make_course(platform, ended_days_ago=2)
    wiring.activate()

    grade = _write_course_grade(models, 0.8)
    assert grade is models.PersistentCourseGrade.read(LEARNER, COURSE)
    assert grade.passed_timestamp is not None


# --- overrides -----------------------------------------------------------------------------------------------------

def test_overrides_of_a_frozen_course_store_nothing_and_return_as_upstream_does(newest_upstream, platform,
                                                                               tracking_events):
    from lms.djangoapps.grades import api
    from lms.djangoapps.grades.models import PersistentSubsectionGradeOverride
    from lms.djangoapps.grades.rest_api.v2 import services as v2_services
    from lms.djangoapps.grades.rest_api.v2.errors import GradesFrozen
    from lms.djangoapps.grades.rest_api.v2.permissions import GradesNotFrozen
    from lms.djangoapps.grades.services import GradesService

    overview = make_course(platform, ended_days_ago=2)
    store_grade(platform)
    wiring.activate()
    publish(COURSE, now() - timedelta(days=40), time=now() + timedelta(seconds=1))
    policy_cache.clear()
    writes = len(platform.WRITE_LOG)

    # Upstream's override_subsection_grade returns None; a refused one returns the same and raises nothing.
    assert api.override_subsection_grade(LEARNER, COURSE, SUBSECTION, earned_graded=0.0) is None
    assert GradesService().override_subsection_grade(LEARNER, COURSE, SUBSECTION, earned_graded=0.0) is None
    learner = types.SimpleNamespace(user=platform.get_user(LEARNER))
    assert v2_services.record_subsection_grade_overrides(
        None, overview, [{"username": learner, "usage_key": UsageKey.from_string(SUBSECTION),
                          "earned_graded_override": 0.0}],
    ) == []
    with pytest.raises(GradesFrozen):
        GradesNotFrozen().has_permission(None, types.SimpleNamespace(get_course_key=lambda: overview.id))

    assert len(platform.WRITE_LOG) == writes
    assert PersistentSubsectionGradeOverride.get_override(LEARNER, SUBSECTION) is None
    sources = {e["source"] for e in events_named(tracking_events, UPDATE_BLOCKED)}
    assert {"api.override_subsection_grade", "rest_api.v2.services.record_subsection_grade_overrides"} <= sources


def test_overrides_of_an_open_course_are_stored_and_applied(platform):
    from lms.djangoapps.grades import api
    from lms.djangoapps.grades.models import PersistentCourseGrade, PersistentSubsectionGradeOverride

    make_course(platform, ended_days_ago=2)
    store_grade(platform)
    wiring.activate()

    api.override_subsection_grade(LEARNER, COURSE, SUBSECTION, earned_graded=2.0)

    assert PersistentSubsectionGradeOverride.get_override(LEARNER, SUBSECTION).earned_graded_override == 2.0
    assert PersistentCourseGrade.read(LEARNER, COURSE).percent_grade == 0.2


# --- drift, failure, undo --------------------------------------------------------------------------------------------

def test_a_missing_or_changed_write_point_is_reported_and_the_rest_still_wired(platform, caplog, monkeypatch):
    from lms.djangoapps.grades import models

    monkeypatch.delattr(models.PersistentSubsectionGrade, "bulk_create_grades")
    monkeypatch.setattr(models.PersistentCourseGrade, "update_or_create",
                        classmethod(lambda cls, user_id, course_key, **kwargs: None))
    telemetry.ATTRIBUTES.clear()

    with caplog.at_level(logging.INFO, logger="openedx_grade_freeze"):
        assert wiring.activate() is True

    problems = wiring.describe()["problems"]
    assert set(problems) == {"PersistentSubsectionGrade.bulk_create_grades", "PersistentCourseGrade.update_or_create"}
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert any("PersistentSubsectionGrade.bulk_create_grades is missing" in e for e in errors)
    assert any("PersistentCourseGrade.update_or_create has parameters ('user_id', 'course_key', '**kwargs'), "
               "expected ('user_id', 'course_id', '**kwargs')" in e for e in errors)
    drift = "PersistentCourseGrade.update_or_create,PersistentSubsectionGrade.bulk_create_grades"
    assert (wiring.DRIFT_ATTRIBUTE, drift) in telemetry.ATTRIBUTES
    assert is_wired(models.PersistentSubsectionGrade.update_or_create_grade)
    assert not is_wired(models.PersistentCourseGrade.update_or_create)


def test_a_holder_that_no_longer_imports_the_check_by_name_is_reported(platform, caplog):
    from lms.djangoapps.grades import tasks

    del tasks.are_grades_frozen
    with caplog.at_level(logging.ERROR, logger="openedx_grade_freeze"):
        wiring.activate()

    assert wiring.describe()["problems"] == {
        "lms.djangoapps.grades.tasks": "no longer imports are_grades_frozen by name"
    }


def test_an_unexpected_failure_never_reaches_the_lms_start(platform, caplog):
    class Exploding(types.ModuleType):
        def __getattr__(self, name):
            raise RuntimeError("half-initialised module")

    importlib.import_module(f"{GRADES}.models")
    real_models = sys.modules[f"{GRADES}.models"]
    sys.modules[f"{GRADES}.models"] = Exploding(f"{GRADES}.models")
    try:
        with caplog.at_level(logging.ERROR, logger="openedx_grade_freeze"):
            assert wiring.activate() is False
    finally:
        sys.modules[f"{GRADES}.models"] = real_models

    assert "could not wire edx-platform's grade write points" in caplog.text
    assert wiring.describe()["active"] is False
    from lms.djangoapps.grades import grade_utils
    assert not is_wired(grade_utils.are_grades_frozen)


def test_deactivate_restores_every_original_function(newest_upstream, platform):
    from lms.djangoapps.grades import api, grade_utils, models, tasks

    originals = {
        "check": grade_utils.are_grades_frozen,
        "tasks": tasks.are_grades_frozen,
        "override": api.override_subsection_grade,
        **{name: cls.__dict__[method] for name, cls, method in (
            ("course", models.PersistentCourseGrade, "update_or_create"),
            ("subsection", models.PersistentSubsectionGrade, "update_or_create_grade"),
            ("bulk", models.PersistentSubsectionGrade, "bulk_create_grades"),
            ("override_model", models.PersistentSubsectionGradeOverride, "update_or_create_override"),
        )},
    }
    wiring.activate()
    from lms.djangoapps.grades.rest_api.v1 import gradebook_views  # imported while wired
    from lms.djangoapps.grades.rest_api.v2 import services as v2_services
    v2_original = v2_services.grades_frozen.grade_freeze_original
    assert is_wired(gradebook_views.are_grades_frozen) and is_wired(tasks.are_grades_frozen)

    wiring.deactivate()

    assert grade_utils.are_grades_frozen is originals["check"]
    assert tasks.are_grades_frozen is originals["check"] is originals["tasks"]
    assert gradebook_views.are_grades_frozen is originals["check"]
    assert v2_services.grades_frozen is v2_original
    assert api.override_subsection_grade is originals["override"]
    assert models.PersistentCourseGrade.__dict__["update_or_create"] is originals["course"]
    assert models.PersistentSubsectionGrade.__dict__["update_or_create_grade"] is originals["subsection"]
    assert models.PersistentSubsectionGrade.__dict__["bulk_create_grades"] is originals["bulk"]
    assert models.PersistentSubsectionGradeOverride.__dict__["update_or_create_override"] is originals["override_model"]
    assert wiring.describe() == {"active": False, "reason": "not activated", "wired": [], "pending": [],
                                           "problems": {}, "upstream": [], "absent": {}}
    assert not any(isinstance(f, wiring._WiringFinder) for f in sys.meta_path)  # pylint: disable=protected-access


def test_activating_twice_wires_once(platform):
    from lms.djangoapps.grades import grade_utils, tasks

    original = grade_utils.are_grades_frozen
    wiring.activate()
    wiring.activate()

    assert tasks.are_grades_frozen.grade_freeze_original is original
    assert grade_utils.are_grades_frozen.grade_freeze_original is original
