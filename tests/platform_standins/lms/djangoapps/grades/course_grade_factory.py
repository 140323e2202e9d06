"""
Stand-in for ``lms.djangoapps.grades.course_grade_factory``.

``read`` returns the stored grade, else a ``ZeroCourseGrade`` that is NOT persisted (upstream's current
behaviour: ``create_if_needed`` is accepted but unused). ``update`` computes from the stored subsection grades,
persists through ``PersistentCourseGrade.update_or_create`` when attempted, and sends ``COURSE_GRADE_CHANGED``
(``send_robust``), then ``COURSE_GRADE_NOW_PASSED``/``COURSE_GRADE_NOW_FAILED``. ``course`` may be any object
with ``.id`` (e.g. a stand-in ``CourseOverview``).
"""
from collections import namedtuple
from logging import getLogger

from openedx.core.djangoapps.content.course_overviews.models import CourseOverview
from openedx.core.djangoapps.signals.signals import (
    COURSE_GRADE_CHANGED,
    COURSE_GRADE_NOW_FAILED,
    COURSE_GRADE_NOW_PASSED,
)

from .course_grade import CourseGrade, ZeroCourseGrade
from .models import PersistentCourseGrade, PersistentSubsectionGrade

log = getLogger(__name__)


def _course_key(course, course_key):
    return course_key if course_key is not None else course.id


class CourseGradeFactory:
    """Factory class to create Course Grade objects."""

    GradeResult = namedtuple('GradeResult', ['student', 'course_grade', 'error'])

    def read(
            self,
            user,
            course=None,
            collected_block_structure=None,  # pylint: disable=unused-argument
            course_structure=None,  # pylint: disable=unused-argument
            course_key=None,
            create_if_needed=True,  # pylint: disable=unused-argument
    ):
        """Return the stored CourseGrade of ``user``, or a zero grade (not stored)."""
        key = _course_key(course, course_key)
        try:
            stored = PersistentCourseGrade.read(user.id, key)
        except PersistentCourseGrade.DoesNotExist:
            return ZeroCourseGrade(user, key)
        return CourseGrade(user, key, stored.percent_grade, stored.letter_grade, stored.letter_grade != '',
                           attempted=True, last_updated=stored.modified)

    def update(
            self,
            user,
            course=None,
            collected_block_structure=None,  # pylint: disable=unused-argument
            course_structure=None,  # pylint: disable=unused-argument
            course_key=None,
            force_update_subsections=False,  # pylint: disable=unused-argument
    ):
        """Compute, store (when attempted) and return the CourseGrade of ``user``."""
        key = _course_key(course, course_key)
        course_grade = CourseGrade.compute(user, key, PersistentSubsectionGrade.bulk_read_grades(user.id, key))
        if course_grade.attempted:
            PersistentCourseGrade.update_or_create(
                user_id=user.id,
                course_id=key,
                course_version='',
                course_edited_timestamp=None,
                grading_policy_hash='standin-policy',
                percent_grade=course_grade.percent,
                letter_grade=course_grade.letter_grade or '',
                passed=course_grade.passed,
            )
        try:
            deadline = CourseOverview.get_from_id(key).end
        except CourseOverview.DoesNotExist:
            deadline = None
        COURSE_GRADE_CHANGED.send_robust(
            sender=None, user=user, course_grade=course_grade, course_key=key, deadline=deadline,
        )
        if course_grade.passed:
            COURSE_GRADE_NOW_PASSED.send(sender=CourseGradeFactory, user=user, course_id=key)
        else:
            COURSE_GRADE_NOW_FAILED.send(sender=CourseGradeFactory, user=user, course_id=key, grade=course_grade)
        return course_grade

    def iter(
            self,
            users,
            course=None,
            collected_block_structure=None,
            course_key=None,
            force_update=False,
    ):
        """Yield a ``GradeResult(student, course_grade, error)`` per user; ``force_update`` updates, else reads."""
        key = _course_key(course, course_key)
        for user in users:
            try:
                method = self.update if force_update else self.read
                course_grade = method(user, course=course, collected_block_structure=collected_block_structure,
                                      course_key=key)
                yield self.GradeResult(user, course_grade, None)
            except Exception as exc:  # pylint: disable=broad-except
                log.exception('Cannot grade student %s in course %s because of exception: %s', user.id, key, exc)
                yield self.GradeResult(user, None, exc)
