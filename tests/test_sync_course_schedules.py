"""
``sync_course_schedules``: backfill from CourseOverview inside the platform; a clear refusal outside it.
"""
import re
from datetime import datetime, timedelta, timezone
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from opaque_keys.edx.keys import CourseKey

from openedx_grade_freeze.models import CourseEndDateChange, CourseSchedule, FailedScheduleEvent
from openedx_grade_freeze.tracking import COURSE_END_CHANGED
from tests.conftest import events_named
from tests.events import publish

END = datetime(2026, 6, 30, tzinfo=timezone.utc)
START = datetime(2026, 1, 5, tzinfo=timezone.utc)
A = "course-v1:SyncX+A+2026"
B = "course-v1:SyncX+B+2026"

pytestmark = pytest.mark.django_db


def run(*args):
    out = StringIO()
    call_command("sync_course_schedules", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def overviews(platform_standins):
    from openedx.core.djangoapps.content.course_overviews.models import CourseOverview

    CourseOverview.create(A, org="SyncX", start=START, end=END)
    CourseOverview.create(B, org="SyncX", start=START, end=None, self_paced=True)
    return CourseOverview


def test_outside_the_platform_it_says_so_and_fails():
    with pytest.raises(CommandError, match="not importable here"):
        run()


def test_backfills_every_course_with_progress(overviews, tracking_events):
    output = run()

    assert f"[1/2] {A}: new" in output and f"[2/2] {B}: new" in output
    assert (
        "2 courses: 2 new, 0 end changed, 0 unchanged, 0 out of date, 0 not found, 0 unreadable, 0 failed, "
        "0 skipped." in output
    )
    assert CourseSchedule.objects.get(course_key=CourseKey.from_string(B)).pacing == "self"
    assert events_named(tracking_events, COURSE_END_CHANGED) == []


def test_an_end_date_changed_while_events_were_missed_is_recorded(overviews, tracking_events,
                                                                  django_capture_on_commit_callbacks):
    publish(A, END - timedelta(days=30), time=datetime(2026, 1, 1, tzinfo=timezone.utc))
    with django_capture_on_commit_callbacks(execute=True):
        output = run("--courses", A)

    assert "end changed" in output
    (event,) = events_named(tracking_events, COURSE_END_CHANGED)
    assert event["new_end"] == END.isoformat()
    assert CourseEndDateChange.objects.get().source == "sync"


def test_dry_run_writes_nothing(overviews):
    publish(A, END - timedelta(days=30), time=datetime(2026, 1, 1, tzinfo=timezone.utc))
    output = run("--dry-run")

    assert f"{A}: would be end changed" in output and f"{B}: would be new" in output
    assert CourseSchedule.objects.count() == 1
    assert not CourseEndDateChange.objects.exists()


def test_failed_events_are_replayed_and_resolved(overviews):
    FailedScheduleEvent.objects.create(course_key=A, event_id="e1", error="database is locked")
    output = run("--failed")

    assert f"[1/1] {A}: new" in output
    assert FailedScheduleEvent.objects.get().resolved is not None


def test_bad_input_is_refused(overviews):
    with pytest.raises(CommandError, match="not-a-key"):
        run("--courses", "not-a-key")
    with pytest.raises(CommandError, match="either"):
        run("--courses", A, "--failed")
    with pytest.raises(CommandError, match="no CourseOverview"):
        run("--courses", "course-v1:SyncX+Missing+2026")


@pytest.mark.django_db(transaction=True)
def test_a_lock_conflict_with_a_simultaneous_publish_is_retried(overviews, monkeypatch):
    from django.db import OperationalError

    from openedx_grade_freeze import schedules

    real_store = schedules._store_snapshot  # pylint: disable=protected-access
    conflicts = []

    def deadlock_once(snapshot, *args):
        if not conflicts:
            conflicts.append(snapshot.course_key)
            raise OperationalError(1213, "Deadlock found when trying to get lock; try restarting transaction")
        return real_store(snapshot, *args)

    monkeypatch.setattr(schedules, "_store_snapshot", deadlock_once)
    output = run("--courses", A)

    assert conflicts == [CourseKey.from_string(A)]
    assert f"[1/1] {A}: new" in output
    assert CourseSchedule.objects.filter(course_key=CourseKey.from_string(A)).exists()


def test_a_course_whose_overview_fails_to_load_is_reported_and_the_others_are_synced(overviews):
    overviews.fail_loading(A, OSError("modulestore unavailable"))

    expected = "0 course\\(s\\) have no CourseOverview, 1 could not be read and 0 could not be stored"
    with pytest.raises(CommandError, match=expected):
        run("--courses", A, B)

    assert not CourseSchedule.objects.filter(course_key=CourseKey.from_string(A)).exists()
    assert CourseSchedule.objects.filter(course_key=CourseKey.from_string(B)).exists()


def test_a_failed_overview_load_is_a_platform_read_error_naming_the_course(overviews):
    from openedx_grade_freeze.exceptions import PlatformReadError
    from openedx_grade_freeze.platform import course_overviews

    overviews.fail_loading(A, OSError("modulestore unavailable"))

    with pytest.raises(PlatformReadError, match=re.escape(f"CourseOverview of {A}: OSError: modulestore unavailable")):
        course_overviews.get_course_overview(CourseKey.from_string(A))
    (course_key, schedule, error), = course_overviews.iter_course_overviews([CourseKey.from_string(A)])
    assert (str(course_key), schedule, type(error)) == (A, None, PlatformReadError)
