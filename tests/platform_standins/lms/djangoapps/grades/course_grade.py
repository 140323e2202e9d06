"""
Stand-in for ``lms.djangoapps.grades.course_grade`` (``CourseGrade``, ``ZeroCourseGrade``).

As upstream, ``CourseGrade.update()`` gets each subsection's grade from its ``SubsectionGradeFactory``: with
``force_update_subsections`` through ``factory.update`` (stored at once), otherwise through
``factory.create(..., read_only=True)`` (stored later by ``bulk_create_unsaved``). The stand-in grade is the share
of graded points earned (overrides applied); it passes at ``PASSING_GRADE`` with letter grade ``'Pass'``;
``attempted`` is whether any subsection was attempted or overridden.
"""
from .subsection_grade_factory import SubsectionGradeFactory

PASSING_GRADE = 0.5


class CourseGradeBase:
    """Attributes of a course grade that callers read."""

    def __init__(self, user, course_data, percent=0.0, letter_grade=None, passed=False, force_update_subsections=False,
                 last_updated=None, attempted=False):
        self.user = user
        self.course_data = course_data
        self.percent = percent
        self.letter_grade = letter_grade
        self.passed = passed
        self.force_update_subsections = force_update_subsections
        self.last_updated = last_updated
        self.attempted = attempted

    @property
    def course_key(self):
        return getattr(self.course_data, 'course_key', self.course_data)

    def __str__(self):
        return f'{type(self).__name__}(percent={self.percent}, passed={self.passed})'


class ZeroCourseGrade(CourseGradeBase):
    """The grade of a learner with nothing stored: zero, not persisted."""


class CourseGrade(CourseGradeBase):
    """A computed (or read) course grade."""

    def __init__(self, user, course_data, *args, **kwargs):
        super().__init__(user, course_data, *args, **kwargs)
        self._subsection_grade_factory = SubsectionGradeFactory(user, course_data=course_data)

    def update(self):
        """Compute the grade from the subsection grades (storing them as upstream does); returns self."""
        earned = possible = 0.0
        attempted = False
        for subsection in self._subsection_grade_factory.subsections():
            grade = self._get_subsection_grade(subsection)
            override = grade.override
            earned += _value(override, 'earned_graded_override', grade.earned_graded)
            possible += _value(override, 'possible_graded_override', grade.possible_graded)
            attempted = attempted or grade.first_attempted is not None or override is not None
        self.percent = round(earned / possible, 2) if possible else 0.0
        self.passed = self.percent >= PASSING_GRADE
        self.letter_grade = 'Pass' if self.passed else None
        self.attempted = attempted
        return self

    def _get_subsection_grade(self, subsection):
        if self.force_update_subsections:
            return self._subsection_grade_factory.update(subsection, force_update_subsections=True)
        return self._subsection_grade_factory.create(subsection, read_only=True)


def _value(override, name, default):
    value = getattr(override, name, None) if override is not None else None
    return float(value if value is not None else (default or 0.0))
