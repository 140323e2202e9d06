"""
Freeze runs never wait on the broker, as grade deliveries do not: with Redis refusing connections, or accepting them
and never answering, starting a run (command and periodic task), planning it, freezing its chunks, retrying a learner
and completing the run each return while the publishes they made still wait for the hand-off's thread; once the
broker is back nothing was lost. (How long each step takes is measured in benchmarks/, not asserted here.)

The tracking event of a completed run is emitted as every LMS tracking event is: event-routing-backends' xAPI
backend queues a celery task for each, with the host's broker settings. That backend is taken out here, so what is
shown is the plugin's own publishing (docs/decisions/0010-the-lms-never-waits-on-the-broker.rst).
"""
from datetime import datetime, timedelta, timezone
from io import StringIO

import pytest
from django.core.management import call_command
from eventtracking import tracker

from openedx_grade_freeze import broker_handoff as handoff
from openedx_grade_freeze.models import RUN_COMPLETE, RUN_PENDING, FreezeChunk, FreezeFailure, FreezeRun, FrozenGrade
from openedx_grade_freeze.snapshots import runs
from tests.broker_support import HungRedis, broker, hold_the_broker_thread, refused_port
from tests.credentials_server import GRADES_PATH, serving
from tests.forwarding import forwarding_to
from tests.platform_store.models import StoredCourseGrade
from tests.snapshot_support import enroll, make_users, on_commit, past_freeze_date, store_grades

UTC = timezone.utc
LEARNERS, CHUNK = 20, 10

pytestmark = pytest.mark.django_db


def course(name):
    """A course past its freeze date: 20 enrolled learners, one of them with a stored grade that cannot be frozen."""
    course_id = f"course-v1:Org+Handoff{name}+2026"
    past_freeze_date(course_id)
    enroll(course_id, range(1, LEARNERS + 1))
    store_grades(course_id, dict.fromkeys(range(1, LEARNERS + 1), (0.5, "C", True)))
    StoredCourseGrade.objects.filter(course_id=course_id, user_id=7).update(percent_grade=2.0)
    return course_id


def publishes_of(action):
    """How many publishes ``action`` (with its on-commit work) left waiting for the held hand-off thread."""
    before = handoff.publisher.jobs.qsize()
    with on_commit():
        action()
    return handoff.publisher.jobs.qsize() - before


@pytest.mark.parametrize("kind", ["refused", "hung"])
def test_no_step_of_a_freeze_run_waits_on_a_broken_broker(lms, settings, monkeypatch, kind):
    settings.GRADE_FREEZE_SNAPSHOT_CHUNK_SIZE = CHUNK
    settings.GRADE_FREEZE_SNAPSHOT_RETRY_BACKOFF_SECONDS = 1
    stale = datetime.now(UTC) + timedelta(seconds=settings.GRADE_FREEZE_SNAPSHOT_STALE_SECONDS + 60)
    monkeypatch.delitem(tracker.get_tracker().backends, "event_transformer", raising=False)
    course_id = course(kind)
    hung = HungRedis() if kind == "hung" else None
    with broker(f"redis://127.0.0.1:{hung.port if hung else refused_port()}/0"):
        release = hold_the_broker_thread()
        try:
            # Each step returns with its publishes still queued behind the held one: no step touched the broker.
            steps = {"command": publishes_of(
                lambda: call_command("freeze_final_grades", course_id, stdout=StringIO()))}
            run_id = FreezeRun.objects.get(course_key=course_id).pk
            steps["periodic"] = publishes_of(lambda: runs.freeze_due_courses(now=stale))  # resumes the idle run
            steps["plan"] = publishes_of(lambda: runs.plan_run(run_id))
            chunks = FreezeChunk.objects.filter(run_id=run_id).values_list("pk", flat=True)
            steps["chunks"] = sum(publishes_of(lambda chunk_id=chunk_id: runs.freeze_chunk(chunk_id))
                                  for chunk_id in chunks)  # user 7's retry
            StoredCourseGrade.objects.filter(course_id=course_id, user_id=7).update(percent_grade=0.7)
            steps["retry and completion"] = publishes_of(lambda: runs.retry_failures(run_id, now=stale))
            assert steps == {"command": 1, "periodic": 1, "plan": 1, "chunks": 1, "retry and completion": 1}
            assert hung is None or hung.accepted == []
            run = FreezeRun.objects.get(pk=run_id)
            assert (run.status, run.learners, run.frozen) == (RUN_COMPLETE, LEARNERS, LEARNERS)
        finally:
            release.set()
            if hung:
                hung.close()  # the stuck publish fails; those that waited meanwhile are skipped
        assert handoff.publisher.wait_idle(60)  # every publish failed or was skipped, in the background


