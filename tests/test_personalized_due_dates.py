"""
Personalized due dates (issue 17 item 1), given through the real edx-when API as the instructor dashboard's
"Extensions" do: a learner whose due date plus the course's offset falls after the course's freeze date is not frozen
until then, while the course's other learners are; every decision says what decided it, a warm decision makes no
query, and removing the extension freezes the learner again.
"""
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from edx_when import api as when_api
from edx_when.models import UserDate

from openedx_grade_freeze import api
from openedx_grade_freeze.filters import ACTION_CHECK, ACTION_WRITE, GradePersistenceRequested
from openedx_grade_freeze.platform import due_dates
from openedx_grade_freeze.policy import policy_cache
from tests.events import publish
from tests.guarded_course import now

COURSE = "course-v1:OrgX+Extend101+2024"
OTHER_COURSE = "course-v1:OrgX+Other101+2024"
HOMEWORK = "block-v1:OrgX+Extend101+2024+type@sequential+block@homework"
EXAM = "block-v1:OrgX+Extend101+2024+type@sequential+block@exam"
COURSE_SOURCE = "Django settings: course end + 30 days"

pytestmark = pytest.mark.django_db


@pytest.fixture(name="course")
def fixture_course():
    """A course that ended 40 days ago (frozen 10 days ago, at its end + 30 days), whose homework and exam were due
    on its last day, with two learners: ``extended`` and ``other``."""
    end = now() - timedelta(days=40)
    publish(COURSE, end, time=now())
    when_api.set_dates_for_course(COURSE, [(HOMEWORK, {"due": end}), (EXAM, {"due": end})])
    users = get_user_model().objects
    learners = {name: users.create(username=name, email=f"{name}@example.com") for name in ("extended", "other")}
    policy_cache.clear()
    return learners


def extend(learner, due, block=HOMEWORK, course=COURSE):
    """Give the learner a personalized due date, as the instructor dashboard's "Extensions" tab does."""
    when_api.set_date_for_block(course, block, "due", due, user=learner, reason="Accommodation, ticket 17")


def freeze_date():
    return api.get_freeze_state(COURSE).freeze_date


def test_a_learner_with_a_later_due_date_is_frozen_at_it_plus_the_offset_while_the_others_are_frozen(course):
    due = now() - timedelta(days=5)
    extend(course["extended"], due)

    extended = api.get_freeze_state(COURSE, user_id=course["extended"].id)
    assert extended.frozen is False
    assert extended.freeze_date == due + timedelta(days=30)
    assert extended.source == f"personalized due date {due.isoformat()} + 30 days"
    assert "personalized due date" in extended.learner_rule
    assert api.are_grades_frozen(COURSE, user_id=course["extended"].id) is False

    other = api.get_freeze_state(COURSE, user_id=course["other"].id)
    assert other.frozen is True
    assert other.source == COURSE_SOURCE
    assert other.learner_rule is None

    later = api.get_freeze_state(COURSE, at=due + timedelta(days=30, seconds=1), user_id=course["extended"].id)
    assert later.frozen is True
    assert later.source.startswith("personalized due date")
    assert later.learner_rule == (
        f"personalized due date {due.isoformat()}, frozen since {(due + timedelta(days=30)).isoformat()}"
    )


def test_the_veto_lets_the_extended_learners_writes_through_and_says_what_decided_each_refusal(course):
    extend(course["extended"], now() - timedelta(days=5))

    GradePersistenceRequested.run_filter(COURSE, user_id=course["extended"].id, source="test", action=ACTION_WRITE)
    with pytest.raises(GradePersistenceRequested.PreventGradePersistence) as refused:
        GradePersistenceRequested.run_filter(COURSE, user_id=course["other"].id, source="test", action=ACTION_WRITE)
    assert f"({COURSE_SOURCE})" in str(refused.value)

    # A check naming no learner answers frozen, and says whose grades may still change: the grade tasks then run,
    # and each write is decided for its own learner.
    with pytest.raises(GradePersistenceRequested.PreventGradePersistence) as checked:
        GradePersistenceRequested.run_filter(COURSE, source="test", action=ACTION_CHECK)
    assert checked.value.open_exceptions == 1
    assert "1 learner has a personalized due date that freezes them later" in str(checked.value)
    course_wide = api.get_freeze_state(COURSE)
    assert (course_wide.frozen, course_wide.extended_learners, course_wide.open_exceptions) == (True, 1, 0)


