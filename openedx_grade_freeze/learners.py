"""
Which user a command, the REST API or admin names, and whether that user is (or was) a learner of a course.

A user is named by a user id only when the value is ASCII digits (or the caller says it is an id): ``١١``
(Arabic-Indic digits) is a username, never user 11. A learner of a course is enrolled in it, has a stored grade
there, or is in one of its final-grade snapshots; anyone else cannot be re-frozen or given an exception.
"""
from django.contrib.auth import get_user_model

from openedx_grade_freeze.exceptions import NotALearnerError, PlatformUnavailableError, UnknownUserError
from openedx_grade_freeze.keys import to_course_key
from openedx_grade_freeze.models import FrozenGrade
from openedx_grade_freeze.platform import enrollments as platform_enrollments
from openedx_grade_freeze.platform import grades as platform_grades

# How a value names a user.
BY_ID = "user_id"
BY_USERNAME = "username"
EITHER = "either"


def is_user_id(value):
    """Whether ``value`` reads as a user id: ASCII digits only (``str.isdigit`` also accepts other scripts' digits)."""
    text = str(value)
    return text.isascii() and text.isdigit()


def find_user(value, how=EITHER, what="user"):
    """The user ``value`` names; ``UnknownUserError`` (naming ``what`` was looked for) when none does.

    ``how``: ``BY_ID`` (ASCII digits, a user id), ``BY_USERNAME``, or ``EITHER``: a user id when the value is ASCII
    digits and such a user exists, else a username.
    """
    users = get_user_model().objects
    text = "" if value is None else str(value).strip()
    if not text:
        raise UnknownUserError(f"No {what} given: name one by username or user id.")
    if how == BY_ID:
        if not is_user_id(text):
            raise UnknownUserError(f"Not a user id: {text!r} (a user id is ASCII digits).")
        user = users.filter(pk=int(text)).first()
        if user is None:
            raise UnknownUserError(f"Unknown {what}: no user has the id {text}.")
        return user
    user = users.filter(pk=int(text)).first() if how == EITHER and is_user_id(text) else None
    user = user or users.filter(username=text).first()
    if user is None:
        if how == BY_USERNAME:
            raise UnknownUserError(f"Unknown {what}: no user has the username {text!r}.")
        raise UnknownUserError(f"Unknown {what}: {text!r} is neither a user id nor a username.")
    return user


def is_or_was_learner(course_key, user_id):
    """Whether the user is in one of the course's snapshots, has a stored grade there, or is enrolled now.

    Raises ``PlatformUnavailableError`` when it cannot tell (outside the LMS, where enrollments cannot be read).
    """
    course_key = to_course_key(course_key)
    if FrozenGrade.objects.filter(course_key=course_key, user_id=user_id).exists():
        return True
    if platform_grades.get_persisted_course_grade(user_id, course_key) is not None:
        return True
    return platform_enrollments.is_enrolled(course_key, user_id)


def require_learner(course_key, user):
    """Refuse (``NotALearnerError``) a user who is not and never was a learner of the course; returns the user."""
    course_key = to_course_key(course_key)
    user_id = getattr(user, "pk", user)
    try:
        learner = is_or_was_learner(course_key, user_id)
    except PlatformUnavailableError as error:
        raise NotALearnerError(
            f"Cannot tell whether user {user_id} is a learner of {course_key}: {error}"
        ) from error
    if not learner:
        raise NotALearnerError(
            f"User {user_id} is not and never was a learner of {course_key}: not enrolled, no stored grade, "
            "not in its final-grade snapshot."
        )
    return user
