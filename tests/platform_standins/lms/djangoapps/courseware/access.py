"""
Stand-in for ``lms.djangoapps.courseware.access`` (``has_access`` only): staff users have every access.
"""


def has_access(user, action, obj, course_key=None):  # pylint: disable=unused-argument
    """Whether ``user`` may do ``action`` on ``obj`` (stand-in: staff may do anything)."""
    return bool(getattr(user, 'is_staff', False))
