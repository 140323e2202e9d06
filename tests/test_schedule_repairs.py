"""
Schedules that stay right: future-stamped events, ``--force``, the periodic CourseOverview check, checks that never
write, a bounded policy cache, and repairs that finish past a bad row.
"""
import logging
from datetime import datetime, timedelta, timezone
from io import StringIO
from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.urls import reverse
from opaque_keys.edx.keys import CourseKey

from openedx_grade_freeze import api, schedule_sync
from openedx_grade_freeze.exceptions import InvalidCourseKeyError
from openedx_grade_freeze.models import CourseEndDateChange, CourseSchedule, FailedScheduleEvent
from openedx_grade_freeze.policy import _VERSION_CACHE_KEY, policy_cache
from openedx_grade_freeze.schedules import record_failed_event
from openedx_grade_freeze.settings import cms as cms_settings
from openedx_grade_freeze.settings import common as common_settings
from openedx_grade_freeze.tracking import COURSE_END_CHANGED
from tests.conftest import events_named
from tests.events import publish
from tests.factories import UserFactory

START = datetime(2026, 1, 5, tzinfo=timezone.utc)
END = datetime(2026, 6, 30, tzinfo=timezone.utc)
LATER_END = datetime(2026, 8, 31, tzinfo=timezone.utc)
A = "course-v1:RepairX+A+2026"
B = "course-v1:RepairX+B+2026"
C = "course-v1:RepairX+C+2026"

pytestmark = pytest.mark.django_db


def run(*args):
    out = StringIO()
    call_command("sync_course_schedules", *args, stdout=out)
    return out.getvalue()


def stored(course_id):
    return CourseSchedule.objects.get(course_key=CourseKey.from_string(course_id))


@pytest.fixture
def overviews(platform_standins):
    from openedx.core.djangoapps.content.course_overviews.models import CourseOverview

    CourseOverview.create(A, org="RepairX", start=START, end=END)
    CourseOverview.create(B, org="RepairX", start=START, end=END)
    return CourseOverview


# -- 1. Event times are checked -----------------------------------------------------------------------------------

def test_a_future_stamped_event_does_not_hold_back_the_next_real_publish(tracking_events, caplog):
    with caplog.at_level(logging.WARNING, logger="openedx_grade_freeze"):
        publish(A, END, time=datetime.now(timezone.utc) + timedelta(days=30))
    assert "is not trusted" in caplog.text and A in caplog.text

    publish(A, LATER_END, time=datetime.now(timezone.utc))  # the next publish, from a Studio with a right clock

    assert stored(A).end == LATER_END
    assert [event["new_end"] for event in events_named(tracking_events, COURSE_END_CHANGED)] == [LATER_END.isoformat()]


def test_an_event_within_the_allowed_skew_keeps_its_time():
    stamp = datetime.now(timezone.utc) + timedelta(minutes=2)
    publish(A, END, time=stamp)
    assert stored(A).source_event_time == stamp


@pytest.fixture
def stuck(overviews):
    """A schedule stamped a few minutes ahead (within the skew), with an end CourseOverview no longer has."""
    CourseSchedule.objects.create(
        course_key=CourseKey.from_string(A), org="RepairX", start=START, end=datetime(2026, 5, 1, tzinfo=timezone.utc),
        source="event", source_event_time=datetime.now(timezone.utc) + timedelta(minutes=4),
    )


@pytest.mark.usefixtures("stuck")
def test_dry_run_and_real_run_say_the_same_about_a_stuck_schedule():
    dry = run("--courses", A, "--dry-run")
    real = run("--courses", A)
    assert f"[1/1] {A}: would be out of date" in dry
    assert f"[1/1] {A}: out of date" in real and "--force" in real
    assert stored(A).end == datetime(2026, 5, 1, tzinfo=timezone.utc)


@pytest.mark.usefixtures("stuck")
def test_force_replaces_a_stuck_schedule_and_audits_it(tracking_events, django_capture_on_commit_callbacks):
    assert f"[1/1] {A}: would be end changed" in run("--courses", A, "--force", "--dry-run")
    with django_capture_on_commit_callbacks(execute=True):
        output = run("--courses", A, "--force")

    assert f"[1/1] {A}: end changed (end 2026-05-01T00:00:00+00:00 -> {END.isoformat()})" in output
    assert stored(A).end == END and stored(A).source == "forced"
    audit = CourseEndDateChange.objects.get()
    assert audit.source == "forced" and audit.new_end == END
    assert [event["detected_by"] for event in events_named(tracking_events, COURSE_END_CHANGED)] == ["forced"]


