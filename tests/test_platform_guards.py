"""
The guards at edx-platform's grade points (issue 8): signatures that gain optional parameters stay wired, deletions
and overrides in a frozen course change nothing and raise nothing, a refused update sends no grade signal, and a
check is never counted as a refused update.
"""
import inspect
from datetime import timedelta

import pytest
from django.test import override_settings
from opaque_keys.edx.keys import CourseKey, UsageKey

from openedx_grade_freeze import api as freeze_api
from openedx_grade_freeze.platform import wiring
from openedx_grade_freeze.policy import policy_cache
from openedx_grade_freeze.tracking import UPDATE_BLOCKED
from tests.conftest import events_named
from tests.guarded_course import COURSE, LEARNER, freeze_now, make_course, now

SUBSECTION = "block-v1:OrgX+Guard101+2024+type@sequential+block@week1"

pytestmark = pytest.mark.django_db


# --- signature matching ---------------------------------------------------------------------------------------------

def _signature(text):
    namespace = {}
    exec(f"def f{text}: pass", namespace)  # pylint: disable=exec-used
    return inspect.signature(namespace["f"])


@pytest.mark.parametrize("signature, expected, bound_first, problem", [
    # Today's upstream signatures.
    ("(cls, **params)", ("**params",), True, None),
    ("(cls, grade_params_iter, user_id, course_key)", ("grade_params_iter", "user_id", "course_key"), True, None),
    # Open PR #38862: a new optional parameter in front of **params, and one at the end.
    ("(cls, grading_policy_hash=None, **params)", ("**params",), True, None),
    ("(cls, grade_params_iter, user_id, course_key, grading_policy_hash=None)",
     ("grade_params_iter", "user_id", "course_key"), True, None),
    # New keyword-only options and a new **kwargs are fine too.
    ("(user_id, course_key, *, reason='', **kwargs)", ("user_id", "course_key"), False, None),
    # A renamed parameter, a reordered one, a new required one, a **params turned into a dict: drift.
    ("(cls, user_id, course_key, **kwargs)", ("user_id", "course_id", "**kwargs"), True,
     "has parameters ('user_id', 'course_key', '**kwargs'), "
     "expected ('user_id', 'course_id', '**kwargs') in this order"),
    ("(cls, user_id, grade_params_iter, course_key)", ("grade_params_iter", "user_id", "course_key"), True,
     "has parameters ('user_id', 'grade_params_iter', 'course_key'), expected"),
    ("(cls, grade_params_iter, user_id, course_key, grading_policy_hash)",
     ("grade_params_iter", "user_id", "course_key"), True, "has new required parameters ('grading_policy_hash',)"),
    ("(cls, params)", ("**params",), True, "has parameters ('params',), expected ('**params',)"),
    ("()", ("user_id",), True, "has no cls/self parameter"),
])
def test_a_point_matches_when_its_parameters_are_there_in_order_and_every_extra_is_optional(
    signature, expected, bound_first, problem,
):
    found = wiring.signature_problem(_signature(signature), expected, bound_first=bound_first)
    if problem is None:
        assert found is None
    else:
        assert found is not None and found.startswith(problem)


# --- through the stand-ins ------------------------------------------------------------------------------------------

def store_grade(earned=8):
    """The learner's subsection and course grade, stored through upstream's recalculation and the factory."""
    import standin_support  # pylint: disable=import-outside-toplevel
    from lms.djangoapps.grades import tasks
    from lms.djangoapps.grades.course_grade_factory import CourseGradeFactory

    tasks.set_raw_score(LEARNER, SUBSECTION, earned, 10)
    tasks.recalculate_subsection_grade_v3.apply_async(kwargs={
        "user_id": LEARNER, "course_id": COURSE, "usage_id": SUBSECTION, "only_if_higher": False,
        "score_deleted": False, "score_db_table": "csm",
    })
    CourseGradeFactory().update(standins_user(standin_support), course_key=CourseKey.from_string(COURSE))


def standins_user(standins):
    return standins.get_user(LEARNER)


