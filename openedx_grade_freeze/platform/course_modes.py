"""
A course run's enrollment modes in edx-platform's LMS (``CourseMode``), read-only.
"""
from openedx_grade_freeze.keys import to_course_key
from openedx_grade_freeze.platform.modules import import_platform_module

NOT_IN_LMS = object()


def certificate_modes(course_key):
    """The run's certificate-relevant modes (sorted slugs, e.g. ``["verified"]``), as upstream reads them for
    Credentials; ``NOT_IN_LMS`` outside the LMS.

    Upstream's ``update_credentials_course_certificate_configuration_available_date`` (programs tasks) takes the
    run's modes that are in ``CourseMode.CERTIFICATE_RELEVANT_MODES`` and sends the date only when there is exactly
    one.
    """
    models = import_platform_module("common.djangoapps.course_modes.models")
    course_mode = getattr(models, "CourseMode", None)
    if course_mode is None or not hasattr(course_mode, "objects"):
        return NOT_IN_LMS
    course_key = to_course_key(course_key)
    relevant = course_mode.CERTIFICATE_RELEVANT_MODES
    return sorted({mode.mode_slug for mode in course_mode.objects.filter(course_id=course_key)
                   if mode.mode_slug in relevant})