@pytest.mark.usefixtures("stuck")
def test_the_admin_action_replaces_a_schedule_from_course_overview(client, tracking_events):
    client.force_login(UserFactory(username="ops", is_staff=True, is_superuser=True))
    response = client.post(reverse("admin:openedx_grade_freeze_courseschedule_changelist"), {
        "action": "replace_from_course_overview", "_selected_action": [stored(A).pk],
    }, follow=True)

    assert response.status_code == 200
    assert stored(A).end == END
    assert CourseEndDateChange.objects.get().event_source == "admin:ops"


@pytest.mark.usefixtures("stuck")
def test_staff_who_may_only_view_schedules_cannot_run_the_replace_action(client):
    from django.contrib.auth.models import Permission

    viewer = UserFactory(username="viewer", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_courseschedule"))
    client.force_login(viewer)
    stored_end = stored(A).end
    changelist = reverse("admin:openedx_grade_freeze_courseschedule_changelist")

    page = client.get(changelist)
    response = client.post(changelist, {
        "action": "replace_from_course_overview", "_selected_action": [stored(A).pk],
    }, follow=True)

    assert page.status_code == 200 and b"replace_from_course_overview" not in page.content
    assert response.status_code == 200
    assert stored(A).end == stored_end
    assert not CourseEndDateChange.objects.exists()


# -- 2. End dates on every supported release ----------------------------------------------------------------------

def test_with_studios_event_off_the_periodic_check_records_the_end_change(
    overviews, tracking_events, django_capture_on_commit_callbacks,
):
    assert schedule_sync.check_course_schedules() == {"new": 2}  # first run: every course, as a baseline
    assert events_named(tracking_events, COURSE_END_CHANGED) == []
    untouched = stored(B).modified

    overview = overviews.get_from_id(A)
    overview.end = LATER_END  # Studio published; no COURSE_CATALOG_INFO_CHANGED reached us
    overview.save()
    with django_capture_on_commit_callbacks(execute=True):
        counts = schedule_sync.check_course_schedules()

    assert counts == {"end changed": 1, "unchanged": 1}
    [event] = events_named(tracking_events, COURSE_END_CHANGED)
    assert (event["course_id"], event["new_end"], event["detected_by"]) == (A, LATER_END.isoformat(), "periodic")
    assert CourseEndDateChange.objects.get().source == "periodic"
    assert stored(B).modified == untouched  # an unchanged course is not written


def test_the_periodic_check_is_on_the_beat_schedule_under_both_setting_names():
    host = SimpleNamespace(CELERYBEAT_SCHEDULE={"theirs": {"task": "x", "schedule": 1.0}})
    common_settings.plugin_settings(host)
    for name in ("CELERYBEAT_SCHEDULE", "CELERY_BEAT_SCHEDULE"):
        schedule = getattr(host, name)
        assert schedule["grade-freeze-check-course-schedules"] == {
            "task": "openedx_grade_freeze.tasks.check_course_schedules", "schedule": 3600.0,
        }
        flush = schedule["grade-freeze-flush-blocked-counts"]
        assert flush["task"] == "openedx_grade_freeze.tasks.flush_blocked_counts"
    assert host.CELERYBEAT_SCHEDULE["theirs"] == {"task": "x", "schedule": 1.0}  # kept


def test_studio_settings_turn_the_catalog_event_on_unless_the_operator_chose():
    studio = SimpleNamespace()
    cms_settings.plugin_settings(studio)
    assert studio.SEND_CATALOG_INFO_SIGNAL is True
    operator = SimpleNamespace(SEND_CATALOG_INFO_SIGNAL=False)
    cms_settings.plugin_settings(operator)
    assert operator.SEND_CATALOG_INFO_SIGNAL is False


# -- 4. A check never writes ----------------------------------------------------------------------------------

def test_a_first_check_that_rolls_back_leaves_no_row_no_flush_and_the_next_check_is_warm(
    overviews, django_assert_num_queries,
):
    publish(C, END, time=datetime.now(timezone.utc))
    api.get_freeze_state(C)  # another course, warm
    with transaction.atomic():
        assert api.get_freeze_state(A).course_end == END  # read from CourseOverview
        transaction.set_rollback(True)

    assert not CourseSchedule.objects.filter(course_key=CourseKey.from_string(A)).exists()
    assert cache.get(_VERSION_CACHE_KEY) is None
    with django_assert_num_queries(0):
        api.get_freeze_state(A)
        api.get_freeze_state(C)


def test_a_first_sighting_flushes_only_its_own_course(django_assert_num_queries):
    publish(C, END, time=datetime.now(timezone.utc))
    api.get_freeze_state(C)
    publish(A, END, time=datetime.now(timezone.utc))  # first sighting of A

    with django_assert_num_queries(0):
        api.get_freeze_state(C)


# -- 5. Bounded memory ----------------------------------------------------------------------------------------

def test_the_policy_cache_never_holds_more_than_its_maximum(settings):
    settings.GRADE_FREEZE_POLICY_CACHE_MAX_COURSES = 20000
    # However long the loop takes, neither another process's version check nor an entry's age empties the cache.
    settings.GRADE_FREEZE_POLICY_CACHE_SECONDS = settings.GRADE_FREEZE_POLICY_MAX_AGE_SECONDS = 24 * 3600
    state = SimpleNamespace()
    _, generation = policy_cache.get(CourseKey.from_string(A))
    most = 0
    for index in range(100000):
        policy_cache.put(CourseKey.from_string(f"course-v1:ManyX+C{index}+2026"), state, generation)
        most = max(most, len(policy_cache))
    assert most == 20000
    assert policy_cache.get(CourseKey.from_string("course-v1:ManyX+C99999+2026"))[0] is state  # newest kept
    assert policy_cache.get(CourseKey.from_string("course-v1:ManyX+C0+2026"))[0] is None  # oldest out


def test_least_recently_checked_courses_leave_first(settings):
    settings.GRADE_FREEZE_POLICY_CACHE_MAX_COURSES = 2
    for course in (A, B, C):
        publish(course, END, time=datetime.now(timezone.utc))
    api.get_freeze_state(A)
    api.get_freeze_state(B)
    api.get_freeze_state(A)  # A is used again: B is now the least recent
    api.get_freeze_state(C)
    assert policy_cache.get(CourseKey.from_string(A))[0] is not None
    assert policy_cache.get(CourseKey.from_string(B))[0] is None


def test_invalid_keys_never_reach_the_cache():
    for bad in ("not a course", "", None, "course-v1:only+two"):
        with pytest.raises(InvalidCourseKeyError):
            api.get_freeze_state(bad)
    assert len(policy_cache) == 0


# -- 7. Repairs that finish -----------------------------------------------------------------------------------

def test_sync_failed_replays_the_good_rows_past_a_bad_one(overviews):
    bad = FailedScheduleEvent.objects.create(course_key="garbage !!", error="unparsable")
    FailedScheduleEvent.objects.create(course_key=A, error="database was down")
    out = StringIO()
    with pytest.raises(CommandError, match="1 failed event"):
        call_command("sync_course_schedules", "--failed", stdout=out)

    assert f"Failed event #{bad.pk}: skipped, 'garbage !!' is not a course key." in out.getvalue()
    assert f"[1/1] {A}: new" in out.getvalue()
    assert stored(A).end == END
    assert FailedScheduleEvent.objects.get(course_key=A).resolved is not None
    assert FailedScheduleEvent.objects.get(pk=bad.pk).resolved is None  # still visible in admin


def test_a_failed_event_that_cannot_be_kept_never_breaks_the_callers_transaction(monkeypatch, caplog):
    monkeypatch.setattr(FailedScheduleEvent._meta, "db_table", "grade_freeze_no_such_table")
    with transaction.atomic():
        record_failed_event(A, "evt-1", None, {"x": 1}, ValueError("bad payload"))
        publish(B, END, time=datetime.now(timezone.utc))  # the caller goes on using its transaction
        assert CourseSchedule.objects.filter(course_key=CourseKey.from_string(B)).exists()
    assert "Could not keep failed schedule event evt-1" in caplog.text
