"""
One complete snapshot per course, enforced by the database: a freeze request racing the completion of the running
run, eight threads or two processes asking at once, all end with exactly one run.
"""
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import IntegrityError, connection, transaction

from openedx_grade_freeze.models import (
    CHUNK_PENDING,
    RETIRED_SUPERSEDED,
    RUN_COMPLETE,
    TRIGGER_COMMAND,
    FreezeChunk,
    FreezeRun,
    FrozenGrade,
)
from openedx_grade_freeze.snapshots import runs
from tests.snapshot_support import enroll, on_commit, past_freeze_date, store_grades
from tests.threads import run_together

COURSE = "course-v1:Org+Race+2026"
REPO = Path(__file__).resolve().parents[1]


def test_a_request_racing_the_last_chunk_starts_no_second_run(lms, settings, monkeypatch):
    settings.GRADE_FREEZE_SNAPSHOT_CHUNK_SIZE = 5
    past_freeze_date(COURSE)
    enroll(COURSE, range(1, 11))
    store_grades(COURSE, dict.fromkeys(range(1, 11), (0.7, "B", True)))
    with monkeypatch.context() as patch:
        patch.setattr(runs, "_queue", lambda *args, **kwargs: None)  # the chunk tasks wait in the queue
        run_id = runs.freeze_course(COURSE, trigger=TRIGGER_COMMAND).run_id
        runs.plan_run(run_id)
    first, last = FreezeChunk.objects.filter(run_id=run_id).order_by("index").values_list("pk", flat=True)
    runs.freeze_chunk(first)

    # The request finds no snapshot yet; while it reads the freeze policy, a worker freezes the last chunk and
    # completes the run, so the request then finds no open run either.
    evaluate = runs.policy.get_freeze_state

    def last_chunk_finishes_meanwhile(*args, **kwargs):
        if FreezeChunk.objects.filter(pk=last, status=CHUNK_PENDING).exists():
            with on_commit():
                runs.freeze_chunk(last)
        return evaluate(*args, **kwargs)

    monkeypatch.setattr(runs.policy, "get_freeze_state", last_chunk_finishes_meanwhile)
    with on_commit():
        request = runs.freeze_course(COURSE)

    assert FreezeRun.objects.get(pk=run_id).status == RUN_COMPLETE
    assert (request.action, request.run_id) == (runs.ALREADY_FROZEN, run_id)
    assert list(FreezeRun.objects.filter(course_key=COURSE).values_list("pk", flat=True)) == [run_id]
    assert FrozenGrade.objects.filter(course_key=COURSE).count() == 10


def test_the_database_refuses_a_second_run_beside_a_current_snapshot(lms):
    past_freeze_date(COURSE)
    enroll(COURSE, [1, 2])
    with on_commit():
        run_id = runs.freeze_course(COURSE, trigger=TRIGGER_COMMAND).run_id
    assert FreezeRun.objects.get(pk=run_id).status == RUN_COMPLETE

    with pytest.raises(IntegrityError), transaction.atomic():
        FreezeRun.objects.create(course_key=COURSE, current_course_key=COURSE)

    # Once the snapshot is retired (kept as history), a new run may take its place.
    FreezeRun.objects.filter(pk=run_id).update(retired=RETIRED_SUPERSEDED, current_course_key=None)
    FreezeRun.objects.create(course_key=COURSE, current_course_key=COURSE)


@pytest.mark.django_db(transaction=True)
def test_eight_threads_asking_at_once_make_exactly_one_run(lms, settings):
    settings.GRADE_FREEZE_SNAPSHOT_CHUNK_SIZE = 3  # the starting thread freezes its chunks at once (tasks run eagerly)
    past_freeze_date(COURSE)
    enroll(COURSE, range(1, 31))
    store_grades(COURSE, dict.fromkeys(range(1, 31), (0.5, "C", True)))
    actions = []

    def ask(_index):
        for _ in range(5):  # before, during and after the run's completion
            actions.append(runs.freeze_course(COURSE, trigger=TRIGGER_COMMAND).action)

    assert run_together(8, ask) == []

    [run] = FreezeRun.objects.filter(course_key=COURSE)
    assert actions.count(runs.STARTED) == 1
    assert set(actions) <= {runs.STARTED, runs.RESUMED, runs.ALREADY_FROZEN}
    assert (run.status, run.learners) == (RUN_COMPLETE, 30)
    assert FrozenGrade.objects.filter(run=run).count() == 30


ASK_FROM_A_PROCESS = """
import json, os, sys, time
import django
django.setup()
from openedx_grade_freeze.snapshots import runs
ready, go = sys.argv[1], sys.argv[2]
open(ready, "w").close()
while not os.path.exists(go):
    time.sleep(0.01)
actions = [runs.freeze_course(sys.argv[3], trigger="command").action for _ in range(int(sys.argv[4]))]
print(json.dumps(actions))
"""


def ask_from_processes(tmp_path, count, asks):
    """Start ``count`` processes on the test database; once all are ready, each asks ``asks`` times to freeze."""
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="tests.integration.worker_settings",
        GRADE_FREEZE_CELERY_BROKER="memory://",
        GRADE_FREEZE_CELERY_QUEUE="grade-freeze-race",
        GRADE_FREEZE_WORKER_DB_NAME=str(connection.settings_dict["NAME"]),
        # Their tasks run in the process, as in a worker; the LMS tables are the test's (tests/platform_store).
        GRADE_FREEZE_WORKER_SETTINGS=json.dumps({
            "CELERY_TASK_ALWAYS_EAGER": True, "GRADE_FREEZE_STANDINS_IN_DATABASE": True,
            "GRADE_FREEZE_SNAPSHOT_CHUNK_SIZE": settings.GRADE_FREEZE_SNAPSHOT_CHUNK_SIZE,
        }),
        PYTHONPATH=str(REPO),
    )
    go = tmp_path / "go"
    processes, ready = [], []
    for index in range(count):
        ready.append(tmp_path / f"ready-{index}")
        processes.append(subprocess.Popen(  # pylint: disable=consider-using-with
            [sys.executable, "-c", ASK_FROM_A_PROCESS, str(ready[-1]), str(go), COURSE, str(asks)],
            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        ))
    deadline = time.monotonic() + 120
    while not all(path.exists() for path in ready):
        assert all(process.poll() is None for process in processes), [p.communicate() for p in processes]
        assert time.monotonic() < deadline, "the processes did not start in 120 s"
        time.sleep(0.05)
    go.touch()
    actions = []
    for process in processes:
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err[-3000:]
        actions.extend(json.loads(out.strip().splitlines()[-1]))
    return actions


@pytest.mark.django_db(transaction=True)
def test_two_processes_asking_at_once_make_exactly_one_run(lms, settings, tmp_path):
    settings.GRADE_FREEZE_SNAPSHOT_CHUNK_SIZE = 20
    past_freeze_date(COURSE)
    enroll(COURSE, range(1, 201))
    store_grades(COURSE, dict.fromkeys(range(1, 201, 2), (0.9, "A", True)))

    actions = ask_from_processes(tmp_path, 2, asks=20)

    [run] = FreezeRun.objects.filter(course_key=COURSE)
    assert actions.count(runs.STARTED) == 1
    assert set(actions) <= {runs.STARTED, runs.RESUMED, runs.ALREADY_FROZEN}
    assert (run.status, run.learners, run.frozen, run.no_grade) == (RUN_COMPLETE, 200, 100, 100)
    assert FrozenGrade.objects.filter(run=run).count() == 200
