"""
Planning a freeze run in batches that workers freeze while planning goes on, and freezing chunks side by side: every
learner frozen exactly once, counts right, a run never complete before its planning is, a planning task killed
between batches resumed from its last chunk.
"""
from datetime import datetime, timedelta, timezone

import pytest

from openedx_grade_freeze.models import (
    CHUNK_DONE,
    RUN_COMPLETE,
    RUN_RUNNING,
    TRIGGER_COMMAND,
    FreezeChunk,
    FreezeRun,
    FrozenGrade,
)
from openedx_grade_freeze.snapshots import runs
from tests.snapshot_support import enroll, on_commit, past_freeze_date, store_grades
from tests.threads import run_together

COURSE = "course-v1:Org+Plan+2026"
UTC = timezone.utc

pytestmark = pytest.mark.django_db


@pytest.fixture(name="small_batches")
def fixture_small_batches(settings, monkeypatch):
    """Chunks of 10 learners, planned 3 at a time."""
    settings.GRADE_FREEZE_SNAPSHOT_CHUNK_SIZE = 10
    monkeypatch.setattr(runs, "PLAN_BATCH", 3)


def start_without_tasks(monkeypatch):
    """Start a run whose tasks stay in the queue: planning and chunks are driven by the test."""
    with monkeypatch.context() as patch:
        patch.setattr(runs, "_queue", lambda *args, **kwargs: None)
        return runs.freeze_course(COURSE, trigger=TRIGGER_COMMAND).run_id


def frozen_user_ids(run_id):
    return sorted(FrozenGrade.objects.filter(run_id=run_id).values_list("user_id", flat=True))


def test_chunks_of_a_first_batch_are_frozen_while_planning_goes_on_and_the_run_completes_once_planned(
    lms, small_batches, monkeypatch
):
    past_freeze_date(COURSE)
    enroll(COURSE, range(1, 96))  # 95 learners: ten chunks, the last one short, in four batches
    store_grades(COURSE, dict.fromkeys(range(1, 96, 3), (0.8, "B", True)))
    run_id = start_without_tasks(monkeypatch)

    batch, done = runs._plan_batch(run_id)  # pylint: disable=protected-access
    assert ([chunk.index for chunk in batch], done) == ([0, 1, 2], False)
    assert FreezeRun.objects.get(pk=run_id).status == RUN_RUNNING  # its chunks can be frozen now
    for chunk_id in FreezeChunk.objects.filter(run_id=run_id).values_list("pk", flat=True):
        with on_commit():
            assert runs.freeze_chunk(chunk_id)
    run = FreezeRun.objects.get(pk=run_id)
    assert (run.status, run.planned_at) == (RUN_RUNNING, None)  # every planned chunk is done, planning is not

    with on_commit():  # the rest of the planning, its chunks frozen as each batch is queued
        assert runs.plan_run(run_id) == 7

    run = FreezeRun.objects.get(pk=run_id)
    assert (run.status, run.learners, run.frozen, run.no_grade) == (RUN_COMPLETE, 95, 32, 63)
    chunks = list(FreezeChunk.objects.filter(run_id=run_id).order_by("index"))
    assert [(chunk.first_user_id, chunk.status) for chunk in chunks] == [
        (first, CHUNK_DONE) for first in range(1, 92, 10)]
    assert chunks[-1].last_user_id == runs.MAX_USER_ID
    assert frozen_user_ids(run_id) == list(range(1, 96))


def test_a_planning_task_killed_between_batches_is_resumed_from_its_last_chunk(lms, small_batches, monkeypatch):
    past_freeze_date(COURSE)
    enroll(COURSE, range(1, 81))
    run_id = start_without_tasks(monkeypatch)
    runs._plan_batch(run_id)  # pylint: disable=protected-access
    # The planning worker dies in its second batch: that batch's transaction rolls back as a whole.
    with monkeypatch.context() as patch:
        patch.setattr(runs, "_merged_ids", lambda *args: (_ for _ in ()).throw(SystemExit("worker killed")))
        with pytest.raises(SystemExit):
            runs.plan_run(run_id)
    assert FreezeChunk.objects.filter(run_id=run_id).count() == 3

    later = datetime.now(UTC) + timedelta(hours=1)
    with on_commit():  # the periodic task finds the run without progress: planning and chunks are queued again
        runs.freeze_due_courses(now=later)

    run = FreezeRun.objects.get(pk=run_id)
    assert (run.status, run.learners, run.no_grade) == (RUN_COMPLETE, 80, 80)
    assert list(FreezeChunk.objects.filter(run_id=run_id).order_by("index").values_list("first_user_id", flat=True)) \
        == list(range(1, 81, 10))
    assert frozen_user_ids(run_id) == list(range(1, 81))  # each learner exactly once


