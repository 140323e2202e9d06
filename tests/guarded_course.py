"""
One course and one learner behind the grade guards, through the edx-platform stand-ins: made open, then frozen.
"""
from datetime import datetime, timedelta, timezone

from openedx_grade_freeze.policy import policy_cache
from tests.events import publish

COURSE = "course-v1:OrgX+Guard101+2024"
LEARNER = 7


def now():
    """The current time, tz-aware UTC."""
    return datetime.now(timezone.utc)


def make_course(standins, ended_days_ago):
    """The course's schedule (the plugin's policy input), a matching CourseOverview and an enrolled learner."""
    from openedx.core.djangoapps.content.course_overviews.models import (  # pylint: disable=import-outside-toplevel
        CourseOverview,
    )

    end = now() - timedelta(days=ended_days_ago)
    publish(COURSE, end, time=now())
    policy_cache.clear()
    CourseOverview.create(COURSE, end=end)
    user = standins.register_user(LEARNER, "learner")
    standins.enroll(user, COURSE)
    return user


def freeze_now():
    """Move the course's end back so it is past its freeze date (a later publish)."""
    publish(COURSE, now() - timedelta(days=40), time=now() + timedelta(seconds=1))
    policy_cache.clear()
