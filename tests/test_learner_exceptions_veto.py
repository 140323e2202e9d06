"""
The veto honours a learner exception (issue 16 item 2), through the edx-platform stand-ins: with an open exception for
learner A, A's writes change A's grade at every learner-scoped write point, while learner B in the same course stays
unchanged, also inside one course-wide recompute; writes and checks naming no learner stay refused.
"""
import logging
from datetime import timedelta

import pytest
from opaque_keys.edx.keys import CourseKey, UsageKey

from openedx_grade_freeze import api
from openedx_grade_freeze.filters import GradePersistenceRequested
from openedx_grade_freeze.pipeline import refusal_message
from openedx_grade_freeze.platform import wiring
from openedx_grade_freeze.policy import policy_cache
from openedx_grade_freeze.tracking import UPDATE_BLOCKED
from tests.conftest import events_named
from tests.events import publish
from tests.guarded_course import now

COURSE = "course-v1:OrgX+Except101+2024"
SUBSECTION = "block-v1:OrgX+Except101+2024+type@sequential+block@week1"
A, B = 7, 8

pytestmark = pytest.mark.django_db


def course_key():
    return CourseKey.from_string(COURSE)


def recalculate(tasks, learner):
    tasks.recalculate_subsection_grade_v3.apply_async(kwargs={
        "user_id": learner, "course_id": COURSE, "usage_id": SUBSECTION, "only_if_higher": False,
        "score_deleted": False, "score_db_table": "csm",
    })


def graded_course(standins, override=None):
    """A and B enrolled and graded 8/10 (0.8) while the course is open (with a 3/10 override when asked), then the
    course frozen with an open exception for A alone. Returns the grades' modules."""
    from lms.djangoapps.grades import api as grades_api
    from lms.djangoapps.grades import models, tasks
    from openedx.core.djangoapps.content.course_overviews.models import CourseOverview

    end = now() - timedelta(days=2)
    publish(COURSE, end, time=now())
    CourseOverview.create(COURSE, end=end)
    for learner in (A, B):
        standins.enroll(standins.register_user(learner, f"learner{learner}"), COURSE)
        tasks.set_raw_score(learner, SUBSECTION, 8, 10)
        recalculate(tasks, learner)
        if override is not None:
            grades_api.override_subsection_grade(learner, COURSE, SUBSECTION, earned_graded=override)
    wiring.activate()
    publish(COURSE, now() - timedelta(days=40), time=now() + timedelta(seconds=1))  # now frozen
    policy_cache.clear()
    assert api.are_grades_frozen(COURSE) is True
    (granted,) = api.grant_learner_exceptions(COURSE, [A], reason="Appeal upheld, ticket 16")
    assert granted.status == "open"
    return grades_api, models, tasks


def seen(models, learner):
    """What the learner and staff see: the stored course grade, subsection grades and override."""
    models.PersistentCourseGrade.clear_prefetched_data(course_key())
    try:
        percent = models.PersistentCourseGrade.read(learner, COURSE).percent_grade
    except models.PersistentCourseGrade.DoesNotExist:
        percent = None
    subsections = [grade.earned_graded for grade in models.PersistentSubsectionGrade.bulk_read_grades(learner, COURSE)]
    override = models.PersistentSubsectionGradeOverride.get_override(learner, SUBSECTION)
    return percent, subsections, getattr(override, "earned_graded_override", None)


# --- each learner-scoped write point --------------------------------------------------------------------------------

def _course_grade(standins, grades_api, models, tasks, learner):
    models.PersistentCourseGrade.update_or_create(
        learner, course_key(), course_version="", course_edited_timestamp=None, grading_policy_hash="h",
        percent_grade=0.1, letter_grade="", passed=False,
    )


def _subsection_grade(standins, grades_api, models, tasks, learner):
    models.PersistentSubsectionGrade.update_or_create_grade(
        user_id=learner, usage_key=UsageKey.from_string(SUBSECTION), course_version="", subtree_edited_timestamp=None,
        earned_all=1.0, possible_all=10.0, earned_graded=1.0, possible_graded=10.0, visible_blocks=[],
        first_attempted=now(),
    )


