"""
Stand-in for ``lms.djangoapps.grades.subsection_grade_factory`` (``SubsectionGradeFactory``).

Keeps upstream's persistence flow: ``create(subsection, read_only=True)`` returns the stored grade, or computes
one and keeps it unsaved until ``bulk_create_unsaved()`` stores them all through
``PersistentSubsectionGrade.bulk_create_grades``; ``update(subsection, ...)`` computes and stores at once through
``PersistentSubsectionGrade.update_or_create_grade``. In the ``pr38862`` variant both pass
``grading_policy_hash=`` (keyword), as the PR does. Stand-in: a subsection is its usage key, and its points come
from ``standin_support.set_raw_score`` (no block structure, no submissions or courseware scores).
"""
from collections import OrderedDict

from opaque_keys.edx.keys import UsageKey

import standin_support
from lms.djangoapps.grades import models
from lms.djangoapps.grades.models import PersistentSubsectionGrade

from .course_data import CourseData


class SubsectionGradeFactory:
    """Reads, computes and stores one learner's subsection grades in one course."""

    def __init__(self, student, course=None, course_structure=None, course_data=None):
        self.student = student
        self.course_data = course_data or CourseData(student, course=course, structure=course_structure)
        self._cached_subsection_grades = None
        self._unsaved_subsection_grades = OrderedDict()

    def subsections(self):
        """Stand-in only: the learner's subsections in the course (stored grades, then raw scores), as usage keys."""
        keys = {str(grade.usage_key): grade.usage_key for grade in self._get_bulk_cached_subsection_grades().values()}
        for usage in standin_support.raw_scored_subsections(self.student.id, self.course_data.course_key):
            keys.setdefault(usage, UsageKey.from_string(usage))
        return list(keys.values())

    def create(self, subsection, read_only=False, force_calculate=False):  # pylint: disable=unused-argument
        """The stored grade of ``subsection``, else a computed one (kept unsaved when ``read_only``)."""
        grade = self._get_bulk_cached_subsection_grades().get(str(subsection))
        if grade is not None:
            return grade
        params = self._computed_params(subsection)
        if read_only:
            self._unsaved_subsection_grades[str(subsection)] = params
            return PersistentSubsectionGrade(**params)
        grade = self._update_or_create(dict(params))
        self._update_saved_subsection_grade(subsection, grade)
        return grade

    def bulk_create_unsaved(self):
        """Store every grade computed by ``create(..., read_only=True)`` so far."""
        params = [dict(p) for p in self._unsaved_subsection_grades.values() if p['first_attempted'] is not None]
        if models.PLATFORM_VARIANT == 'pr38862':
            PersistentSubsectionGrade.bulk_create_grades(
                params, self.student.id, self.course_data.course_key,
                grading_policy_hash=self.course_data.grading_policy_hash,
            )
        else:
            PersistentSubsectionGrade.bulk_create_grades(params, self.student.id, self.course_data.course_key)
        self._unsaved_subsection_grades.clear()

    def update(self, subsection, only_if_higher=None, score_deleted=False, force_update_subsections=False,
               persist_grade=True):
        """Compute the grade of ``subsection`` and store it (unless lower than stored and ``only_if_higher``)."""
        params = self._computed_params(subsection)
        stored = self._get_bulk_cached_subsection_grades().get(str(subsection))
        if stored is not None and params['first_attempted'] is None:
            params['first_attempted'] = stored.first_attempted
        if not persist_grade:
            return PersistentSubsectionGrade(**params)
        if only_if_higher and stored is not None and params['earned_graded'] < (stored.earned_graded or 0.0):
            return stored
        # As upstream, a deleted score (or a forced update) is stored even when nothing was attempted.
        if params['first_attempted'] is None and not (score_deleted or force_update_subsections):
            return PersistentSubsectionGrade(**params)
        grade = self._update_or_create(params)
        self._update_saved_subsection_grade(subsection, grade)
        return grade

    def _update_or_create(self, params):
        if models.PLATFORM_VARIANT == 'pr38862':
            return PersistentSubsectionGrade.update_or_create_grade(
                grading_policy_hash=self.course_data.grading_policy_hash, **params,
            )
        return PersistentSubsectionGrade.update_or_create_grade(**params)

    def _computed_params(self, subsection):
        """The grade row the learner's current points give (stand-in: the raw score, else the stored values)."""
        stored = self._get_bulk_cached_subsection_grades().get(str(subsection))
        scored = standin_support.raw_score(self.student.id, subsection)
        if scored is not None:
            earned, possible = scored
            first_attempted = (stored.first_attempted if stored is not None else None) or standin_support.utcnow()
        elif stored is not None:
            earned, possible, first_attempted = stored.earned_graded, stored.possible_graded, stored.first_attempted
        else:
            earned, possible, first_attempted = 0.0, 0.0, None
        return {
            'user_id': self.student.id, 'usage_key': subsection, 'course_version': self.course_data.version,
            'subtree_edited_timestamp': None, 'earned_all': earned, 'possible_all': possible,
            'earned_graded': earned, 'possible_graded': possible, 'visible_blocks': [],
            'first_attempted': first_attempted,
        }

    def _get_bulk_cached_subsection_grades(self):
        if self._cached_subsection_grades is None:
            self._cached_subsection_grades = {
                str(grade.usage_key): grade
                for grade in PersistentSubsectionGrade.bulk_read_grades(self.student.id, self.course_data.course_key)
            }
        return self._cached_subsection_grades

    def _update_saved_subsection_grade(self, subsection, grade):
        if self._cached_subsection_grades is not None:
            self._cached_subsection_grades[str(subsection)] = grade
