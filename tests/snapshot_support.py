"""
Test helpers for final-grade snapshots: an LMS whose stored grades and enrollments are database rows.
"""
from datetime import datetime, timedelta, timezone

from django.contrib.auth import get_user_model
from django.test import TestCase
from opaque_keys.edx.keys import CourseKey

from openedx_grade_freeze.models import CourseSchedule, FrozenGrade
from tests.platform_store.models import CourseEnrollment, StoredCourseGrade

UTC = timezone.utc


def past_freeze_date(course_id, days_ago=40):
    """A course whose end was ``days_ago`` days ago: past the default 30-day freeze offset."""
    end = datetime.now(UTC) - timedelta(days=days_ago)
    return CourseSchedule.objects.create(course_key=CourseKey.from_string(course_id), org=course_id.split(":")[1]
                                         .split("+")[0], start=end - timedelta(days=90), end=end)


def enroll(course_id, user_ids, is_active=True):
    """Bulk-create active (or inactive) enrollments."""
    key = CourseKey.from_string(course_id)
    CourseEnrollment.objects.bulk_create(
        [CourseEnrollment(user_id=user_id, course_id=key, is_active=is_active) for user_id in user_ids],
        batch_size=2000,
    )


def store_grades(course_id, grades, modified=None):
    """Bulk-create stored course grades: ``{user_id: (percent, letter, passed)}``."""
    key = CourseKey.from_string(course_id)
    modified = modified or datetime.now(UTC) - timedelta(days=45)
    StoredCourseGrade.objects.bulk_create([
        StoredCourseGrade(
            user_id=user_id, course_id=key, percent_grade=percent, letter_grade=letter,
            passed_timestamp=modified if passed else None, created=modified, modified=modified,
        )
        for user_id, (percent, letter, passed) in grades.items()
    ], batch_size=2000)


def make_users(names):
    """Real users (Credentials needs usernames), returned in order."""
    model = get_user_model()
    return [model.objects.create(username=name) for name in names]


def on_commit():
    """Run on-commit callbacks (and the eager tasks they queue) at the end of the block, as after a commit."""
    return TestCase.captureOnCommitCallbacks(execute=True)


def held_by_credentials(server, user, course_id):
    """The (percent, letter) the fake Credentials ``server`` holds for the learner in the course, or None."""
    grade = server.get_grade(user.username, course_id)
    return None if grade is None else (float(grade["percent_grade"]), grade["letter_grade"])


def frozen_values(user, course_id):
    """The learner's snapshot row in the course: (percent, letter, passed, re-frozen)."""
    row = FrozenGrade.objects.get(course_key=course_id, user_id=user.pk)
    return row.percent_grade, row.letter_grade, row.passed, row.refrozen


def lms_stores(user, course_id, percent, letter, passed):
    """The LMS stores a new course grade for the learner (a write the freeze let through for them)."""
    now = datetime.now(UTC)
    StoredCourseGrade.objects.filter(user_id=user.pk, course_id=course_id).update(
        percent_grade=percent, letter_grade=letter, passed_timestamp=now if passed else None, modified=now)
