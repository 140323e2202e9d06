"""
Stand-in for ``lms.djangoapps.grades.rest_api.v2.services`` (``grades_frozen`` only).

Upstream's Grades API v2 does NOT call ``are_grades_frozen``: it re-implements the rule in
``grades_frozen(course_key, course_end)`` (flag + ``GRADEBOOK_FREEZE_DAYS``), taking the end date from the caller
so a read never creates a CourseOverview. Patching ``are_grades_frozen`` therefore does not reach v2.
"""
from datetime import timedelta

from lms.djangoapps.grades.config.waffle import ENFORCE_FREEZE_GRADE_AFTER_COURSE_END
from standin_support import setting, utcnow


def grades_frozen(course_key, course_end):
    """Whether grades of ``course_key`` are frozen, given the course's end date."""
    if not ENFORCE_FREEZE_GRADE_AFTER_COURSE_END.is_enabled(course_key) or not course_end:
        return False
    return utcnow() > course_end + timedelta(setting('GRADEBOOK_FREEZE_DAYS', 30))
