"""
Final-grade snapshots: runs in chunks over the LMS's stored grades and enrollments (database tables here), their
status in the database, retries, resuming, no overlap, superseding and the periodic task.
"""
from datetime import datetime, timedelta, timezone

import pytest
from django.conf import settings
from django.db import IntegrityError, transaction

from openedx_grade_freeze.dates import isoformat
from openedx_grade_freeze.models import (
    CHUNK_DONE,
    CHUNK_PENDING,
    RETIRED_SUPERSEDED,
    RUN_COMPLETE,
    RUN_PENDING,
    RUN_RUNNING,
    TRIGGER_COMMAND,
    CourseSchedule,
    FreezeChunk,
    FreezeFailure,
    FreezeRun,
    FrozenGrade,
    SnapshotAuditEntry,
)
from openedx_grade_freeze.policy import policy_cache
from openedx_grade_freeze.settings.common import SNAPSHOT_SCHEDULE_ENTRY, SNAPSHOT_TASK
from openedx_grade_freeze.snapshots import runs
from openedx_grade_freeze.tracking import COURSE_FROZEN
from tests.conftest import events_named
from tests.platform_store.models import StoredCourseGrade
from tests.snapshot_support import enroll, on_commit, past_freeze_date, store_grades

COURSE = "course-v1:Org+Snap+2026"
UTC = timezone.utc

pytestmark = pytest.mark.django_db


def freeze(course_id=COURSE, **kwargs):
    with on_commit():
        return runs.freeze_course(course_id, trigger=TRIGGER_COMMAND, **kwargs)


def table_state(course_id=COURSE):
    """Every frozen grade of the course, as comparable tuples."""
    return sorted(FrozenGrade.objects.filter(course_key=course_id).values_list(
        "run_id", "user_id", "has_grade", "percent_grade", "letter_grade", "passed", "frozen_at"))


def test_a_10000_learner_course_freezes_completely_and_a_second_run_changes_nothing(lms, settings, tracking_events):
    settings.GRADE_FREEZE_SNAPSHOT_CHUNK_SIZE = 1000
    past_freeze_date(COURSE)
    # 9,000 enrolled learners with a grade, 500 enrolled without one, 500 graded who left the course since,
    # and 300 inactive enrollments without a grade, which are not learners of the course.
    graded_enrolled = range(1, 9001)
    no_grade = range(9001, 9501)
    graded_unenrolled = range(9501, 10001)
    enroll(COURSE, list(graded_enrolled) + list(no_grade))
    enroll(COURSE, range(20001, 20301), is_active=False)
    store_grades(COURSE, {
        user_id: (round((user_id % 100) / 100, 2), "Pass" if user_id % 100 >= 50 else "", user_id % 100 >= 50)
        for user_id in list(graded_enrolled) + list(graded_unenrolled)
    })
    store_grades("course-v1:Org+Other+2026", {5: (0.9, "A", True)})

    request = freeze()

    run = FreezeRun.objects.get(pk=request.run_id)
    assert request.action == runs.STARTED
    assert (run.status, run.retired, run.open_course_key) == (RUN_COMPLETE, "", None)
    assert (run.learners, run.frozen, run.no_grade, run.failed, run.skipped) == (10000, 9500, 500, 0, 0)
    # Planning reads indexes only, so inactive enrollments count towards chunk boundaries: an eleventh chunk.
    assert list(FreezeChunk.objects.filter(run=run).order_by("index").values_list("learners", flat=True)) == (
        [1000] * 10 + [0])
    assert not FreezeChunk.objects.filter(run=run).exclude(status=CHUNK_DONE).exists()
    assert FrozenGrade.objects.filter(run=run).count() == 10000
    ada = FrozenGrade.objects.get(run=run, user_id=1234)
    assert (ada.has_grade, ada.percent_grade, ada.letter_grade, ada.passed) == (True, 0.34, "", False)
    assert ada.grade_modified == StoredCourseGrade.objects.get(user_id=1234).modified
    passing = FrozenGrade.objects.get(run=run, user_id=9550)
    assert (passing.percent_grade, passing.letter_grade, passing.passed) == (0.5, "Pass", True)
    never = FrozenGrade.objects.get(run=run, user_id=9100)
    assert (never.has_grade, never.percent_grade, never.letter_grade, never.passed) == (False, 0.0, "", False)
    assert not FrozenGrade.objects.filter(run=run, user_id__gte=20001).exists()
    [event] = events_named(tracking_events, COURSE_FROZEN)
    assert event["course_id"] == COURSE
    assert (event["learners"], event["frozen"], event["no_grade"]) == (10000, 9500, 500)
    assert event["freeze_date"] == isoformat(run.freeze_date)
    assert run.freeze_date == CourseSchedule.objects.get(course_key=COURSE).end + timedelta(days=30)
    assert SnapshotAuditEntry.objects.filter(run=run, action=SnapshotAuditEntry.ACTION_FROZEN).count() == 1

    before = table_state()
    again = freeze()
    with on_commit():
        periodic = runs.freeze_due_courses()
    for chunk in FreezeChunk.objects.filter(run=run):
        assert runs.freeze_chunk(chunk.pk) is False  # a late duplicate task does nothing

    assert (again.action, again.run_id) == (runs.ALREADY_FROZEN, run.pk)
    assert periodic == []
    assert FreezeRun.objects.filter(course_key=COURSE).count() == 1
    assert table_state() == before
    assert len(events_named(tracking_events, COURSE_FROZEN)) == 1