def _subsection_params(earned):
    return {
        "user_id": LEARNER, "usage_key": UsageKey.from_string(SUBSECTION), "course_version": "",
        "subtree_edited_timestamp": None, "earned_all": earned, "possible_all": 10.0, "earned_graded": earned,
        "possible_graded": 10.0, "visible_blocks": [], "first_attempted": now(),
    }


@pytest.fixture
def pr38862(platform):
    """The stand-ins with open PR #38862's subsection grade signatures."""
    platform.use_variant("pr38862")
    yield platform
    wiring.deactivate()
    platform.use_variant("upstream")


def test_pr_38862_signatures_stay_wired_and_their_new_argument_passes_through(pr38862, tracking_events):
    from lms.djangoapps.grades import models

    update = models.PersistentSubsectionGrade.update_or_create_grade
    assert "grading_policy_hash" in inspect.signature(update).parameters
    make_course(pr38862, ended_days_ago=2)
    assert wiring.activate() is True
    assert wiring.describe()["problems"] == {}
    for name in ("update_or_create_grade", "bulk_create_grades"):
        assert getattr(getattr(models.PersistentSubsectionGrade, name), "grade_freeze_source", None)

    grade = models.PersistentSubsectionGrade.update_or_create_grade(grading_policy_hash="h1", **_subsection_params(8.0))
    (bulk,) = models.PersistentSubsectionGrade.bulk_create_grades(
        [_subsection_params(8.0)], LEARNER, CourseKey.from_string(COURSE), grading_policy_hash="h2",
    )
    assert (grade.earned_graded, grade.event_grading_policy_hash) == (8.0, "h1")
    assert bulk.event_grading_policy_hash == "h2"

    freeze_now()
    writes = len(pr38862.WRITE_LOG)
    refused = models.PersistentSubsectionGrade.update_or_create_grade(
        grading_policy_hash="h3", **_subsection_params(1.0),
    )
    assert refused.earned_graded == 8.0
    assert len(pr38862.WRITE_LOG) == writes
    assert [e["source"] for e in events_named(tracking_events, UPDATE_BLOCKED)] == [
        "PersistentSubsectionGrade.update_or_create_grade"
    ]


# --- deletions ------------------------------------------------------------------------------------------------------

def _undo_override(api, models):
    return api.undo_override_subsection_grade(LEARNER, COURSE, SUBSECTION)


def _clear_course_grades(api, models):
    from lms.djangoapps.grades import models_api

    return models_api.clear_user_course_grades(LEARNER, CourseKey.from_string(COURSE))


def _delete_course_grade(api, models):
    return models.PersistentCourseGrade.delete_course_grade_for_learner(CourseKey.from_string(COURSE), LEARNER)


def _delete_subsection_grades(api, models):
    return models.PersistentSubsectionGrade.delete_subsection_grades_for_learner(LEARNER, CourseKey.from_string(COURSE))


DELETIONS = [
    ("api.undo_override_subsection_grade", _undo_override),
    ("models_api.clear_user_course_grades", _clear_course_grades),
    ("PersistentCourseGrade.delete_course_grade_for_learner", _delete_course_grade),
    ("PersistentSubsectionGrade.delete_subsection_grades_for_learner", _delete_subsection_grades),
]


def _stored(models):
    """What a learner and staff see: the stored course grade, subsection grade and override."""
    try:
        course_percent = models.PersistentCourseGrade.read(LEARNER, COURSE).percent_grade
    except models.PersistentCourseGrade.DoesNotExist:
        course_percent = None
    subsections = [g.earned_graded for g in models.PersistentSubsectionGrade.bulk_read_grades(LEARNER, COURSE)]
    override = models.PersistentSubsectionGradeOverride.get_override(LEARNER, SUBSECTION)
    return course_percent, subsections, getattr(override, "earned_graded_override", None)


def _stored_with_override(platform, api):
    make_course(platform, ended_days_ago=2)
    store_grade(earned=8)
    api.override_subsection_grade(LEARNER, COURSE, SUBSECTION, earned_graded=3.0)


