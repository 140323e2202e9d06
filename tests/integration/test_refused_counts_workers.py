"""
Refusals counted in a web process reach the database through the flush a real celery worker runs, with the shared
cache on Redis as in production: a count the database could not store where it was counted waits in the shared cache,
not in the web process's memory, where no flush would ever find it; the worker's flush writes the refused list.
"""
import time
from datetime import datetime, timedelta, timezone

import pytest
import redis
from django.db import OperationalError, connection
from django.test import override_settings

from openedx_grade_freeze import tasks
from openedx_grade_freeze.filters import GradePersistenceRequested
from openedx_grade_freeze.models import BlockedGradeUpdates, LearnerRefusals
from tests.events import publish
from tests.integration.workers import RUN_ID, Workers

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

NOW = datetime.now(timezone.utc)
COURSE = f"course-v1:Park{RUN_ID}+Frozen+2025"
CACHE_PREFIX = f"grade-freeze-test-cache-{RUN_ID}"
BLOCKED_TABLE = BlockedGradeUpdates._meta.db_table


def shared_cache_settings(broker):
    """This process and the worker share one cache on the broker's Redis server (keys of this run only)."""
    return {
        "CACHES": {"default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": broker, "KEY_PREFIX": CACHE_PREFIX,
        }},
        "GRADE_FREEZE_BLOCKED_EVENT_INTERVAL_SECONDS": 1,
    }


@pytest.fixture(name="shared_cache")
def fixture_shared_cache(broker):
    values = shared_cache_settings(broker)
    yield values
    client = redis.Redis.from_url(broker)
    for key in client.scan_iter(f"*{CACHE_PREFIX}*"):
        client.delete(key)


def refuse_blocked_count_writes(execute, sql, params, many, context):
    """The database refuses every write of the refused-update totals (as a full disk or a lost primary would)."""
    if BLOCKED_TABLE in sql and sql.lstrip().upper().startswith(("INSERT", "UPDATE")):
        raise OperationalError(1290, "The MariaDB server is running with the --read-only option")
    return execute(sql, params, many, context)


def refuse(times, user_id=7):
    for _ in range(times):
        with pytest.raises(GradePersistenceRequested.PreventGradePersistence):
            GradePersistenceRequested.run_filter(COURSE, user_id=user_id, source="tasks")


def total():
    return sum(BlockedGradeUpdates.objects.filter(course_key=COURSE).values_list("total", flat=True))


def listed():
    """The course's refused list: ``{(user_id, source): count}``."""
    return {(row.user_id, row.source): row.count for row in LearnerRefusals.objects.filter(course_key=COURSE)}


def flush_in_a_worker_until(condition, timeout=60):
    """Ask the worker to flush, as celery beat does every minute, until ``condition()`` holds or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        tasks.flush_blocked_counts_task.delay()
        time.sleep(1)
        if condition():
            return True
    return False


def test_a_count_the_database_could_not_store_is_reported_by_the_workers_flush(broker, shared_cache):
    publish(COURSE, NOW - timedelta(days=60), time=NOW - timedelta(days=60))
    workers = Workers(shared_cache, broker)
    try:
        workers.start("flusher")
        with override_settings(**shared_cache):
            refuse(1)  # reported at once: the course's row holds 1
            assert total() == 1
            time.sleep(1.1)  # the interval is over: the next refusal reports what was counted since
            with connection.execute_wrapper(refuse_blocked_count_writes):
                refuse(20)  # the first of these reports its count, and the database refuses to store it
            assert total() == 1
            workers.wait_ready()
            # This web process never refuses again and never flushes: celery beat runs the flush in a worker.
            flush_in_a_worker_until(lambda: total() == 21 and listed())
            assert total() == 21
            assert listed() == {(7, "tasks"): 21}  # the worker's flush wrote the refused list too
            flush_in_a_worker_until(lambda: total() != 21, timeout=3)
            assert total() == 21 and listed() == {(7, "tasks"): 21}  # and nothing is counted twice
    finally:
        workers.stop()
