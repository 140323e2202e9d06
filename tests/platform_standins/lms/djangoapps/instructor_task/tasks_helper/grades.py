"""
Stand-in for ``lms.djangoapps.instructor_task.tasks_helper.grades`` (course grade report rows only).

Current upstream does NOT import ``are_grades_frozen`` here. Grade reports read grades through
``CourseGradeFactory().iter(users, course=..., collected_block_structure=..., course_key=...)`` without
``force_update``, i.e. ``read()``, which (upstream today) returns a zero grade for a learner with none and does
not store anything. The stand-in keeps that read path so tests can check that reports do not write.
"""
from lms.djangoapps.grades.api import CourseGradeFactory
from standin_support import enrolled_users


class CourseGradeReport:
    """Rows of the course grade report."""

    @classmethod
    def generate(cls, _xblock_instance_args, _entry_id, course_id, _task_input, action_name):  # pylint: disable=unused-argument
        """Return ``(success_rows, error_rows)`` for every enrolled learner (upstream uploads a CSV)."""
        return cls()._rows_for_users(course_id, enrolled_users(course_id))

    def _rows_for_users(self, course_id, users):
        success_rows, error_rows = [], []
        for user, course_grade, error in CourseGradeFactory().iter(users, course_key=course_id):
            if not course_grade:
                error_rows.append([user.id, user.username, str(error)])
            else:
                success_rows.append([user.id, user.email, user.username, course_grade.percent])
        return success_rows, error_rows
