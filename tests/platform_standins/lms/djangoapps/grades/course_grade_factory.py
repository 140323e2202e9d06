"""
Stand-in for ``lms.djangoapps.grades.course_grade_factory`` (read at ``e57a655d77b6…``).

``read`` returns the stored grade, else a ``ZeroCourseGrade`` that is NOT persisted (upstream's current
behaviour: ``create_if_needed`` is accepted but unused). ``update`` → ``_update`` keeps upstream's order: compute
the ``CourseGrade`` (with ``force_update_subsections``, subsection grades are stored on the way); if attempted,
``bulk_create_unsaved()`` (→ ``PersistentSubsectionGrade.bulk_create_grades``) then
``PersistentCourseGrade.update_or_create``, whose return value is ignored; then, whatever was stored,
``COURSE_GRADE_CHANGED.send_robust`` and ``COURSE_GRADE_NOW_PASSED``/``COURSE_GRADE_NOW_FAILED`` with the
computed grade. ``course`` may be any object with ``.id`` (e.g. a stand-in ``CourseOverview``).
"""
from collections import namedtuple
from logging import getLogger

from openedx.core.djangoapps.signals.signals import (
    COURSE_GRADE_CHANGED,
    COURSE_GRADE_NOW_FAILED,
    COURSE_GRADE_NOW_PASSED,
)

from .course_data import CourseData
from .course_grade import CourseGrade, ZeroCourseGrade
from .models import PersistentCourseGrade

log = getLogger(__name__)


class CourseGradeFactory:
    """Factory class to create Course Grade objects."""

    GradeResult = namedtuple('GradeResult', ['student', 'course_grade', 'error'])

    def read(
            self,
            user,
            course=None,
            collected_block_structure=None,
            course_structure=None,
            course_key=None,
            create_if_needed=True,  # pylint: disable=unused-argument
    ):
        """Return the stored CourseGrade of ``user``, or a zero grade (not stored)."""
        course_data = CourseData(user, course, collected_block_structure, course_structure, course_key)
        try:
            stored = PersistentCourseGrade.read(user.id, course_data.course_key)
        except PersistentCourseGrade.DoesNotExist:
            return ZeroCourseGrade(user, course_data)
        return CourseGrade(user, course_data, stored.percent_grade, stored.letter_grade, stored.letter_grade != '',
                           last_updated=stored.modified, attempted=True)

    def update(
            self,
            user,
            course=None,
            collected_block_structure=None,
            course_structure=None,
            course_key=None,
            force_update_subsections=False,
    ):
        """Compute, store (when attempted) and return the CourseGrade of ``user``."""
        course_data = CourseData(user, course, collected_block_structure, course_structure, course_key)
        return self._update(user, course_data, force_update_subsections=force_update_subsections)

    def iter(
            self,
            users,
            course=None,
            collected_block_structure=None,
            course_key=None,
            force_update=False,
    ):
        """Yield a ``GradeResult(student, course_grade, error)`` per user; ``force_update`` updates, else reads."""
        for user in users:
            try:
                kwargs = {'user': user, 'course': course, 'collected_block_structure': collected_block_structure,
                          'course_key': course_key}
                if force_update:
                    kwargs['force_update_subsections'] = True
                method = CourseGradeFactory().update if force_update else CourseGradeFactory().read
                yield self.GradeResult(user, method(**kwargs), None)
            except Exception as exc:  # pylint: disable=broad-except
                log.exception('Cannot grade student %s in course %s because of exception: %s', user.id, course_key, exc)
                yield self.GradeResult(user, None, exc)

    @staticmethod
    def _update(user, course_data, force_update_subsections=False):
        """Compute and store the grade, then signal it (signals go out even when nothing was stored)."""
        deadline = course_data.course.end  # upstream loads the course first; a failed load raises here
        course_grade = CourseGrade(user, course_data, force_update_subsections=force_update_subsections)
        course_grade = course_grade.update()

        should_persist = course_grade.attempted
        if should_persist:
            course_grade._subsection_grade_factory.bulk_create_unsaved()  # pylint: disable=protected-access
            PersistentCourseGrade.update_or_create(
                user_id=user.id,
                course_id=course_data.course_key,
                course_version=course_data.version,
                course_edited_timestamp=course_data.edited_on,
                grading_policy_hash=course_data.grading_policy_hash,
                percent_grade=course_grade.percent,
                letter_grade=course_grade.letter_grade or '',
                passed=course_grade.passed,
            )

        COURSE_GRADE_CHANGED.send_robust(
            sender=None, user=user, course_grade=course_grade, course_key=course_data.course_key, deadline=deadline,
        )
        if course_grade.passed:
            COURSE_GRADE_NOW_PASSED.send(sender=CourseGradeFactory, user=user, course_id=course_data.course_key)
        else:
            COURSE_GRADE_NOW_FAILED.send(
                sender=CourseGradeFactory, user=user, course_id=course_data.course_key, grade=course_grade,
            )
        log.info('Grades: Update, %s, User: %s, %s, persisted: %s',
                 course_data.full_string(), user.id, course_grade, should_persist)
        return course_grade
