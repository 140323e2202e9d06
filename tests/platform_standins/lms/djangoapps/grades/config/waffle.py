"""
Stand-in for ``lms.djangoapps.grades.config.waffle`` (only the toggles the freeze code reads).

Upstream ``ENFORCE_FREEZE_GRADE_AFTER_COURSE_END`` is a ``CourseWaffleFlag`` (``grades.enforce_freeze_grade_after_
course_end``) switched on for everyone by a data migration, with per-course/org overrides. The stand-in keeps a
global value plus per-course overrides that tests set with ``set_enabled``.
"""
from standin_support import register_reset


class StandinCourseWaffleFlag:
    """``is_enabled(course_key)`` answers the per-course override if any, else the global value."""

    def __init__(self, name, default):
        self.name = name
        self.default = default
        self.enabled = default
        self.course_overrides = {}

    def is_enabled(self, course_key=None):
        if course_key is not None and str(course_key) in self.course_overrides:
            return self.course_overrides[str(course_key)]
        return self.enabled

    def set_enabled(self, value, course_key=None):
        """Stand-in only: switch the flag globally, or for one course."""
        if course_key is None:
            self.enabled = value
        else:
            self.course_overrides[str(course_key)] = value

    def reset(self):
        self.enabled = self.default
        self.course_overrides.clear()


ENFORCE_FREEZE_GRADE_AFTER_COURSE_END = StandinCourseWaffleFlag('grades.enforce_freeze_grade_after_course_end', True)
# Upstream a WaffleSwitch ("grades.disable_regrade_on_policy_change"), off by default.
DISABLE_REGRADE_ON_POLICY_CHANGE = StandinCourseWaffleFlag('grades.disable_regrade_on_policy_change', False)

# Upstream the course flag "grades.writable_gradebook" (plus the WRITABLE_GRADEBOOK_URL setting); on here.
WRITABLE_GRADEBOOK = StandinCourseWaffleFlag('grades.writable_gradebook', True)


def is_writable_gradebook_enabled(course_key):
    """Whether the writable gradebook is on for the course."""
    return WRITABLE_GRADEBOOK.is_enabled(course_key)


register_reset(WRITABLE_GRADEBOOK.reset)
register_reset(ENFORCE_FREEZE_GRADE_AFTER_COURSE_END.reset)
register_reset(DISABLE_REGRADE_ON_POLICY_CHANGE.reset)
