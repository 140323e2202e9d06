"""
factory-boy factories for the plugin's records.
"""
from datetime import datetime, timezone

import factory
from django.contrib.auth import get_user_model
from opaque_keys.edx.keys import CourseKey

from openedx_grade_freeze.models import CourseSchedule


class CourseScheduleFactory(factory.django.DjangoModelFactory):
    """A course schedule as a publish event would have recorded it."""

    class Meta:
        model = CourseSchedule
        django_get_or_create = ("course_key",)

    course_key = factory.Sequence(lambda n: CourseKey.from_string(f"course-v1:FactoryX+C{n}+2026"))
    org = factory.LazyAttribute(lambda schedule: schedule.course_key.org)
    start = datetime(2026, 1, 5, tzinfo=timezone.utc)
    end = datetime(2026, 6, 30, tzinfo=timezone.utc)
    pacing = "instructor"
    source = "event"
    source_event_time = datetime(2026, 1, 1, tzinfo=timezone.utc)


class UserFactory(factory.django.DjangoModelFactory):
    """A Django user (staff when asked)."""

    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    password = factory.django.Password("password")