def _bulk_subsection_grades(standins, grades_api, models, tasks, learner):
    models.PersistentSubsectionGrade.bulk_create_grades(
        [{"user_id": learner, "usage_key": SUBSECTION, "course_version": "", "subtree_edited_timestamp": None,
          "earned_all": 1.0, "possible_all": 10.0, "earned_graded": 1.0, "possible_graded": 10.0,
          "visible_blocks": [], "first_attempted": now()}],
        learner, course_key(),
    )


def _factory_update(standins, grades_api, models, tasks, learner):
    from lms.djangoapps.grades.course_grade_factory import CourseGradeFactory

    tasks.set_raw_score(learner, SUBSECTION, 1, 10)
    CourseGradeFactory().update(standins.get_user(learner), course_key=course_key(), force_update_subsections=True)


def _override_through_the_api(standins, grades_api, models, tasks, learner):
    grades_api.override_subsection_grade(learner, COURSE, SUBSECTION, earned_graded=3.0)


def _override_model(standins, grades_api, models, tasks, learner):
    grade = models.PersistentSubsectionGrade.read_grade(learner, UsageKey.from_string(SUBSECTION))
    models.PersistentSubsectionGradeOverride.update_or_create_override(
        requesting_user=None, subsection_grade_model=grade, feature="GRADEBOOK", earned_graded_override=3.0,
    )


def _recalculate_subsection(standins, grades_api, models, tasks, learner):
    tasks.set_raw_score(learner, SUBSECTION, 1, 10)
    recalculate(tasks, learner)


def _recalculate_learner(standins, grades_api, models, tasks, learner):
    tasks.set_raw_score(learner, SUBSECTION, 1, 10)
    tasks.recalculate_course_and_subsection_grades_for_user(user_id=learner, course_key=COURSE)


WRITES = [
    ("PersistentCourseGrade.update_or_create", _course_grade, (0.1, [8.0], None)),
    ("PersistentSubsectionGrade.update_or_create_grade", _subsection_grade, (0.8, [1.0], None)),
    ("PersistentSubsectionGrade.bulk_create_grades", _bulk_subsection_grades, (0.8, [1.0], None)),
    ("CourseGradeFactory.update", _factory_update, (0.1, [1.0], None)),
    ("api.override_subsection_grade", _override_through_the_api, (0.3, [8.0], 3.0)),
    ("PersistentSubsectionGradeOverride.update_or_create_override", _override_model, (0.8, [8.0], 3.0)),
    ("recalculate_subsection_grade_v3", _recalculate_subsection, (0.1, [1.0], None)),
    ("recalculate_course_and_subsection_grades_for_user", _recalculate_learner, (0.1, [1.0], None)),
]


@pytest.mark.parametrize("point, write, excepted_after", WRITES, ids=[case[0] for case in WRITES])
def test_an_open_exception_lets_the_learners_writes_through_and_no_one_elses(
    platform, tracking_events, point, write, excepted_after,
):
    grades_api, models, tasks = graded_course(platform)
    assert seen(models, A) == seen(models, B) == (0.8, [8.0], None)

    for learner in (A, B):
        write(platform, grades_api, models, tasks, learner)

    assert seen(models, A) == excepted_after
    assert seen(models, B) == (0.8, [8.0], None)
    refused = events_named(tracking_events, UPDATE_BLOCKED)
    assert refused and {event["user_id"] for event in refused} == {B}


def _undo_override(grades_api, models, learner):
    grades_api.undo_override_subsection_grade(learner, COURSE, SUBSECTION)


def _clear_course_grades(grades_api, models, learner):
    from lms.djangoapps.grades import models_api

    models_api.clear_user_course_grades(learner, course_key())


def _delete_course_grade(grades_api, models, learner):
    models.PersistentCourseGrade.delete_course_grade_for_learner(course_key(), learner)


def _delete_subsection_grades(grades_api, models, learner):
    models.PersistentSubsectionGrade.delete_subsection_grades_for_learner(learner, course_key())