@pytest.mark.parametrize("source, delete", DELETIONS)
def test_a_deletion_in_a_frozen_course_changes_nothing_returns_normally_and_is_reported(
    platform, tracking_events, source, delete,
):
    from lms.djangoapps.grades import api, models

    _stored_with_override(platform, api)
    before = _stored(models)
    assert before == (0.3, [8.0], 3.0)  # the stored score, its override, and the course grade with it applied
    wiring.activate()
    freeze_now()
    writes = len(platform.WRITE_LOG)

    assert delete(api, models) in (None, 0)  # as upstream when there is nothing to delete

    policy_cache.clear()
    models.PersistentCourseGrade.clear_prefetched_data(CourseKey.from_string(COURSE))
    assert _stored(models) == before
    assert len(platform.WRITE_LOG) == writes
    (event,) = events_named(tracking_events, UPDATE_BLOCKED)
    assert (event["source"], event["user_id"], event["blocked_count"]) == (source, LEARNER, 1)


@pytest.mark.parametrize("source, delete", DELETIONS)
def test_a_course_override_that_reopens_the_course_lets_a_deletion_through(platform, tracking_events, source, delete):
    from lms.djangoapps.grades import api, models

    _stored_with_override(platform, api)
    before = _stored(models)
    wiring.activate()
    freeze_now()
    freeze_api.set_course_override(COURSE, enabled=False, reason="Support reset", user=None)

    delete(api, models)

    models.PersistentCourseGrade.clear_prefetched_data(CourseKey.from_string(COURSE))
    assert _stored(models) != before
    assert events_named(tracking_events, UPDATE_BLOCKED) == []


# --- no grade signal for a grade that was not stored -----------------------------------------------------------------

@pytest.fixture
def grade_signals():
    """Every COURSE_GRADE_CHANGED / NOW_PASSED / NOW_FAILED sent, as (signal name, percent or None)."""
    from openedx.core.djangoapps.signals import signals

    sent = []
    receivers = {}
    for name in ("COURSE_GRADE_CHANGED", "COURSE_GRADE_NOW_PASSED", "COURSE_GRADE_NOW_FAILED"):
        def receiver(sender, name=name, **kwargs):  # pylint: disable=unused-argument
            grade = kwargs.get("course_grade") or kwargs.get("grade")
            sent.append((name, getattr(grade, "percent", None)))
        receivers[name] = receiver
        getattr(signals, name).connect(receiver, weak=False, dispatch_uid=f"grade-signals-{name}")
    yield sent
    for name in receivers:
        getattr(signals, name).disconnect(dispatch_uid=f"grade-signals-{name}")


def frozen_after_a_score_drop(standins, grade_signals):
    """A learner graded 0.8, then the course frozen, then their score dropped to 0.1; returns the learner."""
    from lms.djangoapps.grades import tasks

    user = make_course(standins, ended_days_ago=2)
    store_grade(earned=8)
    wiring.activate()
    freeze_now()
    grade_signals.clear()
    tasks.set_raw_score(LEARNER, SUBSECTION, 1, 10)
    return user


def test_a_refused_course_grade_update_sends_no_grade_signal_and_returns_the_stored_grade(
    platform, tracking_events, grade_signals,
):
    from lms.djangoapps.grades.course_grade_factory import CourseGradeFactory

    user = frozen_after_a_score_drop(platform, grade_signals)
    writes = len(platform.WRITE_LOG)

    grade = CourseGradeFactory().update(user, course_key=CourseKey.from_string(COURSE))

    assert grade.percent == 0.8
    assert grade_signals == []
    assert len(platform.WRITE_LOG) == writes
    assert [e["source"] for e in events_named(tracking_events, UPDATE_BLOCKED)] == ["CourseGradeFactory.update"]


