"""
Who was refused: every refusal naming a learner ends up in one row per course, learner and write path, counted
exactly, without a database write per refusal; counts survive a failing database or cache, and two flushes at once
count nothing twice.
"""
import logging
import threading
from datetime import datetime, timedelta, timezone

import pytest
from django.core.cache import caches
from django.db import OperationalError, connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from opaque_keys.edx.keys import CourseKey

from openedx_grade_freeze import api, blocked, pending_refusals
from openedx_grade_freeze.filters import GradePersistenceRequested
from openedx_grade_freeze.models import BlockedGradeUpdates, LearnerRefusals
from tests.events import publish
from tests.threads import run_together

FROZEN = "course-v1:WhoX+Frozen+2025"
OTHER = "course-v1:WhoX+Other+2025"
NOW = datetime.now(timezone.utc)
PATHS = ("PersistentSubsectionGrade.update_or_create_grade", "CourseGradeFactory.update")
LEARNERS = range(1001, 1101)  # 100 learners


@pytest.fixture(autouse=True)
def frozen_courses(db):
    blocked.local_counts.clear()
    for course in (FROZEN, OTHER):
        publish(course, NOW - timedelta(days=60), time=NOW - timedelta(days=60))
    yield
    blocked.local_counts.clear()


def refuse(course=FROZEN, user_id=1001, source=PATHS[0], times=1):
    for _ in range(times):
        with pytest.raises(GradePersistenceRequested.PreventGradePersistence):
            GradePersistenceRequested.run_filter(course, user_id=user_id, source=source)


def refuse_ten_thousand(course=FROZEN):
    """10,000 refusals: 100 learners, each refused 50 times on each of two write paths, interleaved."""
    for _ in range(50):
        for user_id in LEARNERS:
            for source in PATHS:
                refuse(course, user_id, source)


def rows(course=FROZEN):
    """``{(user_id, source): count}`` of the course's refused list."""
    return {(row.user_id, row.source): row.count for row in LearnerRefusals.objects.filter(course_key=course)}


