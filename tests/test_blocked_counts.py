"""
Counts that add up: every refused write is counted once in the database and reported within an interval, also when
the cache fails, without a flood of events or tracebacks; two processes' first reports do not race.
"""
import logging
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest
from django.db import connection
from django.test import override_settings

from openedx_grade_freeze import blocked
from openedx_grade_freeze.filters import GradePersistenceRequested
from openedx_grade_freeze.models import BlockedGradeUpdates
from openedx_grade_freeze.pending_refusals import Pending
from openedx_grade_freeze.tracking import UPDATE_BLOCKED
from tests.conftest import events_named
from tests.events import publish

FROZEN = "course-v1:CountX+Frozen+2025"
NOW = datetime.now(timezone.utc)
REFUSALS = 10000


@pytest.fixture(autouse=True)
def frozen_course(db):
    blocked.local_counts.clear()
    publish(FROZEN, NOW - timedelta(days=60), time=NOW - timedelta(days=60))
    yield
    blocked.local_counts.clear()


def refuse(times):
    """Refuse ``times`` writes; returns the most events a one-second interval allows in the time it took."""
    started = time.monotonic()
    for _ in range(times):
        with pytest.raises(GradePersistenceRequested.PreventGradePersistence):
            GradePersistenceRequested.run_filter(FROZEN, user_id=3, source="tasks")
    return int(time.monotonic() - started) + 3  # one per second of refusing, the first, and the flush


def total():
    return sum(BlockedGradeUpdates.objects.values_list("total", flat=True))


@override_settings(GRADE_FREEZE_BLOCKED_EVENT_INTERVAL_SECONDS=1)
def test_ten_thousand_refusals_add_up_in_the_database_with_a_bounded_number_of_events(tracking_events):
    most_events = refuse(REFUSALS)
    time.sleep(1.1)  # the interval is over and no refusal follows: the periodic flush reports the rest
    blocked.flush_blocked_counts()

    assert total() == REFUSALS
    counts = [event["blocked_count"] for event in events_named(tracking_events, UPDATE_BLOCKED)]
    assert sum(counts) == REFUSALS
    assert len(counts) <= most_events


@override_settings(GRADE_FREEZE_BLOCKED_EVENT_INTERVAL_SECONDS=3600)
def test_the_flush_leaves_counts_to_the_next_interval(tracking_events):
    refuse(50)
    blocked.flush_blocked_counts()
    assert [event["blocked_count"] for event in events_named(tracking_events, UPDATE_BLOCKED)] == [1]
    assert total() == 1  # the other 49 wait in the cache until the hour is over


@override_settings(GRADE_FREEZE_BLOCKED_EVENT_INTERVAL_SECONDS=1)
def test_with_the_cache_failing_counts_still_add_up_without_a_flood(cache_down, tracking_events, caplog):
    with caplog.at_level(logging.INFO, logger="openedx_grade_freeze"):
        most_events = refuse(REFUSALS)
        time.sleep(1.1)
        blocked.flush_blocked_counts()

    assert total() == REFUSALS
    counts = [event["blocked_count"] for event in events_named(tracking_events, UPDATE_BLOCKED)]
    assert sum(counts) == REFUSALS
    assert len(counts) <= most_events  # about one per interval, not one per refusal
    tracebacks = [record for record in caplog.records if record.exc_info and record.name == blocked.log.name]
    assert 1 <= len(tracebacks) <= most_events  # one per interval it lasted, not one per refusal
    assert "counting in this process until it is back" in caplog.text


def run_together(workers, target):
    """Run ``target`` in ``workers`` threads at once and wait for them all."""
    threads = [threading.Thread(target=target) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


@pytest.mark.django_db(transaction=True)
def test_two_processes_reporting_a_first_interval_do_not_lose_a_count():
    workers = 6
    barrier = threading.Barrier(workers)
    errors = []

    def report():
        try:
            barrier.wait()
            blocked._report((FROZEN, "race"), 1, Pending(total=5))  # pylint: disable=protected-access
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connection.close()

    run_together(workers, report)

    assert errors == []
    assert BlockedGradeUpdates.objects.get(source="race").total == 5 * workers


@pytest.mark.django_db(transaction=True)
def test_increments_are_atomic_across_connections():
    workers, each = 4, 25
    barrier = threading.Barrier(workers)

    def add():
        try:
            barrier.wait()
            for _ in range(each):
                blocked._add_to_total(FROZEN, "atomic", 1, None)  # pylint: disable=protected-access
        finally:
            connection.close()

    run_together(workers, add)
    assert BlockedGradeUpdates.objects.get(source="atomic").total == workers * each
