#!/usr/bin/env python
"""
Benchmarks of the freeze check on the grade-write hot path, as ratios against one primary-key query in the same run
(also in a course with 1,000 open learner exceptions, ``exceptions.py``, and one with 1,000 learners holding
personalized due dates, ``due_dates.py``), the database statements refusals cost
(none per refusal: they are counted in the cache and listed by the flush), and the Credentials outbox drain against
upstream's one-request-per-grade shape (``drain.py``).

Run with ``make benchmark``. Uses the host project on a throwaway SQLite database.
"""
import gc
import itertools
import os
import sys
import tempfile
import time
import tracemalloc
from datetime import datetime, timedelta, timezone

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def setup_django():
    """The host project on a fresh SQLite file, migrated."""
    var = tempfile.mkdtemp(prefix="grade-freeze-bench-")
    os.environ.update({
        "DJANGO_SETTINGS_MODULE": "tests.host.settings",
        "GRADE_FREEZE_TEST_DB": "sqlite",
        "GRADE_FREEZE_VAR_DIR": var,
        "GRADE_FREEZE_SQLITE_PATH": os.path.join(var, "bench.sqlite3"),
        "GRADE_FREEZE_TRACKING_LOG": os.path.join(var, "tracking.log"),
    })
    sys.path.insert(0, REPO)
    import django

    django.setup()
    import logging

    logging.getLogger("openedx_grade_freeze").setLevel(logging.WARNING)
    from django.core.management import call_command

    call_command("migrate", run_syncdb=True, verbosity=0)  # with the stand-in enrollments table


def best_per_call(func, number, repeat=5):
    """The best mean time per call, in microseconds, over ``repeat`` runs of ``number`` calls."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            func()
        best = min(best, (time.perf_counter() - start) / number)
    return best * 1e6


def cache_memory_per_100k():
    """Bytes the policy cache holds for 100,000 courses' resolved states (LRU bound raised for the measurement)."""
    from django.test import override_settings
    from opaque_keys.edx.keys import CourseKey

    from openedx_grade_freeze.policy import CoursePolicy, FreezeState, _PolicyCache

    now = datetime.now(timezone.utc)
    keys = [CourseKey.from_string(f"course-v1:MemX+C{index}+2026") for index in range(100000)]
    cache = _PolicyCache()
    with override_settings(GRADE_FREEZE_POLICY_CACHE_MAX_COURSES=len(keys)):
        _, generation = cache.get(keys[0])
        gc.collect()
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        for key in keys:
            # As a real entry: a state of its own, with its own datetimes and source text.
            cache.put(key, CoursePolicy(FreezeState(
                course_key=key, frozen=False, enabled=True, freeze_date=now + timedelta(days=30),
                course_end=now + timedelta(seconds=1), offset_days=30, source="Django settings: course end + 30 days",
            )), generation)
        used = tracemalloc.get_traced_memory()[0] - before
        tracemalloc.stop()
    return used, len(cache)


