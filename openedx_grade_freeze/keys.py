"""
Course-key and datetime parsing shared by the API, commands and receivers.
"""
from datetime import datetime, timezone

from opaque_keys import InvalidKeyError
from opaque_keys.edx.keys import CourseKey

from openedx_grade_freeze.exceptions import InvalidCourseKeyError


def to_course_key(value):
    """Return ``value`` as a ``CourseKey``; raise ``InvalidCourseKeyError`` naming the bad value otherwise."""
    if isinstance(value, CourseKey):
        return value
    if not isinstance(value, str) or not value:
        raise InvalidCourseKeyError(f"Not a course key: {value!r}")
    try:
        return CourseKey.from_string(value)
    except InvalidKeyError as error:
        raise InvalidCourseKeyError(f"Not a valid course key: {value!r}") from error


def as_utc(value):
    """Return a datetime as tz-aware UTC (naive values are taken to be UTC, as edx-platform stores them)."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        raise TypeError(f"Expected a datetime, got {value!r}")
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def isoformat(value):
    """ISO-8601 text of a datetime in UTC, or None."""
    return None if value is None else as_utc(value).isoformat()