def test_failing_learners_are_retried_with_reasons_and_the_run_completes_once_they_succeed(lms, settings):
    settings.GRADE_FREEZE_SNAPSHOT_CHUNK_SIZE = 4
    settings.GRADE_FREEZE_SNAPSHOT_RETRY_BACKOFF_SECONDS = 60
    past_freeze_date(COURSE)
    enroll(COURSE, range(1, 11))
    store_grades(COURSE, dict.fromkeys(range(1, 11), (0.5, "P", True)))
    StoredCourseGrade.objects.filter(user_id=3).update(percent_grade=None)
    StoredCourseGrade.objects.filter(user_id=7).update(percent_grade=1.5)

    run = FreezeRun.objects.get(pk=freeze().run_id)

    assert (run.status, run.learners, run.frozen, run.failed) == (RUN_RUNNING, 10, 8, 2)
    assert run.open_course_key == COURSE
    reasons = dict(FreezeFailure.objects.filter(run=run).values_list("user_id", "reason"))
    assert reasons == {
        3: "The stored percent grade is not a number: None.",
        7: "The stored percent grade 1.5 is outside 0 to 1.",
    }
    assert runs.retry_failures(run.pk) == 0  # not due yet: the first retry waits 60 s

    StoredCourseGrade.objects.filter(user_id=3).update(percent_grade=0.31)
    now = datetime.now(UTC) + timedelta(seconds=61)
    with on_commit():
        assert runs.retry_failures(run.pk, now=now) == 1
    still = FreezeFailure.objects.get(run=run, user_id=7, resolved_at__isnull=True)
    assert still.attempts == 2
    assert 119 <= (still.next_attempt_at - now).total_seconds() <= 121  # the backoff doubled
    run.refresh_from_db()
    assert (run.status, run.frozen, run.failed) == (RUN_RUNNING, 9, 1)

    StoredCourseGrade.objects.filter(user_id=7).update(percent_grade=0.77)
    with on_commit():
        assert runs.retry_failures(run.pk, now=now + timedelta(seconds=121)) == 1

    run.refresh_from_db()
    assert (run.status, run.learners, run.frozen, run.failed) == (RUN_COMPLETE, 10, 10, 0)
    assert FrozenGrade.objects.get(run=run, user_id=3).percent_grade == 0.31
    assert FrozenGrade.objects.get(run=run, user_id=7).percent_grade == 0.77
    assert FreezeFailure.objects.filter(run=run, resolved_at__isnull=False).count() == 2


def test_a_run_killed_halfway_resumes_to_completion_without_duplicates(lms, settings, monkeypatch):
    settings.GRADE_FREEZE_SNAPSHOT_CHUNK_SIZE = 100
    past_freeze_date(COURSE)
    enroll(COURSE, range(1, 1001))
    store_grades(COURSE, dict.fromkeys(range(1, 801), (0.6, "C", True)))
    queued = []
    monkeypatch.setattr(runs, "_queue", lambda task, *args, countdown=None: queued.append((task.name, args)))

    run_id = runs.freeze_course(COURSE, trigger=TRIGGER_COMMAND).run_id
    assert FreezeRun.objects.get(pk=run_id).status == RUN_PENDING
    runs.plan_run(run_id)
    chunks = list(FreezeChunk.objects.filter(run_id=run_id).order_by("index").values_list("pk", flat=True))
    assert len(chunks) == 10
    for chunk_id in chunks[:4]:
        runs.freeze_chunk(chunk_id)

    # The worker dies in the middle of chunk 5, after its rows were inserted, before the chunk was marked done.
    real_freeze = runs._freeze_learners  # pylint: disable=protected-access

    def killed(*args):
        real_freeze(*args)
        raise SystemExit("worker killed")

    monkeypatch.setattr(runs, "_freeze_learners", killed)
    with pytest.raises(SystemExit):
        runs.freeze_chunk(chunks[4])
    monkeypatch.setattr(runs, "_freeze_learners", real_freeze)
    assert FrozenGrade.objects.filter(run_id=run_id).count() == 400  # chunk 5 rolled back as a whole
    assert FreezeChunk.objects.get(pk=chunks[4]).status == CHUNK_PENDING

    # Later the periodic task finds the run without progress and queues what is left.
    monkeypatch.undo()
    settings.GRADE_FREEZE_SNAPSHOT_STALE_SECONDS = 600
    with on_commit():
        runs.freeze_due_courses(now=datetime.now(UTC) + timedelta(seconds=601))

    run = FreezeRun.objects.get(pk=run_id)
    assert (run.status, run.learners, run.frozen, run.no_grade) == (RUN_COMPLETE, 1000, 800, 200)
    user_ids = list(FrozenGrade.objects.filter(run_id=run_id).values_list("user_id", flat=True))
    assert sorted(user_ids) == list(range(1, 1001))  # each learner exactly once
    assert FreezeRun.objects.filter(course_key=COURSE).count() == 1


