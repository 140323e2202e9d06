"""
Stand-in for ``lms.djangoapps.grades.rest_api.v2.services`` (``grades_frozen``,
``record_subsection_grade_overrides``).

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


#: The grade values an override may replace.
OVERRIDE_FIELDS = (
    'earned_all_override',
    'possible_all_override',
    'earned_graded_override',
    'possible_graded_override',
)


def record_subsection_grade_overrides(requesting_user, course, items):
    """
    Store the overrides in ``items``, then recompute the grades they change; one row per override.

    As upstream (no freeze check of its own: the view's ``GradesNotFrozen`` permission guards it). Stand-in:
    ``course`` is any object with ``.id``, each item's ``username`` has ``.user``; no transaction.
    """
    # pylint: disable=import-outside-toplevel
    from lms.djangoapps.grades.api import _create_subsection_grade
    from lms.djangoapps.grades.api import constants as grades_constants
    from lms.djangoapps.grades.models import PersistentSubsectionGrade, PersistentSubsectionGradeOverride
    from lms.djangoapps.grades.tasks import recalculate_subsection_grade_v3
    recorded = []
    for item in items:
        learner = item['username'].user
        try:
            grade = PersistentSubsectionGrade.objects.get(
                user_id=learner.id, course_id=item['usage_key'].course_key, usage_key=item['usage_key'],
            )
        except PersistentSubsectionGrade.DoesNotExist:
            grade = _create_subsection_grade(learner.id, course.id, item['usage_key'])
        override = PersistentSubsectionGradeOverride.update_or_create_override(
            requesting_user=requesting_user,
            subsection_grade_model=grade,
            feature=grades_constants.GradeOverrideFeatureEnum.gradebook,
            system=grades_constants.GradeOverrideFeatureEnum.gradebook,
            **{name: item[name] for name in (*OVERRIDE_FIELDS, 'comment') if name in item},
        )
        recorded.append((learner, item['usage_key'], grade, override))
    for _, _, grade, override in recorded:
        recalculate_subsection_grade_v3.apply(kwargs={
            'user_id': grade.user_id, 'anonymous_user_id': None, 'course_id': str(grade.course_id),
            'usage_id': str(grade.usage_key), 'only_if_higher': False,
            'expected_modified_time': override.modified.timestamp(), 'score_deleted': False,
            'event_transaction_id': None, 'event_transaction_type': None,
            'score_db_table': grades_constants.ScoreDatabaseTableEnum.overrides, 'force_update_subsections': True,
        })
    return [
        {
            'username': learner.username,
            'usage_key': str(usage_key),
            **{name: getattr(override, name) for name in OVERRIDE_FIELDS},
            'comment': override.override_reason,
        }
        for learner, usage_key, _, override in recorded
    ]
