"""
Stand-in for ``lms.djangoapps.grades.course_data`` (``CourseData``): what a grade computation knows of the course.

Upstream loads the course (and its block structure) from the modulestore when first needed; the stand-in reads the
``CourseOverview`` instead, so ``CourseOverview.fail_loading(...)`` makes it raise as a failed load would.
"""
from opaque_keys.edx.keys import CourseKey

from openedx.core.djangoapps.content.course_overviews.models import CourseOverview


class CourseData:
    """The course of a grade computation; at least one of ``course`` or ``course_key`` is given."""

    def __init__(self, user, course=None, collected_block_structure=None, structure=None, course_key=None):  # pylint: disable=unused-argument
        self.user = user
        self._course = course
        if course_key is None:
            course_key = course.id
        self.course_key = CourseKey.from_string(course_key) if isinstance(course_key, str) else course_key

    @property
    def course(self):
        """The course (here its ``CourseOverview``); loading it may raise, as upstream's modulestore load can."""
        if self._course is None:
            self._course = CourseOverview.get_from_id(self.course_key)
        return self._course

    @property
    def version(self):
        return ''

    @property
    def edited_on(self):
        return None

    @property
    def grading_policy_hash(self):
        """Upstream hashes the course's grading policy; the stand-in's policy never changes."""
        return 'standin-policy'

    def full_string(self):
        return f'Course: {self.course_key}'

    def __str__(self):
        return f'Course: course_key: {self.course_key}'