@pytest.mark.django_db(transaction=True)  # committed as by a command in production: it publishes at once
def test_a_run_whose_publishes_were_lost_is_resumed_by_the_periodic_task(lms, settings):
    settings.GRADE_FREEZE_SNAPSHOT_CHUNK_SIZE = CHUNK
    course_id = course("Lost")
    output, hung = StringIO(), HungRedis()
    with broker(f"redis://127.0.0.1:{hung.port}/0"):
        try:
            call_command("freeze_final_grades", course_id, stdout=output)
        finally:
            hung.close()  # the stuck publish fails
        assert handoff.publisher.wait_idle(60)
    run = FreezeRun.objects.get(course_key=course_id)
    assert output.getvalue().splitlines() == [
        f"{course_id}: started run {run.pk}",
        "The broker has not taken the runs' tasks within 0.05 s; if they are lost, the periodic snapshot task "
        "resumes the runs (grade_freeze_status shows them).",
    ]
    assert run.status == RUN_PENDING  # its planning task never reached the broker

    # The broker is back (tasks run at once here); the hourly pass finds the run without progress.
    later = datetime.now(UTC) + timedelta(seconds=settings.GRADE_FREEZE_SNAPSHOT_STALE_SECONDS + 1)
    with on_commit():
        runs.freeze_due_courses(now=later)
    StoredCourseGrade.objects.filter(course_id=course_id, user_id=7).update(percent_grade=0.7)
    with on_commit():
        runs.retry_failures(run.pk, now=later + timedelta(hours=1))

    run.refresh_from_db()
    assert (run.status, run.learners, run.frozen, run.failed) == (RUN_COMPLETE, LEARNERS, LEARNERS, 0)
    assert sorted(FrozenGrade.objects.filter(run=run).values_list("user_id", flat=True)) == list(
        range(1, LEARNERS + 1))
    assert FreezeFailure.objects.get(run=run).resolved_at is not None


@pytest.mark.django_db(transaction=True)
def test_an_agreement_whose_publish_was_lost_is_queued_again_by_the_periodic_task(lms, settings, monkeypatch):
    course_id = "course-v1:Org+HandoffAgree+2026"
    past_freeze_date(course_id)
    ada, bob = make_users(["ada", "bob"])
    enroll(course_id, [ada.pk, bob.pk])
    store_grades(course_id, {ada.pk: (0.8, "B", True), bob.pk: (0.3, "", False)})
    with serving(course_id, "grade-freeze-handoff", "secret") as server, forwarding_to(
        server, settings, monkeypatch, "grade-freeze-handoff", "secret"
    ):
        with broker(f"redis://127.0.0.1:{refused_port()}/0"):
            run_id = runs.freeze_course(course_id).run_id  # every publish below is lost
            runs.plan_run(run_id)
            for chunk_id in FreezeChunk.objects.filter(run_id=run_id).values_list("pk", flat=True):
                runs.freeze_chunk(chunk_id)
            assert handoff.publisher.wait_idle(60)
        run = FreezeRun.objects.get(pk=run_id)
        assert (run.status, run.agreed_at) == (RUN_COMPLETE, None)
        assert server.requests_to(GRADES_PATH) == []

        # The broker is back (tasks run at once here); the hourly pass finds the agreement that never ran.
        later = datetime.now(UTC) + timedelta(seconds=settings.GRADE_FREEZE_SNAPSHOT_STALE_SECONDS + 1)
        runs.freeze_due_courses(now=later)
        assert float(server.get_grade("ada", course_id)["percent_grade"]) == 0.8
        assert float(server.get_grade("bob", course_id)["percent_grade"]) == 0.3
        run.refresh_from_db()
        assert (run.resent, run.agreed_at is not None) == (2, True)

        runs.freeze_due_courses(now=later + timedelta(hours=1))  # agreed: not queued again
        assert len(server.requests_to(GRADES_PATH)) == 2