def test_a_second_planning_task_plans_nothing_twice(lms, small_batches, monkeypatch):
    past_freeze_date(COURSE)
    enroll(COURSE, range(1, 61))
    run_id = start_without_tasks(monkeypatch)
    # A duplicate planning task computes the same batch a moment later: the database keeps the first one.
    plan = runs._merged_ids  # pylint: disable=protected-access
    calls = []

    def meanwhile_another_task_plans(*args):
        calls.append(args)
        if len(calls) == 1:
            runs._plan_batch(run_id)  # pylint: disable=protected-access
        return plan(*args)

    monkeypatch.setattr(runs, "_merged_ids", meanwhile_another_task_plans)
    assert runs._plan_batch(run_id) == (None, True)  # pylint: disable=protected-access
    monkeypatch.setattr(runs, "_merged_ids", plan)
    runs.plan_run(run_id)
    assert list(FreezeChunk.objects.filter(run_id=run_id).order_by("index").values_list("index", "first_user_id")) \
        == [(index, 1 + 10 * index) for index in range(7)]  # the seventh for learners who enrol later


def test_a_course_ending_on_a_batch_boundary_gets_a_chunk_for_learners_who_enrol_later(
    lms, small_batches, monkeypatch
):
    past_freeze_date(COURSE)
    enroll(COURSE, range(1, 31))  # exactly one batch of three full chunks
    run_id = start_without_tasks(monkeypatch)
    runs.plan_run(run_id)
    chunks = list(FreezeChunk.objects.filter(run_id=run_id).order_by("index").values_list(
        "first_user_id", "last_user_id"))
    assert chunks == [(1, 10), (11, 20), (21, 30), (31, runs.MAX_USER_ID)]

    enroll(COURSE, [5000])  # enrolled after planning, before the chunks ran
    with on_commit():
        runs.resume_run(run_id)
    run = FreezeRun.objects.get(pk=run_id)
    assert (run.status, run.learners) == (RUN_COMPLETE, 31)
    assert frozen_user_ids(run_id)[-1] == 5000


def test_inactive_enrollments_set_chunk_boundaries_but_are_not_learners(lms, small_batches, monkeypatch):
    past_freeze_date(COURSE)
    enroll(COURSE, range(1, 16))
    enroll(COURSE, range(16, 26), is_active=False)  # left the course, no grade
    store_grades(COURSE, {20: (0.9, "A", True)})  # left the course with a grade: still a learner
    enroll(COURSE, range(26, 31))

    with on_commit():
        run_id = runs.freeze_course(COURSE, trigger=TRIGGER_COMMAND).run_id

    run = FreezeRun.objects.get(pk=run_id)
    assert (run.status, run.learners, run.frozen, run.no_grade) == (RUN_COMPLETE, 21, 1, 20)
    assert frozen_user_ids(run_id) == [*range(1, 16), 20, *range(26, 31)]
    # Thirty enrollments fill the first batch of three chunks; a fourth is for learners who enrol later.
    assert list(FreezeChunk.objects.filter(run_id=run_id).order_by("index").values_list("learners", flat=True)) \
        == [10, 6, 5, 0]


@pytest.mark.django_db(transaction=True)
def test_four_workers_freezing_one_runs_chunks_at_once_freeze_each_learner_once(lms, settings, monkeypatch):
    settings.GRADE_FREEZE_SNAPSHOT_CHUNK_SIZE = 25
    past_freeze_date(COURSE)
    enroll(COURSE, range(1, 401))
    store_grades(COURSE, dict.fromkeys(range(1, 401, 2), (0.6, "C", True)))
    run_id = start_without_tasks(monkeypatch)
    with monkeypatch.context() as patch:
        patch.setattr(runs, "_queue_chunks", lambda *args: None)  # committed at once here: the tasks would run
        runs.plan_run(run_id)
    chunk_ids = list(FreezeChunk.objects.filter(run_id=run_id).values_list("pk", flat=True))
    frozen = []

    def worker(index):  # each takes every chunk in turn, as duplicate tasks would: a chunk is frozen once
        frozen.extend(chunk_id for chunk_id in chunk_ids if runs.freeze_chunk(chunk_id))

    errors = run_together(4, worker)

    assert errors == []
    assert sorted(frozen) == sorted(chunk_ids)
    run = FreezeRun.objects.get(pk=run_id)
    assert (run.status, run.learners, run.frozen, run.no_grade) == (RUN_COMPLETE, 400, 200, 200)
    assert frozen_user_ids(run_id) == list(range(1, 401))