def writes(queries):
    return [query["sql"] for query in queries.captured_queries
            if query["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))]


def test_ten_thousand_refusals_of_a_hundred_learners_give_one_row_per_learner_and_path_without_a_write_each():
    with CaptureQueriesContext(connection) as refusing:
        refuse_ten_thousand()
    # Only the first refusal of each write path reports at once (the course's total, ADR 0006): no learner row.
    assert all(LearnerRefusals._meta.db_table not in sql for sql in writes(refusing))
    assert len(writes(refusing)) <= 2 * 3  # per path: at most a row insert and an increment, with its retry

    blocked.flush_blocked_counts()

    assert rows() == {(user_id, source): 50 for user_id in LEARNERS for source in PATHS}
    assert rows(OTHER) == {}
    blocked.flush_blocked_counts()
    assert sum(rows().values()) == 10000  # a second flush adds nothing


def test_once_its_write_path_reported_a_refusal_makes_no_query(django_assert_num_queries):
    refuse()  # the course's first refusal on this path reports its total at once
    with django_assert_num_queries(0):
        for user_id in LEARNERS:  # each learner's first refusal, too
            refuse(user_id=user_id, times=3)


def test_first_and_last_refusal_times_are_kept():
    before = datetime.now(timezone.utc)
    refuse(times=3)
    blocked.flush_blocked_counts()
    first = LearnerRefusals.objects.get()
    assert before <= first.first_refused <= first.last_refused <= datetime.now(timezone.utc)

    middle = datetime.now(timezone.utc)
    refuse(times=2)
    blocked.flush_blocked_counts()
    later = LearnerRefusals.objects.get()
    assert (later.count, later.first_refused) == (5, first.first_refused)
    assert later.last_refused >= middle > first.last_refused


def test_a_write_point_that_names_no_learner_counts_in_the_total_only():
    with override_settings(GRADE_FREEZE_BLOCKED_EVENT_INTERVAL_SECONDS=0):
        refuse(user_id=None, source="rest_api.v2.services.record_subsection_grade_overrides", times=3)
        refuse(user_id="1002", times=2)  # a user id given as digits is the same learner
        refuse(user_id=2**63, times=1)  # beyond what the list's column holds
        refuse(user_id="١١", times=1)  # not ASCII digits
        blocked.flush_blocked_counts()
    assert rows() == {(1002, PATHS[0]): 2}
    assert sum(BlockedGradeUpdates.objects.values_list("total", flat=True)) == 7


def refuse_learner_rows(execute, sql, params, many, context):
    """The database refuses every write to the refused list (a full disk, a read-only replica)."""
    if LearnerRefusals._meta.db_table in sql and sql.lstrip().upper().startswith(("INSERT", "UPDATE")):
        raise OperationalError(1290, "The MariaDB server is running with the --read-only option")
    return execute(sql, params, many, context)


def test_counts_the_database_refuses_wait_in_the_cache_for_the_next_flush(caplog):
    refuse(times=7)
    refuse(user_id=1002, source=PATHS[1], times=3)
    with connection.execute_wrapper(refuse_learner_rows), caplog.at_level(logging.ERROR):
        blocked.flush_blocked_counts()
        blocked.flush_blocked_counts()
    assert rows() == {}
    assert "Could not store the refused updates of" in caplog.text
    assert not blocked.local_counts  # nothing parked in this process's memory

    blocked.flush_blocked_counts()
    assert rows() == {(1001, PATHS[0]): 7, (1002, PATHS[1]): 3}


def test_counts_made_while_the_cache_is_down_reach_the_list_once_it_is_back(cache_down):
    refuse(times=4)
    refuse(user_id=1002, times=2)
    assert rows() == {(1001, PATHS[0]): 1}  # the first was stored at once; the process holds the others
    cache_down.up()  # back: the next refusal hands this process's counts to the cache, for any process's flush
    refuse(user_id=1003)
    assert not blocked.local_counts
    blocked.flush_blocked_counts()
    assert rows() == {(1001, PATHS[0]): 4, (1002, PATHS[0]): 2, (1003, PATHS[0]): 1}


def test_while_the_cache_is_down_a_process_keeps_a_bounded_number_of_learners(cache_down, monkeypatch, caplog):
    monkeypatch.setattr(pending_refusals, "LOCAL_MAX_LEARNERS", 3)
    with caplog.at_level(logging.WARNING):
        for user_id in range(2001, 2006):
            refuse(user_id=user_id, times=2)
    # The first refusal was stored at once; the process holds the others, for at most three learners.
    assert rows() == {(2001, PATHS[0]): 1}
    assert "further learners are counted in the course's total only" in caplog.text
    cache_down.up()
    blocked.flush_blocked_counts()
    assert rows() == {(2001, PATHS[0]): 2, (2002, PATHS[0]): 2, (2003, PATHS[0]): 2}
    assert sum(BlockedGradeUpdates.objects.values_list("total", flat=True)) == 10


@pytest.mark.django_db(transaction=True)
def test_two_flushes_at_once_count_nothing_twice():
    refuse_ten_thousand()
    errors = run_together(4, lambda index: blocked.flush_blocked_counts())
    blocked.flush_blocked_counts()  # whatever a flush that found the lock taken left

    assert errors == []
    assert rows() == {(user_id, source): 50 for user_id in LEARNERS for source in PATHS}


def test_a_learner_retired_before_the_flush_is_not_listed():
    refuse(times=3)
    refuse(user_id=1002, times=2)
    api.retire_learner(1001, "retired-learner")
    blocked.flush_blocked_counts()
    assert rows() == {(1002, PATHS[0]): 2}
    assert [entry.user_id for entry in api.get_course_status(CourseKey.from_string(FROZEN)).refused_learners] == [1002]


def test_with_the_cache_and_the_database_down_counts_wait_in_memory_until_either_is_back(cache_down, caplog):
    with connection.execute_wrapper(refuse_learner_rows), caplog.at_level(logging.ERROR):
        refuse(times=3)  # the first is due for a report at once: the database refuses it
        assert rows() == {}
        assert blocked.local_counts  # nowhere else to keep it
    cache_down.up()  # the cache is back first: the next refusal hands this process's counts to it
    refuse(user_id=1002)
    assert not blocked.local_counts
    blocked.flush_blocked_counts()
    assert rows() == {(1001, PATHS[0]): 3, (1002, PATHS[0]): 1}


def test_retiring_a_learner_while_the_cache_is_down_removes_their_rows_and_says_what_may_come_back(
    cache_down, caplog,
):
    cache_down.up()
    refuse(times=2)
    refuse(user_id=1002)
    blocked.flush_blocked_counts()
    cache_down.down()
    with caplog.at_level(logging.WARNING):
        assert blocked.forget_learner(1001) == 1
    assert rows() == {(1002, PATHS[0]): 1}
    assert "may be listed again" in caplog.text


@pytest.mark.django_db(transaction=True)
def test_refusals_during_flushes_are_counted_once():
    stop = threading.Event()
    errors = []

    def refusing(user_ids):
        try:
            for _ in range(25):
                for user_id in user_ids:
                    for source in PATHS:
                        refuse(FROZEN, user_id, source)
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connection.close()

    def flushing():
        try:
            while not stop.is_set():
                blocked.flush_blocked_counts()
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connection.close()

    flusher = threading.Thread(target=flushing)
    refusers = [threading.Thread(target=refusing, args=(LEARNERS[part::3],)) for part in range(3)]
    flusher.start()
    for thread in refusers:
        thread.start()
    for thread in refusers:
        thread.join()
    stop.set()
    flusher.join()
    blocked.flush_blocked_counts()

    assert errors == []
    assert rows() == {(user_id, source): 25 for user_id in LEARNERS for source in PATHS}


class CacheFailingAtTheThirdDecrement:
    """The shared cache, failing once it is asked to decrement a third time (it went away mid-flush)."""

    def __init__(self, working):
        self.working = working
        self.decrements = 0

    def __getattr__(self, name):
        return getattr(self.working, name)

    def decr(self, *args, **kwargs):
        self.decrements += 1
        if self.decrements >= 3:
            raise ConnectionError("cache backend unreachable")
        return self.working.decr(*args, **kwargs)


def test_a_cache_failing_mid_flush_loses_nothing(caplog):
    for user_id in range(1001, 1006):
        refuse(user_id=user_id, times=2)
    working = caches["default"]
    caches["default"] = CacheFailingAtTheThirdDecrement(working)
    try:
        with caplog.at_level(logging.WARNING):
            blocked.flush_blocked_counts()
    finally:
        caches["default"] = working
    assert rows() == {(1001, PATHS[0]): 2, (1002, PATHS[0]): 2}  # taken before the cache failed, and stored
    assert "The cache failed while counting refused grade updates" in caplog.text

    blocked.flush_blocked_counts()
    assert rows() == {(user_id, PATHS[0]): 2 for user_id in range(1001, 1006)}