def first_sighting_cost(number=200):
    """Queries and mean µs of recording courses seen for the first time (a publish of a new course)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from opaque_keys.edx.keys import CourseKey

    from openedx_grade_freeze.schedules import ScheduleSnapshot, apply_snapshot

    now = datetime.now(timezone.utc)
    snapshots = [
        ScheduleSnapshot(
            course_key=CourseKey.from_string(f"course-v1:FirstX+C{index}+2026"), start=now, end=now + timedelta(days=9),
            pacing="instructor", source="event", event_id=str(index), event_time=now,
        )
        for index in range(number)
    ]
    with CaptureQueriesContext(connection) as queries:
        apply_snapshot(snapshots[0])
    start = time.perf_counter()
    for snapshot in snapshots[1:]:
        apply_snapshot(snapshot)
    micros = (time.perf_counter() - start) / (number - 1) * 1e6
    return len(queries.captured_queries), micros


def refusal_statements(learners=100, rounds=50):
    """Database statements of ``learners`` x 2 write paths x ``rounds`` refusals, and of the flush that lists them."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from openedx_grade_freeze import blocked
    from openedx_grade_freeze.filters import GradePersistenceRequested
    from openedx_grade_freeze.models import LearnerRefusals
    from tests.events import publish

    course = "course-v1:BenchX+Refused+2025"
    paths = ("PersistentSubsectionGrade.update_or_create_grade", "CourseGradeFactory.update")
    publish(course, datetime.now(timezone.utc) - timedelta(days=60), time=datetime.now(timezone.utc))
    blocked.flush_blocked_counts()  # what the measurements above counted
    with CaptureQueriesContext(connection) as refusing:
        for _ in range(rounds):
            for user_id in range(1, learners + 1):
                for source in paths:
                    try:
                        GradePersistenceRequested.run_filter(course, user_id=user_id, source=source)
                    except GradePersistenceRequested.PreventGradePersistence:
                        pass
    writes = [query for query in refusing.captured_queries
              if query["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))]
    with CaptureQueriesContext(connection) as flushing:
        blocked.flush_blocked_counts()
    rows = LearnerRefusals.objects.filter(course_key=course).count()
    refusals = learners * len(paths) * rounds
    return refusals, len(refusing.captured_queries), len(writes), len(flushing.captured_queries), rows


def main():
    setup_django()
    from openedx_grade_freeze import api
    from openedx_grade_freeze.filters import GradePersistenceRequested
    from openedx_grade_freeze.models import CourseSchedule
    from openedx_grade_freeze.policy import policy_cache
    from tests.events import publish

    now = datetime.now(timezone.utc)
    open_course = "course-v1:BenchX+Open+2026"
    frozen_course = "course-v1:BenchX+Frozen+2025"
    publish(open_course, now + timedelta(days=10), time=now)
    publish(frozen_course, now - timedelta(days=60), time=now)
    schedule_pk = CourseSchedule.objects.get(course_key=open_course).pk

    def pk_query():
        CourseSchedule.objects.filter(pk=schedule_pk).first()

    def warm_check():
        api.are_grades_frozen(open_course)

    def warm_filter():
        GradePersistenceRequested.run_filter(open_course, user_id=1, source="benchmark")

    def vetoed_filter():
        try:
            GradePersistenceRequested.run_filter(frozen_course, user_id=1, source="benchmark")
        except GradePersistenceRequested.PreventGradePersistence:
            pass

    new_learners = itertools.count(1000)

    def vetoed_filter_new_learner():
        try:
            GradePersistenceRequested.run_filter(frozen_course, user_id=next(new_learners), source="benchmark")
        except GradePersistenceRequested.PreventGradePersistence:
            pass

    def cold_check():
        policy_cache.clear()
        api.are_grades_frozen(open_course)

    warm_check()
    baseline = best_per_call(pk_query, 2000)
    rows = [
        ("one primary-key query (baseline)", baseline),
        ("api.are_grades_frozen, warm", best_per_call(warm_check, 20000)),
        ("GradePersistenceRequested.run_filter, allowed", best_per_call(warm_filter, 5000)),
        ("GradePersistenceRequested.run_filter, vetoed", best_per_call(vetoed_filter, 5000)),
        ("run_filter, vetoed, a learner's first refusal", best_per_call(vetoed_filter_new_learner, 5000)),
        ("api.are_grades_frozen, cold (cache emptied)", best_per_call(cold_check, 500)),
    ]
    first_queries, first_micros = first_sighting_cost()
    rows.append(("first sighting of a course (apply_snapshot)", first_micros))

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as warm_queries:
        for _ in range(1000):
            warm_check()

    print(f"{'measurement':50} {'µs/call':>10} {'x baseline':>11}")
    for name, micros in rows:
        print(f"{name:50} {micros:10.2f} {micros / baseline:11.3f}")
    print()
    vetoed_filter()  # the cold check above emptied the policy cache
    with CaptureQueriesContext(connection) as vetoed_queries:
        for _ in range(1000):
            vetoed_filter()
    print(f"queries per warm check (1,000 checks):            {len(warm_queries.captured_queries) / 1000:g}")
    print(f"queries per warm refusal (1,000 refusals):         {len(vetoed_queries.captured_queries) / 1000:g}")
    print(f"queries per first sighting (baseline: 1):          {first_queries}")
    refusals, statements, writes, flush_statements, listed = refusal_statements()
    print(f"refusals of 100 learners on 2 write paths:         {refusals:,}: {statements} statements, {writes} writes "
          f"({writes / refusals:.4f} a refusal: the first report of each path)")
    print(f"the flush that lists them:                         {flush_statements} statements for {listed} rows "
          f"(one per learner and path)")
    used, held = cache_memory_per_100k()
    print(f"policy cache memory per 100,000 courses:           {used / 2**20:.1f} MiB "
          f"({used / held:.0f} bytes a course)")
    print()
    from benchmarks import exceptions

    for line in exceptions.measure(pk_query, warm_filter, vetoed_filter):
        print(line)
    print()
    from benchmarks import due_dates

    for line in due_dates.measure(pk_query, warm_filter, vetoed_filter):
        print(line)
    print()
    from benchmarks import drain

    for line in drain.measure():
        print(line)


if __name__ == "__main__":
    main()
