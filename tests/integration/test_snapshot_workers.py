"""
A freeze run on real celery workers (Redis broker, the test database): a worker killed halfway through leaves
its chunks pending, and the run resumes on another worker to completion with every learner frozen exactly once.

The workers run "in the LMS": the stand-ins on their path, reading the stored grades and enrollments the test
wrote to the database (``GRADE_FREEZE_STANDINS_IN_DATABASE``, see tests/platform_store).
"""
import time

import pytest
from django.db.models import Count

from openedx_grade_freeze.models import CHUNK_DONE, RUN_COMPLETE, RUN_RUNNING, FreezeChunk, FreezeRun, FrozenGrade
from openedx_grade_freeze.snapshots import runs
from tests.integration.workers import Workers
from tests.snapshot_support import enroll, past_freeze_date, store_grades

COURSE = "course-v1:Org+Workers+Snapshot"
LEARNERS = 20000
CHUNK = 100

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture(name="workers")
def fixture_workers(broker, settings):
    settings.GRADE_FREEZE_SNAPSHOT_CHUNK_SIZE = CHUNK
    started = Workers(
        {"GRADE_FREEZE_STANDINS_IN_DATABASE": True, "GRADE_FREEZE_SNAPSHOT_CHUNK_SIZE": CHUNK}, broker
    )
    yield started
    started.stop()


def chunks_done(run_id):
    return FreezeChunk.objects.filter(run_id=run_id, status=CHUNK_DONE).count()


def wait_for(condition, timeout, what, interval=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout} s waiting for {what}")


def test_a_run_whose_worker_is_killed_halfway_resumes_on_another_worker_without_duplicates(workers):
    past_freeze_date(COURSE)
    enroll(COURSE, range(1, LEARNERS + 1))
    store_grades(COURSE, dict.fromkeys(range(1, LEARNERS + 1, 2), (0.42, "C", False)))
    workers.start("alpha")
    workers.wait_ready()

    run_id = runs.freeze_course(COURSE).run_id
    wait_for(lambda: chunks_done(run_id) >= 10, 60, "ten chunks frozen by the first worker")
    workers.kill("alpha")

    run = FreezeRun.objects.get(pk=run_id)
    done = chunks_done(run_id)
    assert run.status == RUN_RUNNING, "the run finished before the worker was killed: make the course bigger"
    assert 10 <= done < LEARNERS // CHUNK
    assert FrozenGrade.objects.filter(run_id=run_id).count() == done * CHUNK  # whole chunks only

    workers.start("bravo")
    workers.wait_ready()
    assert runs.freeze_course(COURSE).action == runs.RESUMED  # what the periodic task does for a stalled run
    wait_for(lambda: FreezeRun.objects.get(pk=run_id).status == RUN_COMPLETE, 120, "the resumed run", 0.5)

    run.refresh_from_db()
    assert (run.learners, run.frozen, run.no_grade, run.failed) == (LEARNERS, LEARNERS // 2, LEARNERS // 2, 0)
    assert not FrozenGrade.objects.filter(run_id=run_id).values("user_id").annotate(n=Count("pk")).filter(n__gt=1)
    assert FrozenGrade.objects.filter(run_id=run_id).count() == LEARNERS
    assert FreezeRun.objects.filter(course_key=COURSE).count() == 1