def test_once_past_their_own_freeze_date_the_learner_is_refused_with_the_personalized_due_date_named(course):
    due = now() - timedelta(days=31)  # frozen yesterday: after the course (10 days ago), before today
    extend(course["extended"], due)

    state = api.get_freeze_state(COURSE, user_id=course["extended"].id)
    assert state.frozen is True
    assert state.freeze_date == due + timedelta(days=30)
    assert state.course_freeze_date == freeze_date()
    with pytest.raises(GradePersistenceRequested.PreventGradePersistence) as refused:
        GradePersistenceRequested.run_filter(COURSE, user_id=course["extended"].id, source="test")
    assert "personalized due date" in str(refused.value)
    assert refused.value.freeze_date == due + timedelta(days=30)
    assert api.get_freeze_state(COURSE).extended_learners == 0


def test_the_latest_of_the_learners_due_dates_decides(course):
    extend(course["extended"], now() - timedelta(days=20), block=HOMEWORK)
    extend(course["extended"], now() - timedelta(days=2), block=EXAM)

    assert api.get_freeze_state(COURSE, user_id=course["extended"].id).freeze_date == (
        UserDate.objects.get(content_date__location=EXAM).abs_date + timedelta(days=30)
    )


def test_a_due_date_that_still_freezes_with_the_course_changes_nothing(course):
    extend(course["extended"], freeze_date() - timedelta(days=30))  # the course's own due date, the course's end

    state = api.get_freeze_state(COURSE, user_id=course["extended"].id)
    assert (state.frozen, state.source, state.learner_rule) == (True, COURSE_SOURCE, None)
    assert api.get_freeze_state(COURSE).extended_learners == 0


def test_a_learners_due_date_in_another_course_changes_nothing_here(course):
    publish(OTHER_COURSE, now() - timedelta(days=40), time=now())
    other_block = "block-v1:OrgX+Other101+2024+type@sequential+block@homework"
    when_api.set_dates_for_course(OTHER_COURSE, [(other_block, {"due": now() - timedelta(days=40)})])
    extend(course["extended"], now() - timedelta(days=5), block=other_block, course=OTHER_COURSE)

    assert api.get_freeze_state(COURSE, user_id=course["extended"].id).frozen is True
    assert api.get_freeze_state(OTHER_COURSE, user_id=course["extended"].id).frozen is False


def test_a_learner_of_a_course_not_yet_frozen_is_told_their_own_freeze_date(course):
    end = now() - timedelta(days=5)
    publish(COURSE, end, time=now() + timedelta(seconds=1))
    extend(course["extended"], end + timedelta(days=10))

    state = api.get_freeze_state(COURSE, user_id=course["extended"].id)
    assert state.frozen is False
    assert state.freeze_date == end + timedelta(days=40)
    assert state.source.startswith("personalized due date")
    assert api.get_freeze_state(COURSE, user_id=course["other"].id).freeze_date == end + timedelta(days=30)


def test_removing_the_extension_freezes_the_learner_again(course):
    extend(course["extended"], now() - timedelta(days=5))
    assert api.are_grades_frozen(COURSE, user_id=course["extended"].id) is False

    extend(course["extended"], None)  # the dashboard's "Reset extension": a newer row without a date

    state = api.get_freeze_state(COURSE, user_id=course["extended"].id)
    assert (state.frozen, state.source, state.learner_rule) == (True, COURSE_SOURCE, None)


