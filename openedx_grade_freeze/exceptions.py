"""
Errors the plugin raises to its callers.
"""
from django.core.exceptions import PermissionDenied, ValidationError


class InvalidCourseKeyError(ValueError):
    """A course key that is not a valid Open edX course key was given."""


class InvalidFreezeConfigurationError(ValidationError):
    """A freeze override or setting was refused because its values make no sense for the course."""


class UnknownCourseError(LookupError):
    """Neither the plugin (a schedule, a freeze run) nor edx-platform (a CourseOverview) knows this course."""


class PlatformUnavailableError(RuntimeError):
    """An operation that needs edx-platform was run outside the LMS or Studio."""


class PlatformReadError(RuntimeError):
    """edx-platform could not answer a read (for example a course overview that failed to load its content)."""


class UnknownUserError(LookupError):
    """No user has the id or username given."""


class NotALearnerError(ValueError):
    """The user is not, and never was, a learner of the course (not enrolled, no stored grade, not in its snapshot)."""


class InvalidLearnerExceptionError(ValidationError):
    """A learner exception was refused: unknown course or learner, a bad window, no reason (messages per field)."""


class LearnerExceptionNotAllowedError(PermissionDenied):
    """The user may not request, approve or close this learner exception (self-approval, not course staff...)."""


class UnknownLearnerExceptionError(LookupError):
    """No learner exception has this id."""
