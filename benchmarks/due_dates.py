"""
Warm decisions in a frozen course with 1,000 learners holding personalized due dates (edx-when's real tables), for
one of them and for another learner, against today's decisions and the same primary-key baseline, and the queries of
a cold load (issue 17 item 3).

``run.py`` calls ``measure`` after setting up Django; the dates are written straight to edx-when's tables (the figures
are about deciding, not about granting).
"""
from datetime import datetime, timedelta, timezone

from benchmarks.exceptions import against_today, filter_runs

LEARNERS = 1_000
COURSE = "course-v1:BenchX+Extended+2025"
BLOCK = "block-v1:BenchX+Extended+2025+type@sequential+block@final"


def _course_with_due_dates(now):
    """A frozen course (ended 60 days ago) whose final was due at its end, and LEARNERS users each given a later
    personalized due date; returns an extended learner and one without a date."""
    from django.contrib.auth import get_user_model
    from edx_when import api as when_api
    from edx_when.models import ContentDate, UserDate

    from tests.events import publish

    end = now - timedelta(days=60)
    publish(COURSE, end, time=now)
    when_api.set_dates_for_course(COURSE, [(BLOCK, {"due": end})])
    users = get_user_model().objects
    users.bulk_create([get_user_model()(username=f"extended{number}") for number in range(LEARNERS + 1)],
                      batch_size=1000)
    learners = list(users.filter(username__startswith="extended").order_by("pk").values_list("pk", flat=True))
    content_date = ContentDate.objects.get(course_id=COURSE, location=BLOCK, field="due")
    UserDate.objects.bulk_create([
        UserDate(user_id=user_id, content_date=content_date, abs_date=now - timedelta(days=number % 20),
                 reason="benchmark")
        for number, user_id in enumerate(learners[:LEARNERS])
    ], batch_size=1000)
    return learners[LEARNERS // 2], learners[LEARNERS]


def measure(pk_query, allowed_today, vetoed_today):
    """Lines to print: CPU µs per call and × the primary-key baseline of each decision and of today's same decision
    (a course without personalized dates), measured in turns, and the queries of warm decisions and of a cold load."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from openedx_grade_freeze import api
    from openedx_grade_freeze.policy import policy_cache

    now = datetime.now(timezone.utc)
    extended, other = _course_with_due_dates(now)
    policy_cache.clear()

    allowed, vetoed = filter_runs(COURSE, extended, other, "the learner without a personalized due date")

    with CaptureQueriesContext(connection) as cold:
        assert api.are_grades_frozen(COURSE, user_id=extended) is False
    assert api.are_grades_frozen(COURSE, user_id=other) is True
    allowed()
    vetoed()  # the first refusal of the interval reports itself (``update_blocked``): not part of a decision
    with CaptureQueriesContext(connection) as warm:
        for _ in range(1000):
            api.get_freeze_state(COURSE, user_id=extended)
            api.get_freeze_state(COURSE, user_id=other)
    rows = [
        ("run_filter, allowed: a learner with a later date", allowed, allowed_today),
        ("run_filter, vetoed: another learner", vetoed, vetoed_today),
    ]
    lines = against_today(
        f"A frozen course with {LEARNERS:,} learners holding personalized due dates, each against today's "
        "decision (allowed: an open course; vetoed: a frozen one); CPU time, in turns with the baseline:",
        rows, pk_query,
    )
    due_date_reads = sum("edx_when" in query["sql"] for query in cold.captured_queries)
    lines.append(f"queries per warm decision (2,000 decisions):       {len(warm.captured_queries) / 2000:g}")
    lines.append(f"queries of a cold load:                            {len(cold.captured_queries)} "
                 f"({due_date_reads} of them the course's personalized due dates)")
    return lines