def test_two_runs_of_one_course_never_overlap(lms, monkeypatch):
    past_freeze_date(COURSE)
    enroll(COURSE, [1, 2])
    monkeypatch.setattr(runs, "_queue", lambda *args, **kwargs: None)  # the first run's tasks are still queued

    first = runs.freeze_course(COURSE, trigger=TRIGGER_COMMAND)
    second = runs.freeze_course(COURSE)

    assert (first.action, second.action) == (runs.STARTED, runs.RESUMED)
    assert second.run_id == first.run_id
    with pytest.raises(IntegrityError), transaction.atomic():
        FreezeRun.objects.create(course_key=COURSE, open_course_key=COURSE)
    assert FreezeRun.objects.filter(course_key=COURSE).count() == 1


def test_the_periodic_task_freezes_courses_past_their_freeze_date_only(lms):
    past_freeze_date(COURSE)
    past_freeze_date("course-v1:Org+Recent+2026", days_ago=10)  # ended, but freezes 30 days after its end
    enroll(COURSE, [1, 2, 3])
    enroll("course-v1:Org+Recent+2026", [1, 2])

    with on_commit():
        started = runs.freeze_due_courses()

    assert [(str(request.course_key), request.action) for request in started] == [(COURSE, runs.STARTED)]
    assert FreezeRun.objects.get(course_key=COURSE).learners == 3
    assert not FreezeRun.objects.filter(course_key="course-v1:Org+Recent+2026").exists()
    for schedule in (settings.CELERY_BEAT_SCHEDULE, settings.CELERYBEAT_SCHEDULE):
        assert schedule[SNAPSHOT_SCHEDULE_ENTRY] == {"task": SNAPSHOT_TASK, "schedule": 3600.0}


def test_a_snapshot_is_superseded_when_the_end_date_moves_later_and_frozen_again_later(lms):
    past_freeze_date(COURSE)
    enroll(COURSE, [1, 2])
    first = freeze().run_id

    CourseSchedule.objects.filter(course_key=COURSE).update(end=datetime.now(UTC) + timedelta(days=5))
    policy_cache.clear()
    with on_commit():
        runs.freeze_due_courses()

    run = FreezeRun.objects.get(pk=first)
    assert run.retired == RETIRED_SUPERSEDED
    assert "No longer past its freeze date" in run.retired_reason
    assert FrozenGrade.objects.filter(run=run).count() == 2  # kept as history
    assert runs.current_snapshot(COURSE) is None

    with on_commit():
        started = runs.freeze_due_courses(now=datetime.now(UTC) + timedelta(days=36))
    assert [request.action for request in started] == [runs.STARTED]
    assert runs.current_snapshot(COURSE).pk == started[0].run_id != first


def test_an_empty_course_completes_with_no_learners(lms):
    past_freeze_date(COURSE)

    run = FreezeRun.objects.get(pk=freeze().run_id)

    assert (run.status, run.learners) == (RUN_COMPLETE, 0)


def test_the_periodic_task_leaves_a_run_in_progress_alone_until_it_is_stale(lms, settings, monkeypatch):
    settings.GRADE_FREEZE_SNAPSHOT_CHUNK_SIZE = 10
    settings.GRADE_FREEZE_SNAPSHOT_STALE_SECONDS = 600
    past_freeze_date(COURSE)
    enroll(COURSE, range(1, 31))
    with monkeypatch.context() as patch:
        patch.setattr(runs, "_queue", lambda *args, **kwargs: None)  # its chunk tasks are still in the queue
        run_id = runs.freeze_course(COURSE, trigger=TRIGGER_COMMAND).run_id
        runs.plan_run(run_id)

    with on_commit():  # tasks run at once here: a chunk queued again would be frozen now
        started = runs.freeze_due_courses()

    assert started == []
    assert FreezeChunk.objects.filter(run_id=run_id, status=CHUNK_PENDING).count() == 3
    assert FreezeRun.objects.get(pk=run_id).status == RUN_RUNNING

    with on_commit():  # ten minutes without progress: now its pending chunks are queued again
        runs.freeze_due_courses(now=datetime.now(UTC) + timedelta(seconds=601))

    run = FreezeRun.objects.get(pk=run_id)
    assert (run.status, run.learners) == (RUN_COMPLETE, 30)