DELETIONS = [
    ("api.undo_override_subsection_grade", _undo_override, (0.8, [8.0], None)),
    ("models_api.clear_user_course_grades", _clear_course_grades, (None, [], None)),
    ("PersistentCourseGrade.delete_course_grade_for_learner", _delete_course_grade, (None, [8.0], 3.0)),
    ("PersistentSubsectionGrade.delete_subsection_grades_for_learner", _delete_subsection_grades, (0.3, [], None)),
]


@pytest.mark.parametrize("point, delete, excepted_after", DELETIONS, ids=[case[0] for case in DELETIONS])
def test_an_open_exception_lets_the_learners_deletions_through_and_no_one_elses(
    platform, tracking_events, point, delete, excepted_after,
):
    grades_api, models, _ = graded_course(platform, override=3.0)
    assert seen(models, A) == seen(models, B) == (0.3, [8.0], 3.0)

    for learner in (A, B):
        delete(grades_api, models, learner)

    assert seen(models, A) == excepted_after
    assert seen(models, B) == (0.3, [8.0], 3.0)
    assert {event["user_id"] for event in events_named(tracking_events, UPDATE_BLOCKED)} == {B}


# --- a course-wide recompute changes only the excepted learners -----------------------------------------------------

@pytest.mark.parametrize("recompute", ["compute_grades_for_course", "compute_all_grades_for_course", "iter"])
def test_a_course_wide_recompute_changes_only_the_excepted_learner(platform, tracking_events, recompute, caplog):
    from lms.djangoapps.grades.course_grade_factory import CourseGradeFactory

    caplog.set_level(logging.INFO)
    _, models, tasks = graded_course(platform)
    for learner in (A, B):  # a policy change (or a rescore) would lower both grades
        tasks.set_raw_score(learner, SUBSECTION, 1, 10)

    if recompute == "compute_grades_for_course":
        tasks.compute_grades_for_course(COURSE, 0, 100)
    elif recompute == "compute_all_grades_for_course":
        tasks.compute_all_grades_for_course(course_key=COURSE)
    else:
        users = [platform.get_user(A), platform.get_user(B)]
        results = list(CourseGradeFactory().iter(users, course_key=course_key(), force_update=True))
        assert [(result.error, result.course_grade.percent) for result in results] == [(None, 0.1), (None, 0.8)]

    assert seen(models, A) == (0.1, [1.0], None)
    assert seen(models, B) == (0.8, [8.0], None)
    assert "but grades are frozen" not in caplog.text  # the task gate let the recompute run
    assert {event["user_id"] for event in events_named(tracking_events, UPDATE_BLOCKED)} == {B}


def test_without_an_open_exception_the_recompute_is_stopped_at_its_gate_as_before(platform, caplog):
    caplog.set_level(logging.INFO)
    _, models, tasks = graded_course(platform)
    (record,) = api.get_course_status(COURSE).open_exceptions
    api.close_learner_exception(record.id, reason="Appeal handled")
    tasks.set_raw_score(A, SUBSECTION, 1, 10)

    tasks.compute_grades_for_course(COURSE, 0, 100)

    assert "Attempted compute_grades_for_course for course 'course-v1:OrgX+Except101+2024', but grades are frozen." in (
        caplog.text)
    assert seen(models, A) == (0.8, [8.0], None)


# --- what names no learner stays refused -----------------------------------------------------------------------------

