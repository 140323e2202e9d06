"""
Stand-in for ``lms.djangoapps.grades.signals.handlers`` (the receivers on the recalculation chain).

Importing this module connects the receivers, as upstream (``grades.api`` imports it, like upstream's api does).
"""
from django.dispatch import receiver

from lms.djangoapps.grades.tasks import (
    RECALCULATE_GRADE_DELAY_SECONDS,
    recalculate_course_and_subsection_grades_for_user,
    recalculate_subsection_grade_v3,
)

from ..course_grade_factory import CourseGradeFactory
from .signals import PROBLEM_WEIGHTED_SCORE_CHANGED, SUBSECTION_OVERRIDE_CHANGED, SUBSECTION_SCORE_CHANGED


def _to_timestamp(value):
    return value.timestamp() if value is not None else None


@receiver(PROBLEM_WEIGHTED_SCORE_CHANGED, dispatch_uid='standin_enqueue_subsection_update_score')
@receiver(SUBSECTION_OVERRIDE_CHANGED, dispatch_uid='standin_enqueue_subsection_update_override')
def enqueue_subsection_update(sender, **kwargs):  # pylint: disable=unused-argument
    """Queue ``recalculate_subsection_grade_v3`` for the changed score or override."""
    recalculate_subsection_grade_v3.apply_async(
        kwargs=dict(
            user_id=kwargs['user_id'],
            anonymous_user_id=kwargs.get('anonymous_user_id'),
            course_id=kwargs['course_id'],
            usage_id=kwargs['usage_id'],
            only_if_higher=kwargs.get('only_if_higher'),
            expected_modified_time=_to_timestamp(kwargs['modified']),
            score_deleted=kwargs.get('score_deleted', False),
            event_transaction_id=None,
            event_transaction_type=None,
            score_db_table=kwargs['score_db_table'],
            force_update_subsections=kwargs.get('force_update_subsections', False),
        ),
        countdown=RECALCULATE_GRADE_DELAY_SECONDS,
    )


@receiver(SUBSECTION_SCORE_CHANGED, dispatch_uid='standin_recalculate_course_grade_only')
def recalculate_course_grade_only(sender, course, course_structure, user, **kwargs):  # pylint: disable=unused-argument
    """Update the stored course grade after a subsection grade changed."""
    CourseGradeFactory().update(user, course=course, course_structure=course_structure)


def recalculate_course_and_subsection_grades(sender, user, course_key, countdown=None, **kwargs):  # pylint: disable=unused-argument
    """Upstream receiver of ENROLLMENT_TRACK_UPDATED / COHORT_MEMBERSHIP_UPDATED (not connected here)."""
    recalculate_course_and_subsection_grades_for_user.apply_async(
        countdown=countdown, kwargs=dict(user_id=user.id, course_key=str(course_key)),
    )
