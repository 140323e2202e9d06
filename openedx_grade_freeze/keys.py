"""
Course-key parsing shared by the API, commands and receivers.
"""
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
