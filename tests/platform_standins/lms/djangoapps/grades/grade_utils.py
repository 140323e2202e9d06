"""
Stand-in for ``lms.djangoapps.grades.grade_utils`` (``are_grades_frozen`` only).

Upstream rule: frozen when the course waffle flag ``ENFORCE_FREEZE_GRADE_AFTER_COURSE_END`` is on for the course
and ``now > CourseOverview.end + timedelta(settings.GRADEBOOK_FREEZE_DAYS)`` (30 days by default); a course with
no end date never freezes. The stand-in reads the end date from the stand-in ``CourseOverview``.
"""
import logging
from datetime import timedelta

from openedx.core.djangoapps.content.course_overviews.models import CourseOverview
import standin_support
from standin_support import setting, utcnow

from .config.waffle import ENFORCE_FREEZE_GRADE_AFTER_COURSE_END

log = logging.getLogger(__name__)
# The "filter-patch" variant carries the upstream patch's filter call (see persistence_filter).
_FILTER_PATCH = standin_support.PLATFORM_VARIANT == 'filter-patch'


def are_grades_frozen(course_key):
    """Whether grades are frozen for ``course_key``."""
    if _FILTER_PATCH:
        from .persistence_filter import grade_persistence_refused  # pylint: disable=import-outside-toplevel
        if grade_persistence_refused(course_key, None, 'grade_utils.are_grades_frozen', 'check'):
            return True
    if ENFORCE_FREEZE_GRADE_AFTER_COURSE_END.is_enabled(course_key):
        course = CourseOverview.get_from_id(course_key)
        if course.end:
            freeze_grade_date = course.end + timedelta(setting('GRADEBOOK_FREEZE_DAYS', 30))
            return utcnow() > freeze_grade_date
    return False