def test_an_allowed_course_grade_update_still_signals_as_upstream(platform, grade_signals):
    from lms.djangoapps.grades import tasks
    from lms.djangoapps.grades.course_grade_factory import CourseGradeFactory

    user = make_course(platform, ended_days_ago=2)
    wiring.activate()
    tasks.set_raw_score(LEARNER, SUBSECTION, 2, 10)

    grade = CourseGradeFactory().update(user, course_key=CourseKey.from_string(COURSE))

    assert grade.percent == 0.2
    assert [name for name, _ in grade_signals] == ["COURSE_GRADE_CHANGED", "COURSE_GRADE_NOW_FAILED"]


# --- callers' flows go on -------------------------------------------------------------------------------------------

def test_a_proctoring_rejection_in_a_frozen_course_still_invalidates_the_certificate(platform, tracking_events):
    """edx-proctoring's rejected review: override the exam subsection to zero, then invalidate the certificate."""
    from lms.djangoapps.certificates import api as certificates_api
    from lms.djangoapps.grades import models
    from lms.djangoapps.grades.services import GradesService

    user = make_course(platform, ended_days_ago=2)
    store_grade(earned=8)
    certificates_api.create_certificate(user, COURSE, mode="verified", status="downloadable")
    wiring.activate()
    freeze_now()

    def rejected_review():
        GradesService().override_subsection_grade(LEARNER, COURSE, SUBSECTION, earned_graded=0.0)
        return certificates_api.invalidate_certificate(LEARNER, COURSE, source="proctoring")

    assert rejected_review() is True  # both steps ran: the override was refused, the invalidation done
    assert models.PersistentSubsectionGradeOverride.get_override(LEARNER, SUBSECTION) is None
    assert certificates_api.get_certificate_for_user_id(user, CourseKey.from_string(COURSE)).status == "unavailable"
    assert [e["source"] for e in events_named(tracking_events, UPDATE_BLOCKED)] == ["api.override_subsection_grade"]


# --- checks are not refusals ----------------------------------------------------------------------------------------

def test_checks_of_a_frozen_course_answer_frozen_and_count_nothing(newest_upstream, platform, tracking_events):
    from lms.djangoapps.grades.grade_utils import are_grades_frozen
    from lms.djangoapps.grades.rest_api.v2.services import grades_frozen
    from lms.djangoapps.grades.util_services import GradesUtilService

    make_course(platform, ended_days_ago=2)
    wiring.activate()
    freeze_now()
    from lms.djangoapps.grades.grade_utils import are_grades_frozen as wired_check  # pylint: disable=reimported

    course_key = CourseKey.from_string(COURSE)
    answers = [
        wired_check(course_key),
        grades_frozen(course_key, now() - timedelta(days=40)),
        GradesUtilService(course_id=course_key).are_grades_frozen(),
    ]

    assert answers == [True, True, True]
    assert are_grades_frozen is not None
    assert events_named(tracking_events, UPDATE_BLOCKED) == []
    from openedx_grade_freeze.models import BlockedGradeUpdates
    assert not BlockedGradeUpdates.objects.exists()


@override_settings(GRADE_FREEZE_OFFSET_DAYS=30)
def test_the_filter_refuses_an_unknown_action():
    from openedx_grade_freeze.filters import GradePersistenceRequested

    with pytest.raises(ValueError, match="action must be one of"):
        GradePersistenceRequested.run_filter(COURSE, action="read")


def test_a_forced_regrade_of_a_frozen_course_through_iter_changes_and_signals_nothing(
    platform, tracking_events, grade_signals,
):
    """``compute_grades``' path: ``CourseGradeFactory().iter(force_update=True)`` calls ``update`` per learner."""
    from lms.djangoapps.grades.course_grade_factory import CourseGradeFactory

    user = frozen_after_a_score_drop(platform, grade_signals)
    writes = len(platform.WRITE_LOG)

    (result,) = CourseGradeFactory().iter([user], course_key=CourseKey.from_string(COURSE), force_update=True)

    assert (result.error, result.course_grade.percent) == (None, 0.8)
    assert grade_signals == []
    assert len(platform.WRITE_LOG) == writes
