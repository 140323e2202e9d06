"""
Warm decisions in a frozen course with 1,000 open learner exceptions among 100,000 learners, against today's (a
course without exceptions) and the same primary-key baseline, and the queries of a cold load (issue 16 item 4).

``run.py`` calls ``measure`` after setting up Django; the rows are written straight to the tables (the figures are
about deciding, not about granting).
"""
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


def measure(best_per_call, baseline, allowed_today, vetoed_today):
    """Lines to print: µs per call and × baseline for each decision, its change from today's, and cold queries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from openedx_grade_freeze import api
    from openedx_grade_freeze.filters import GradePersistenceRequested
    from openedx_grade_freeze.policy import policy_cache

    now = datetime.now(timezone.utc)
    excepted, other = _course_with_exceptions(now)
    policy_cache.clear()

    def allowed():
        GradePersistenceRequested.run_filter(COURSE, user_id=excepted, source="benchmark")

    def vetoed(user_id=other):
        try:
            GradePersistenceRequested.run_filter(COURSE, user_id=user_id, source="benchmark")
        except GradePersistenceRequested.PreventGradePersistence:
            return
        raise AssertionError("the learner without an exception was let through")

    def course_wide():
        vetoed(None)

    with CaptureQueriesContext(connection) as cold:
        assert api.are_grades_frozen(COURSE, user_id=excepted) is False
    assert api.are_grades_frozen(COURSE, user_id=other) is True
    with CaptureQueriesContext(connection) as warm:
        for _ in range(1000):
            allowed()
            vetoed()
    rows = [
        ("run_filter, allowed: an excepted learner", best_per_call(allowed, 5000), allowed_today),
        ("run_filter, vetoed: a learner without one", best_per_call(vetoed, 5000), vetoed_today),
        ("run_filter, vetoed: no learner named", best_per_call(course_wide, 5000), vetoed_today),
    ]
    lines = [f"A frozen course with {EXCEPTIONS:,} open learner exceptions among {LEARNERS:,} learners:"]
    for name, micros, today in rows:
        change = (micros - today) / today * 100
        lines.append(f"{name:50} {micros:10.2f} {micros / baseline:11.3f}   {change:+.1f} % against today's")
    lines.append(f"queries per warm decision (2,000 decisions):       {len(warm.captured_queries) / 2000:g}")
    lines.append(f"queries of a cold load (today 3; at most one more): {len(cold.captured_queries)}")
    return lines
