"""
What the commands about learners share: parsing course keys and users, and naming the operator.
"""
from django.core.management.base import CommandError

from openedx_grade_freeze import learners
from openedx_grade_freeze.exceptions import InvalidCourseKeyError, NotALearnerError, UnknownUserError
from openedx_grade_freeze.keys import to_course_key


def course_key_or_error(value):
    """A ``CourseKey``, or a ``CommandError`` naming the bad value."""
    try:
        return to_course_key(value)
    except InvalidCourseKeyError as error:
        raise CommandError(str(error)) from error


def user_or_error(value, what="user", by_id=False):
    """The user named by a user id (ASCII digits) or a username (only a user id with ``by_id``), or a
    ``CommandError``."""
    try:
        return learners.find_user(value, learners.BY_ID if by_id else learners.EITHER, what=what)
    except UnknownUserError as error:
        raise CommandError(str(error)) from error


def learner_or_error(course_key, value, by_id=False):
    """The user named by ``value`` (as ``user_or_error``) if they are or were a learner of the course, else a
    ``CommandError``."""
    user = user_or_error(value, by_id=by_id)
    try:
        return learners.require_learner(course_key, user)
    except NotALearnerError as error:
        raise CommandError(str(error)) from error


def add_user_id_argument(parser):
    parser.add_argument(
        "--user-id", action="store_true",
        help="USER is a user id (without it: a user id when it is ASCII digits and that user exists, else a username).",
    )


def add_operator_argument(parser):
    parser.add_argument(
        "--operator", metavar="USERNAME", help="The staff user acting, recorded in the audit log (default: none).",
    )


def operator(options):
    """The ``--operator`` user, or None."""
    return user_or_error(options["operator"], "operator") if options.get("operator") else None