def test_checks_and_course_wide_writes_stay_refused_and_say_who_has_an_exception(newest_upstream, platform):
    from lms.djangoapps.grades.rest_api.v1.gradebook_views import (
        CourseGradingView,
        GradebookBulkUpdateView,
        StandinAPIError,
    )
    from lms.djangoapps.grades.rest_api.v2 import services as v2_services
    from lms.djangoapps.grades.util_services import GradesUtilService

    _, models, _ = graded_course(platform)

    class Request:
        user = platform.get_user(A)
        data = [{"user_id": A, "usage_id": SUBSECTION, "grade": {"earned_graded_override": 9.0}}]

    assert CourseGradingView().get(Request, course_key()).data["grades_frozen"] is True
    assert GradesUtilService(course_id=course_key()).are_grades_frozen() is True
    with pytest.raises(StandinAPIError) as refused:
        GradebookBulkUpdateView().post(Request, course_key())  # the Gradebook's bulk update names no one learner first
    assert refused.value.status_code == 403
    learner = type("Learner", (), {"user": platform.get_user(A)})()
    assert v2_services.record_subsection_grade_overrides(
        None, type("Course", (), {"id": course_key()})(),
        [{"username": learner, "usage_key": UsageKey.from_string(SUBSECTION), "earned_graded_override": 0.0}],
    ) == []
    assert seen(models, A) == (0.8, [8.0], None)

    with pytest.raises(GradePersistenceRequested.PreventGradePersistence) as course_wide:
        GradePersistenceRequested.run_filter(COURSE, user_id=None, source="test")
    assert course_wide.value.open_exceptions == 1
    assert "1 learner has an open exception: their grades change only by writes that name the learner." in str(
        course_wide.value)
    GradePersistenceRequested.run_filter(COURSE, user_id=A, source="test")  # no veto
    GradePersistenceRequested.run_filter(COURSE, user_id=str(A), source="test")  # a user id as text too
    with pytest.raises(GradePersistenceRequested.PreventGradePersistence) as other:
        GradePersistenceRequested.run_filter(COURSE, user_id=B, source="test")
    assert other.value.open_exceptions == 0 and "open exception" not in str(other.value)


def test_the_window_is_compared_with_the_clock_on_every_decision(platform, django_assert_num_queries):
    graded_course(platform)
    (record,) = api.get_course_status(COURSE).open_exceptions
    api.get_freeze_state(COURSE, user_id=A)  # warm

    with django_assert_num_queries(0):
        during = api.get_freeze_state(COURSE, user_id=A)
        after = api.get_freeze_state(COURSE, at=record.closes_at, user_id=A)
        other = api.get_freeze_state(COURSE, user_id=B)
        course = api.get_freeze_state(COURSE)
        later = api.get_freeze_state(COURSE, at=record.closes_at)

    assert (during.frozen, during.user_id) == (False, A)
    assert during.learner_rule == f"learner exception {record.id}, open until {record.closes_at.isoformat()}"
    assert (after.frozen, after.learner_rule) == (
        True, f"learner exception {record.id}, closed at {record.closes_at.isoformat()}")
    assert (other.frozen, other.learner_rule) == (True, None)
    assert (course.frozen, course.open_exceptions, later.open_exceptions) == (True, 1, 0)
    assert refusal_message(after, A).endswith(
        f"For user {A}: learner exception {record.id}, closed at {record.closes_at.isoformat()}.")


def test_exceptions_that_cannot_be_read_open_no_one_and_are_read_again_soon(platform, caplog, settings):
    """A fault: the exceptions table cannot be read. The course is decided without them (frozen for everyone)."""
    from django.db import connection

    graded_course(platform)
    settings.GRADE_FREEZE_POLICY_CACHE_SECONDS = 0  # "soon": the next decision
    policy_cache.clear()

    def refuse_exceptions(execute, sql, params, many, context):
        if "learnerexception" in sql:
            raise RuntimeError("table unreadable")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(refuse_exceptions):
        state = api.get_freeze_state(COURSE, user_id=A)
    assert (state.frozen, state.learner_rule) == (True, None)
    assert "Could not read the learner exceptions of course-v1:OrgX+Except101+2024" in caplog.text
    assert api.get_freeze_state(COURSE, user_id=A).frozen is False  # read again once it can be


def test_a_window_is_described_for_the_moment_asked_about(platform):
    graded_course(platform)
    (record,) = api.get_course_status(COURSE).open_exceptions
    before = api.get_freeze_state(COURSE, at=record.opens_at - timedelta(seconds=1), user_id=A)
    assert (before.frozen, before.learner_rule) == (
        True, f"learner exception {record.id}, opens at {record.opens_at.isoformat()}")
