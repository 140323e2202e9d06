"""
The learner exceptions' periodic task on two real celery workers at once (Redis broker, the test database): every
expired exception is closed and its learner re-frozen exactly once, and the fake Credentials service ends up holding
each learner's new grade, sent by the workers through the outbox.
"""
import time
from datetime import datetime, timedelta, timezone

import pytest
import redis
from django.contrib.auth import get_user_model

from openedx_grade_freeze import api, tasks
from openedx_grade_freeze.models import (
    RUN_COMPLETE,
    FreezeRun,
    FrozenGrade,
    LearnerException,
    LearnerExceptionChange,
    SnapshotAuditEntry,
)
from tests.credentials_server import forwarding_settings, serving
from tests.host.celery_app import app as celery_app
from tests.integration.workers import QUEUE, RUN_ID, Workers
from tests.platform_store.models import StoredCourseGrade
from tests.snapshot_support import enroll, past_freeze_date, store_grades

COURSE = f"course-v1:Exc{RUN_ID}+Workers+2026"
CLIENT_ID, CLIENT_SECRET = "grade-freeze-exception-workers", "grade-freeze-exception-workers-secret"
LEARNERS = 20
UTC = timezone.utc

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture(name="server")
def fixture_server():
    with serving(COURSE, CLIENT_ID, CLIENT_SECRET) as fake:
        yield fake


def wait_until(condition, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.3)
    pytest.fail(f"timed out after {timeout} s waiting for {what}")


def idle(broker):
    active = celery_app.control.inspect(timeout=0.5).active() or {}
    busy = [task for name, running in active.items() if RUN_ID in name for task in running]
    return redis.Redis.from_url(broker).llen(QUEUE) == 0 and not busy


def test_two_workers_close_and_re_freeze_each_expired_exception_once(broker, server):
    now = datetime.now(UTC)
    past_freeze_date(COURSE)
    users = [get_user_model().objects.create(username=f"w{RUN_ID}{index}") for index in range(LEARNERS)]
    ids = [user.pk for user in users]
    enroll(COURSE, ids)
    store_grades(COURSE, dict.fromkeys(ids, (0.4, "", False)))
    run = FreezeRun.objects.create(course_key=COURSE, status=RUN_COMPLETE, completed_at=now, learners=LEARNERS,
                                   frozen=LEARNERS)
    FrozenGrade.objects.bulk_create([
        FrozenGrade(run=run, course_key=COURSE, user_id=user_id, has_grade=True, percent_grade=0.4, frozen_at=now)
        for user_id in ids
    ])
    api.grant_learner_exceptions(COURSE, users, reason="Late proctoring reviews", until=now + timedelta(days=3))
    StoredCourseGrade.objects.filter(course_id=COURSE).update(percent_grade=0.8, letter_grade="B",
                                                              passed_timestamp=now, modified=now)
    LearnerException.objects.update(closes_at=now - timedelta(hours=1))  # the windows ended an hour ago

    workers = Workers({
        "GRADE_FREEZE_STANDINS_IN_DATABASE": True,
        **forwarding_settings(server, CLIENT_ID, CLIENT_SECRET, GRADE_FREEZE_CREDENTIALS_TIMEOUT=[2.0, 5.0]),
    }, broker)
    try:
        workers.start("east")
        workers.start("west")
        workers.wait_ready()
        for _ in range(6):
            tasks.close_learner_exceptions_task.delay()  # as celery beat would, six passes at once
        wait_until(lambda: idle(broker), 90, "the workers to finish the passes")
        wait_until(lambda: all(server.get_grade(user.username, COURSE) for user in users), 60,
                   "Credentials to hold every re-frozen grade")
    finally:
        workers.stop()

    assert set(LearnerException.objects.values_list("status", "closed_how")) == {("closed", "expired")}
    assert LearnerException.objects.filter(refrozen_at__isnull=True).count() == 0
    assert LearnerExceptionChange.objects.filter(action="closed").count() == LEARNERS
    assert LearnerExceptionChange.objects.filter(action="refrozen").count() == LEARNERS
    assert SnapshotAuditEntry.objects.filter(action=SnapshotAuditEntry.ACTION_LEARNER_REFROZEN).count() == LEARNERS
    assert set(FrozenGrade.objects.filter(run=run).values_list("percent_grade", "refrozen")) == {(0.8, True)}
    assert {float(server.get_grade(user.username, COURSE)["percent_grade"]) for user in users} == {0.8}
