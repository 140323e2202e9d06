"""
Stand-in for ``lms.djangoapps.grades.models_api`` (read at ``e57a655d77b6…``): the functions
``api.override_subsection_grade`` uses, ``get_recently_modified_grades`` (a sorted list here, a QuerySet
upstream; in the signature ``standin_support.RECENT_GRADES_SHAPE`` chooses) and ``clear_user_course_grades`` (no
transaction here).
"""
from opaque_keys.edx.keys import CourseKey, UsageKey

import standin_support

from lms.djangoapps.grades.models import PersistentCourseGrade as _PersistentCourseGrade
from lms.djangoapps.grades.models import PersistentSubsectionGrade as _PersistentSubsectionGrade
from lms.djangoapps.grades.models import PersistentSubsectionGradeOverride as _PersistentSubsectionGradeOverride


def _get_key(key_or_id, key_cls):
    """Stand-in for ``lms.djangoapps.utils._get_key``: parse strings, pass keys through."""
    return key_cls.from_string(key_or_id) if isinstance(key_or_id, str) else key_or_id


def prefetch_course_and_subsection_grades(course_key, users):
    _PersistentCourseGrade.prefetch(course_key, users)
    _PersistentSubsectionGrade.prefetch(course_key, users)


def clear_prefetched_course_and_subsection_grades(course_key):
    _PersistentCourseGrade.clear_prefetched_data(course_key)


def _recently_modified_grades(course_keys, start_date, end_date, users):
    """The stored course grades matching the filters (each optional; ``end_date`` inclusive), ordered by modified."""
    course_ids = {str(key) for key in course_keys or ()}
    user_ids = {user.id for user in users or ()}
    grades = [
        grade for grade in _PersistentCourseGrade.objects.all()
        if (not course_ids or str(grade.course_id) in course_ids)
        and (not start_date or grade.modified >= start_date)
        and (not end_date or grade.modified <= end_date)
        and (not user_ids or grade.user_id in user_ids)
    ]
    return sorted(grades, key=lambda grade: grade.modified)


# Upstream's signature differs between copies (tests/data/platform_signatures.json): the stand-in takes the one
# ``standin_support.RECENT_GRADES_SHAPE`` names, so a call in another shape fails with TypeError as upstream's would.
if standin_support.RECENT_GRADES_SHAPE == 'course-keys-dates':
    def get_recently_modified_grades(course_keys, start_date, end_date):
        """The stored course grades matching the filters, ordered by modified (no learner filter)."""
        return _recently_modified_grades(course_keys, start_date, end_date, None)
elif standin_support.RECENT_GRADES_SHAPE == 'user':
    def get_recently_modified_grades(course_keys, start_date, end_date, user=None):
        """The stored course grades matching the filters, ordered by modified (one learner, or all)."""
        return _recently_modified_grades(course_keys, start_date, end_date, None if user is None else [user])
else:
    def get_recently_modified_grades(course_keys, start_date, end_date, users=None):
        """The stored course grades matching the filters, ordered by modified (a list of learners, or all)."""
        return _recently_modified_grades(course_keys, start_date, end_date, users)


def update_or_create_override(grade, **kwargs):
    """Create or update the override of ``grade``."""
    kwargs['subsection_grade_model'] = grade
    return _PersistentSubsectionGradeOverride.update_or_create_override(**kwargs)


def get_subsection_grade(user_id, course_key_or_id, usage_key_or_id):
    """Return the stored subsection grade; raises ``PersistentSubsectionGrade.DoesNotExist``."""
    course_key = _get_key(course_key_or_id, CourseKey)
    usage_key = _get_key(usage_key_or_id, UsageKey)
    return _PersistentSubsectionGrade.objects.get(user_id=user_id, course_id=course_key, usage_key=usage_key)


def get_subsection_grade_override(user_id, course_key_or_id, usage_key_or_id):
    """Return the override of an existing subsection grade, or None."""
    usage_key = _get_key(usage_key_or_id, UsageKey)
    _ = get_subsection_grade(user_id, course_key_or_id, usage_key_or_id)
    return _PersistentSubsectionGradeOverride.get_override(user_id, usage_key)


def clear_user_course_grades(user_id, course_key):
    """Delete the learner's subsection grades (with their overrides), then their course grade."""
    if standin_support.PLATFORM_VARIANT == 'filter-patch':  # the upstream patch: refused -> nothing deleted
        from .persistence_filter import grade_persistence_refused  # pylint: disable=import-outside-toplevel
        if grade_persistence_refused(course_key, user_id, 'models_api.clear_user_course_grades', 'delete'):
            return
    _PersistentSubsectionGrade.delete_subsection_grades_for_learner(user_id, course_key)
    _PersistentCourseGrade.delete_course_grade_for_learner(course_key, user_id)
