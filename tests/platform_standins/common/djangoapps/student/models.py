"""
Stand-in for ``common.djangoapps.student.models``: ``CourseEnrollment``, a real Django model in the test-only
``tests.platform_store`` app (so worker processes see the same enrollments), with upstream's field names, and the
one function event-routing-backends imports.

Read at ``common/djangoapps/student/models/course_enrollment.py`` (openedx/openedx-platform 0b870c132a5e…).
Differences: ``course_id`` is a plain course-key column (upstream: a foreign key to ``CourseOverview`` without a
database constraint, whose column is ``course_id``); no manager methods, history, caches or signals.
``get_potentially_retired_user_by_username``: upstream also matches the username hashed with each historical
retirement salt; the stand-in has no retired users.
"""
from django.contrib.auth import get_user_model

from tests.platform_store.models import CourseEnrollment

__all__ = ["CourseEnrollment", "get_potentially_retired_user_by_username"]


def get_potentially_retired_user_by_username(username):
    """The user with ``username``; raises ``User.DoesNotExist`` when there is none (as upstream)."""
    user_model = get_user_model()
    users = list(user_model.objects.filter(username=username)[:2])
    if len(users) == 1:
        return users[0]
    raise user_model.DoesNotExist()