def test_deleting_the_personalized_date_freezes_the_learner_again(course):
    extend(course["extended"], now() - timedelta(days=5))
    assert api.are_grades_frozen(COURSE, user_id=course["extended"].id) is False

    UserDate.objects.filter(user=course["extended"]).delete()

    assert api.are_grades_frozen(COURSE, user_id=course["extended"].id) is True


def test_turned_off_every_learner_freezes_with_the_course(course, settings):
    extend(course["extended"], now() - timedelta(days=5))
    settings.GRADE_FREEZE_PERSONALIZED_DUE_DATES = False
    policy_cache.clear()

    state = api.get_freeze_state(COURSE, user_id=course["extended"].id)
    assert (state.frozen, state.source) == (True, COURSE_SOURCE)


def test_a_warm_decision_makes_no_query_with_personalized_dates_in_the_course(course, django_assert_num_queries):
    extend(course["extended"], now() - timedelta(days=5))
    api.get_freeze_state(COURSE)

    with django_assert_num_queries(0):
        for learner in (course["extended"].id, course["other"].id, str(course["extended"].id), None):
            GradePersistenceRequested.run_filter(COURSE, user_id=course["extended"].id, source="test")
            api.get_freeze_state(COURSE, user_id=learner)


def test_a_course_and_policy_refresh_reads_its_learners_due_dates_in_one_query(course):
    learners = [get_user_model().objects.create(username=f"learner{number}") for number in range(40)]
    for number, learner in enumerate(learners):
        extend(learner, now() - timedelta(days=number % 9), block=(HOMEWORK, EXAM)[number % 2])
    policy_cache.clear()

    with CaptureQueriesContext(connection) as read:
        api.get_freeze_state(COURSE, user_id=learners[0].id)
    assert sum("edx_when" in query["sql"] for query in read.captured_queries) == 1
    assert api.get_freeze_state(COURSE).extended_learners == 40
    assert due_dates.latest_due_dates(COURSE).keys() == {learner.id for learner in learners}


def test_the_status_page_and_the_rest_api_count_the_learners_frozen_later(course, platform_standins):
    from django.test import Client  # pylint: disable=import-outside-toplevel

    extend(course["extended"], now() - timedelta(days=5))
    client = Client()
    client.force_login(get_user_model().objects.create(username="ops", is_staff=True))

    body = client.get(f"/api/grade_freeze/v1/courses/{COURSE}/").json()
    assert (body["frozen"], body["personalized_due_date_learners"], body["deciding_layer"]) == (True, 1, COURSE_SOURCE)
    page = " ".join(client.get(f"/api/grade_freeze/status/{COURSE}/").content.decode().split())
    assert 'data-personalized-due-dates="1"' in page
    assert "1 learner has a personalized due date (the instructor dashboard's extensions)" in page


def test_the_extended_learners_later_grade_reaches_credentials_and_the_others_is_drift(forwarding):
    from openedx_grade_freeze.models import FrozenGradeDrift  # pylint: disable=import-outside-toplevel
    from tests.forwarding import RUN, grade_event, make_user, stored  # pylint: disable=import-outside-toplevel

    block = "block-v1:Org+Forward+2026+type@sequential+block@final"
    end = now() - timedelta(days=40)
    publish(RUN, end, time=now() - timedelta(minutes=30))  # frozen 10 days ago
    when_api.set_dates_for_course(RUN, [(block, {"due": end})])
    extended, other = make_user("extended"), make_user("other")
    extend(extended, now() - timedelta(days=5), block=block, course=RUN)

    grade_event(extended, 0.91, now())
    grade_event(other, 0.42, now())

    assert stored(forwarding, extended)["percent_grade"] == pytest.approx(0.91)
    assert stored(forwarding, other) is None
    assert FrozenGradeDrift.objects.get().user_id == other.pk
