"""
Stand-in for ``common.djangoapps.student.auth`` (the two names Grades API v2 imports): staff users have author
access; no course is a CCX.
"""


def has_course_author_access(user, course_key):  # pylint: disable=unused-argument
    """Whether ``user`` may author the course (stand-in: staff)."""
    return bool(getattr(user, 'is_staff', False))


def is_ccx_course(course_key):
    """Whether the course is a custom course (stand-in: never)."""
    return str(course_key).startswith('ccx-v1:')
