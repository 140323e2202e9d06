"""
``edx.grades.freeze.upcoming``: once per course and freeze date, again when the date moves, from the beat task.
"""
from datetime import datetime, timedelta, timezone

import pytest
from django.conf import settings

from openedx_grade_freeze import api, tasks
from openedx_grade_freeze.models import UpcomingFreezeNotice
from openedx_grade_freeze.tracking import FREEZE_UPCOMING
from openedx_grade_freeze.upcoming import announce_upcoming_freezes
from tests.conftest import events_named
from tests.events import publish

pytestmark = pytest.mark.django_db

NOW = datetime.now(timezone.utc)
SOON = "course-v1:WarnX+Soon+2026"  # ended 25 days ago: freezes in 5 days
LATER = "course-v1:WarnX+Later+2026"  # ended 5 days ago: freezes in 25 days
FROZEN = "course-v1:WarnX+Frozen+2026"  # already frozen: no warning


@pytest.fixture(autouse=True)
def courses():
    publish(SOON, NOW - timedelta(days=25), time=NOW - timedelta(days=30))
    publish(LATER, NOW - timedelta(days=5), time=NOW - timedelta(days=30))
    publish(FROZEN, NOW - timedelta(days=45), time=NOW - timedelta(days=50))


def run_beat_task(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return tasks.announce_upcoming_freezes_task.delay().get()


def test_the_warning_is_emitted_once_per_course(tracking_events, django_capture_on_commit_callbacks):
    assert run_beat_task(django_capture_on_commit_callbacks) == 1
    assert run_beat_task(django_capture_on_commit_callbacks) == 0

    events = events_named(tracking_events, FREEZE_UPCOMING)
    assert [event["course_id"] for event in events] == [SOON]
    state = api.get_freeze_state(SOON)
    assert events[0]["freeze_date"] == state.freeze_date.isoformat()
    assert events[0]["previous_freeze_date"] is None and events[0]["days_until_freeze"] == 5
    assert events[0]["source"] == "Django settings: course end + 30 days"


def test_the_warning_is_emitted_again_after_the_date_moves(tracking_events, django_capture_on_commit_callbacks):
    run_beat_task(django_capture_on_commit_callbacks)
    first = api.get_freeze_state(SOON).freeze_date
    # Studio moves the end date two days later: still within the window, a new date to announce.
    publish(SOON, NOW - timedelta(days=23), time=NOW - timedelta(days=1))
    run_beat_task(django_capture_on_commit_callbacks)
    run_beat_task(django_capture_on_commit_callbacks)

    events = events_named(tracking_events, FREEZE_UPCOMING)
    assert [event["course_id"] for event in events] == [SOON, SOON]
    assert events[1]["previous_freeze_date"] == first.isoformat()
    assert events[1]["freeze_date"] == (first + timedelta(days=2)).isoformat()
    assert UpcomingFreezeNotice.objects.get().freeze_date == first + timedelta(days=2)


def test_a_course_entering_the_window_is_announced_then(tracking_events, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert announce_upcoming_freezes(days=7) == [api.to_course_key(SOON)]
    with django_capture_on_commit_callbacks(execute=True):
        announced = announce_upcoming_freezes(days=7, at=NOW + timedelta(days=20))
    assert announced == [api.to_course_key(LATER)]
    assert [event["course_id"] for event in events_named(tracking_events, FREEZE_UPCOMING)] == [SOON, LATER]


def test_off_and_broken_courses_are_skipped_without_stopping_the_others(
    tracking_events, django_capture_on_commit_callbacks, break_site_configuration,
):
    broken = "course-v1:BrokenX+Soon+2026"
    publish(broken, NOW - timedelta(days=25), time=NOW - timedelta(days=30))
    break_site_configuration("BrokenX")
    api.set_course_override(LATER, offset_days=0, enabled=False, reason="pilot without freeze")

    with django_capture_on_commit_callbacks(execute=True):
        announced = announce_upcoming_freezes(days=30)

    assert announced == [api.to_course_key(SOON)]
    assert [event["course_id"] for event in events_named(tracking_events, FREEZE_UPCOMING)] == [SOON]


def test_nothing_is_emitted_when_the_transaction_rolls_back(tracking_events):
    # Without the commit (the callbacks are not run) nothing reaches the tracking log.
    announce_upcoming_freezes(days=7)
    assert events_named(tracking_events, FREEZE_UPCOMING) == []


def test_the_beat_entry_is_registered():
    entry = settings.CELERY_BEAT_SCHEDULE["grade-freeze-upcoming-warning"]
    assert entry == {"task": "openedx_grade_freeze.tasks.announce_upcoming_freezes", "schedule": 3600.0}
    assert tasks.announce_upcoming_freezes_task.name == entry["task"]
