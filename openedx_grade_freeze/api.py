"""
The public Python API of openedx-grade-freeze: other plugins and edx-platform code call only these.
"""
from openedx_grade_freeze import policy, schedules
from openedx_grade_freeze.policy import FreezeState
from openedx_grade_freeze.schedules import EndDateChange, ScheduleSnapshot

__all__ = [
    "EndDateChange",
    "FreezeState",
    "ScheduleSnapshot",
    "are_grades_frozen",
    "get_freeze_state",
    "record_course_schedule",
]


def get_freeze_state(course_key, at=None):
    """The freeze state of a course (``CourseKey`` or string) now, or at ``at``; warm calls make no query."""
    return policy.get_freeze_state(course_key, at=at)


def are_grades_frozen(course_key):
    """True when the course's grades must no longer change."""
    return policy.get_freeze_state(course_key).frozen


def record_course_schedule(snapshot):
    """Store a course's published schedule; returns the ``EndDateChange`` it caused, or None."""
    return schedules.apply_snapshot(snapshot)
