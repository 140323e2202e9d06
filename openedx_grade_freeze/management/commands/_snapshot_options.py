"""
What the final-grade snapshot commands share: parsing course keys and users, and naming the operator.
"""
from django.contrib.auth import get_user_model
from django.core.management.base import CommandError

from openedx_grade_freeze.exceptions import InvalidCourseKeyError
from openedx_grade_freeze.keys import to_course_key


def course_key_or_error(value):
    """A ``CourseKey``, or a ``CommandError`` naming the bad value."""
    try:
        return to_course_key(value)
    except InvalidCourseKeyError as error:
        raise CommandError(str(error)) from error


def user_or_error(value, what="user"):
    """The user named by a numeric id or a username, or a ``CommandError``."""
    users = get_user_model().objects
    user = users.filter(pk=int(value)).first() if str(value).isdigit() else None
    user = user or users.filter(username=value).first()
    if user is None:
        raise CommandError(f"Unknown {what}: {value!r} is neither a user id nor a username.")
    return user


def add_operator_argument(parser):
    parser.add_argument(
        "--operator", metavar="USERNAME", help="The staff user acting, recorded in the audit log (default: none).",
    )


def operator(options):
    """The ``--operator`` user, or None."""
    return user_or_error(options["operator"], "operator") if options.get("operator") else None
