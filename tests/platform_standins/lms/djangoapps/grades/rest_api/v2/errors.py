"""
Stand-in for ``lms.djangoapps.grades.rest_api.v2.errors`` (read at ``315bd8bcdea0…``): real DRF exceptions, as
upstream, registered with edx-drf-extensions' ``register_error_type``.
"""
from rest_framework.exceptions import NotFound, PermissionDenied

try:
    from edx_rest_framework_extensions.errors import register_error_type
except ImportError:  # edx-drf-extensions before 10.8 (the Ulmo and Verawood pins): no problem-type registry yet
    def register_error_type(exception_class, slug, title):  # pylint: disable=unused-argument
        """Stand-in only: leave the exception class as it is."""
        return exception_class


class WritableGradebookDisabled(PermissionDenied):
    """The writable gradebook is off for the course."""

    default_detail = 'The writable gradebook is not enabled for this course.'
    default_code = 'writable_gradebook_disabled'


class GradesFrozen(PermissionDenied):
    """The course's grades are frozen, so they may not change."""

    default_detail = 'Grades are frozen for this course.'
    default_code = 'grades_frozen'


class SubsectionUnavailable(NotFound):
    """The subsection is not available to the learner."""

    default_detail = 'The subsection is not available to this learner.'
    default_code = 'subsection_unavailable'


register_error_type(WritableGradebookDisabled, 'grades/writable-gradebook-disabled', 'Writable Gradebook Disabled')
register_error_type(GradesFrozen, 'grades/grades-frozen', 'Grades Frozen')
register_error_type(SubsectionUnavailable, 'grades/subsection-unavailable', 'Subsection Unavailable')
