"""
Stand-in for ``lms.djangoapps.grades.api`` (read at ``e57a655d77b6…``): the override functions and the
re-exports the stand-ins use (upstream re-exports all of ``models_api`` with ``import *``, so
``clear_user_course_grades`` too). ``undo_override_subsection_grade`` deletes the override (logged in
``WRITE_LOG``), then sends ``SUBSECTION_OVERRIDE_CHANGED`` with ``score_deleted=True``.

``override_subsection_grade`` stores the override (creating a subsection grade row if needed) and sends
``SUBSECTION_OVERRIDE_CHANGED``, whose receiver queues ``recalculate_subsection_grade_v3``. Upstream does NOT check
``are_grades_frozen`` here: after the freeze the override is stored, but the recalculation task refuses to run.
"""
from opaque_keys.edx.keys import CourseKey, UsageKey

from lms.djangoapps.grades import constants
from lms.djangoapps.grades.config.waffle import is_writable_gradebook_enabled  # pylint: disable=unused-import
from lms.djangoapps.grades.course_grade_factory import CourseGradeFactory  # pylint: disable=unused-import
from lms.djangoapps.grades.models import PersistentSubsectionGrade
from lms.djangoapps.grades.models_api import (  # pylint: disable=unused-import
    _get_key,
    clear_prefetched_course_and_subsection_grades,
    clear_user_course_grades,
    get_recently_modified_grades,
    get_subsection_grade,
    get_subsection_grade_override,
    prefetch_course_and_subsection_grades,
    update_or_create_override,
)
from lms.djangoapps.grades.signals import handlers  # pylint: disable=unused-import  # connects the receivers
from lms.djangoapps.grades.signals import signals
from lms.djangoapps.grades.tasks import compute_all_grades_for_course as task_compute_all_grades_for_course  # pylint: disable=unused-import
from lms.djangoapps.grades.util_services import GradesUtilService  # pylint: disable=unused-import
from standin_support import utcnow


def override_subsection_grade(
        user_id, course_key_or_id, usage_key_or_id, overrider=None, earned_all=None, earned_graded=None,
        feature=constants.GradeOverrideFeatureEnum.proctoring, comment=None,
):
    """Create or update the override of a learner's subsection grade, then signal the change."""
    course_key = _get_key(course_key_or_id, CourseKey)
    usage_key = _get_key(usage_key_or_id, UsageKey)
    try:
        grade = get_subsection_grade(user_id, usage_key.course_key, usage_key)
    except PersistentSubsectionGrade.DoesNotExist:
        grade = _create_subsection_grade(user_id, course_key, usage_key)
    override = update_or_create_override(
        grade,
        requesting_user=overrider,
        subsection_grade_model=grade,
        feature=feature,
        system=feature,
        earned_all_override=earned_all,
        earned_graded_override=earned_graded,
        comment=comment,
    )
    signals.SUBSECTION_OVERRIDE_CHANGED.send(
        sender=None,
        user_id=user_id,
        course_id=str(course_key),
        usage_id=str(usage_key),
        only_if_higher=False,
        modified=override.modified,
        score_deleted=False,
        score_db_table=constants.ScoreDatabaseTableEnum.overrides,
    )


def undo_override_subsection_grade(user_id, course_key_or_id, usage_key_or_id, feature=''):
    """Delete the override (if made by ``feature``, when given), then signal the change."""
    course_key = _get_key(course_key_or_id, CourseKey)
    usage_key = _get_key(usage_key_or_id, UsageKey)
    try:
        override = get_subsection_grade_override(user_id, course_key, usage_key)
    except PersistentSubsectionGrade.DoesNotExist:
        return
    if override is not None and (not feature or not override.system or feature == override.system):
        override.delete()
    else:
        return
    signals.SUBSECTION_OVERRIDE_CHANGED.send(
        sender=None,
        user_id=user_id,
        course_id=str(course_key),
        usage_id=str(usage_key),
        only_if_higher=False,
        modified=utcnow(),
        score_deleted=True,
        score_db_table=constants.ScoreDatabaseTableEnum.overrides,
    )


def should_override_grade_on_rejected_exam(course_key_or_id):  # pylint: disable=unused-argument
    """Upstream reads the REJECTED_EXAM_OVERRIDES_GRADE course flag; the stand-in answers True."""
    return True


def _create_subsection_grade(user_id, course_key, usage_key):  # pylint: disable=unused-argument
    """Store an empty (0/0, unattempted) subsection grade; upstream computes it from the course."""
    return PersistentSubsectionGrade.update_or_create_grade(
        user_id=user_id, usage_key=usage_key, course_version='', subtree_edited_timestamp=None,
        earned_all=0.0, possible_all=0.0, earned_graded=0.0, possible_graded=0.0,
        visible_blocks=[], first_attempted=None,
    )
