"""
Learners enrolled in a course run, as edx-platform's ``CourseEnrollment`` holds them (LMS), read in bulk.
"""
from openedx_grade_freeze.exceptions import PlatformUnavailableError
from openedx_grade_freeze.keys import to_course_key
from openedx_grade_freeze.platform.modules import import_platform_module

_STUDENT_MODELS = "common.djangoapps.student.models"


def _course_enrollments(course_key):
    models = import_platform_module(_STUDENT_MODELS)
    if models is None:
        raise PlatformUnavailableError("edx-platform's student models are not importable: not running in the LMS.")
    return models.CourseEnrollment.objects.filter(course_id=to_course_key(course_key))


def _enrollments(course_key):
    return _course_enrollments(course_key).filter(is_active=True)


def enrollment_user_ids_after(course_key, after_user_id, limit):
    """Up to ``limit`` ids of users enrolled in the course, actively or not, above ``after_user_id``, ascending.

    Upstream's unique (user_id, course_id) index answers it alone, reading ``limit`` entries of the course and
    those of other courses between them: no table row (``is_active`` would need each one). Raises outside the LMS.
    """
    return list(
        _course_enrollments(course_key).filter(user_id__gt=after_user_id)
        .order_by("user_id").values_list("user_id", flat=True)[:limit]
    )


def enrolled_user_ids_in_range(course_key, first_user_id, last_user_id):
    """Ids of actively enrolled users from ``first_user_id`` to ``last_user_id`` (inclusive), one query."""
    return list(
        _enrollments(course_key).filter(user_id__gte=first_user_id, user_id__lte=last_user_id)
        .values_list("user_id", flat=True)
    )


def is_enrolled(course_key, user_id):
    """Whether the user is actively enrolled in the course; raises outside the LMS."""
    return _enrollments(course_key).filter(user_id=user_id).exists()
