"""
Warm decisions in a frozen course with 1,000 open learner exceptions among 100,000 learners, against today's (a
course without exceptions) and the same primary-key baseline, and the queries of a cold load (issue 16 item 4).

``run.py`` calls ``measure`` after setting up Django; the rows are written straight to the tables (the figures are
about deciding, not about granting).
"""
import time
from datetime import datetime, timedelta, timezone

LEARNERS = 100_000
EXCEPTIONS = 1_000
COURSE = "course-v1:BenchX+Excepted+2025"


def _course_with_exceptions(now):
    """A frozen course whose learners 1..LEARNERS are enrolled and every 100th has an open exception."""
    from opaque_keys.edx.keys import CourseKey

    from openedx_grade_freeze.models import EXCEPTION_OPEN, LearnerException
    from tests.events import publish
    from tests.platform_store.models import CourseEnrollment

    publish(COURSE, now - timedelta(days=60), time=now)
    key = CourseKey.from_string(COURSE)
    CourseEnrollment.objects.bulk_create(
        [CourseEnrollment(user_id=user_id, course_id=key) for user_id in range(1, LEARNERS + 1)], batch_size=5000,
    )
    step = LEARNERS // EXCEPTIONS
    LearnerException.objects.bulk_create([
        LearnerException(
            course_key=key, user_id=user_id, status=EXCEPTION_OPEN, active_key=f"{key}|{user_id}", reason="benchmark",
            opens_at=now - timedelta(hours=1), closes_at=now + timedelta(days=7),
        )
        for user_id in range(step, LEARNERS + 1, step)
    ], batch_size=1000)
    return step * (EXCEPTIONS // 2), step * (EXCEPTIONS // 2) + 1  # an excepted learner, and one without


def cpu_per_call(func, number):
    """Mean µs of this thread's CPU time per call over ``number`` calls: waiting for a busy machine's cores (other
    processes) is not counted, so the figure does not depend on the load."""
    start = time.thread_time()
    for _ in range(number):
        func()
    return (time.thread_time() - start) / number * 1e6


def interleaved(functions, number=300, rounds=31):
    """The best CPU µs per call of each function, measured in many short rounds taking turns."""
    best = [float("inf")] * len(functions)
    for _ in range(rounds):
        for index, func in enumerate(functions):
            best[index] = min(best[index], cpu_per_call(func, number))
    return best




def filter_runs(course, allowed_user, vetoed_user, who):
    """The filter runs a table measures: one the freeze lets through (``allowed_user``) and one it must veto (by
    default ``vetoed_user``; ``who`` names them in the error if it does not)."""
    from openedx_grade_freeze.filters import GradePersistenceRequested

    def allowed():
        GradePersistenceRequested.run_filter(course, user_id=allowed_user, source="benchmark")

    def vetoed(user_id=vetoed_user):
        try:
            GradePersistenceRequested.run_filter(course, user_id=user_id, source="benchmark")
        except GradePersistenceRequested.PreventGradePersistence:
            return
        raise AssertionError(f"{who} was let through")

    return allowed, vetoed

def against_today(title, rows, pk_query):
    """The table's lines: ``title``, then for each ``(name, decision, today)`` row the decision's CPU µs, × the
    primary-key baseline, and today's same decision with the change, all measured in turns with the baseline."""
    lines = [title, f"{'measurement':50} {'CPU µs':>10} {'x baseline':>11}   today's decision"]
    baseline = None
    for name, decision, today in rows:
        pk_micros, today_micros, micros = interleaved([pk_query, today, decision])
        baseline = pk_micros if baseline is None else min(baseline, pk_micros)
        change = (micros / pk_micros - today_micros / pk_micros) / (today_micros / pk_micros) * 100
        lines.append(f"{name:50} {micros:10.2f} {micros / pk_micros:11.3f}   {today_micros:.2f} µs "
                     f"({today_micros / pk_micros:.3f}): {change:+.1f} %")
    lines.insert(2, f"{'one primary-key query (baseline)':50} {baseline:10.2f} {1:11.3f}")
    return lines

def measure(pk_query, allowed_today, vetoed_today):
    """Lines to print: CPU µs per call and × the primary-key baseline of each decision and of today's same decision
    (a course without exceptions), all measured in turns, the change, and the queries of warm decisions and of a cold
    load.

    ``pk_query`` is the baseline; ``allowed_today`` and ``vetoed_today`` are today's decisions as callables: the
    filter for an open course and for a frozen one."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from openedx_grade_freeze import api
    from openedx_grade_freeze.policy import policy_cache

    now = datetime.now(timezone.utc)
    excepted, other = _course_with_exceptions(now)
    policy_cache.clear()

    allowed, vetoed = filter_runs(COURSE, excepted, other, "the learner without an exception")

    def course_wide():
        vetoed(None)

    with CaptureQueriesContext(connection) as cold:
        assert api.are_grades_frozen(COURSE, user_id=excepted) is False
    assert api.are_grades_frozen(COURSE, user_id=other) is True
    allowed()
    vetoed()  # the first refusal of the interval reports itself (``update_blocked``): not part of a decision
    with CaptureQueriesContext(connection) as warm:
        for _ in range(1000):
            api.get_freeze_state(COURSE, user_id=excepted)
            api.get_freeze_state(COURSE, user_id=other)
            api.get_freeze_state(COURSE)
    rows = [
        ("run_filter, allowed: an excepted learner", allowed, allowed_today),
        ("run_filter, vetoed: a learner without one", vetoed, vetoed_today),
        ("run_filter, vetoed: no learner named", course_wide, vetoed_today),
    ]
    lines = against_today(
        f"A frozen course with {EXCEPTIONS:,} open learner exceptions among {LEARNERS:,} learners, each against "
        "today's decision (allowed: an open course; vetoed: a frozen one); CPU time, in turns with the baseline:",
        rows, pk_query,
    )
    lines.append(f"queries per warm decision (3,000 decisions):       {len(warm.captured_queries) / 3000:g}")
    lines.append(f"queries of a cold load (3, +1 exceptions, +1 due dates): {len(cold.captured_queries)}")
    return lines
