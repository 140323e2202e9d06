"""
Two real celery workers running the upcoming-freeze warning at the same time announce each course exactly once.
"""
import json
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import redis
from django.conf import settings

from openedx_grade_freeze import tasks
from openedx_grade_freeze.models import UpcomingFreezeNotice
from tests.events import publish
from tests.host.celery_app import app as celery_app
from tests.integration.workers import QUEUE, RUN_ID, Workers

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

NOW = datetime.now(timezone.utc)
COURSES = [f"course-v1:Warn{RUN_ID}+C{number}+2026" for number in range(6)]


def announced_in_tracking_log():
    """The course ids of every ``edx.grades.freeze.upcoming`` event of this run in the shared tracking log."""
    found = []
    for line in Path(settings.TRACKING_LOG_PATH).read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if event.get("name") == "edx.grades.freeze.upcoming" and event["data"]["course_id"] in COURSES:
            found.append(event["data"]["course_id"])
    return found


def wait_until_idle(broker, timeout=60):
    """Wait until this run's queue is empty and no worker is running a task."""
    queue = redis.Redis.from_url(broker)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        active = celery_app.control.inspect(timeout=0.5).active() or {}
        busy = [task for name, running in active.items() if RUN_ID in name for task in running]
        if queue.llen(QUEUE) == 0 and not busy:
            return
        time.sleep(0.3)
    pytest.fail(f"the workers were still busy after {timeout} s")


def test_two_workers_announce_each_course_once(broker):
    for number, course in enumerate(COURSES):
        # Ended 25 to 27 days ago: each freezes within the next 5 days.
        publish(course, NOW - timedelta(days=25 + number % 3), time=NOW - timedelta(days=30))
    workers = Workers({}, broker)
    try:
        workers.start("north")
        workers.start("south")
        workers.wait_ready()
        for _ in range(6):
            tasks.announce_upcoming_freezes_task.delay()  # as celery beat would, six runs at once
        wait_until_idle(broker)
    finally:
        workers.stop()

    assert sorted(str(key) for key in UpcomingFreezeNotice.objects.values_list("course_key", flat=True)) == COURSES
    assert sorted(announced_in_tracking_log()) == COURSES
