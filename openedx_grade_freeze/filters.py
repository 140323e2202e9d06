"""
The openedx-filters filter this plugin defines: "may this course's grade be persisted (or deleted) now?".
"""
from openedx_filters.exceptions import OpenEdxFilterException
from openedx_filters.tooling import OpenEdxPublicFilter

# What the caller is about to do: ``write`` and ``delete`` change stored grades; ``check`` only asks (a read,
# such as edx-platform's ``are_grades_frozen``), so a veto of a check is an answer, not a refused update.
ACTION_WRITE = "write"
ACTION_DELETE = "delete"
ACTION_CHECK = "check"
ACTIONS = (ACTION_WRITE, ACTION_DELETE, ACTION_CHECK)


class GradePersistenceRequested(OpenEdxPublicFilter):
    """
    Filter run before a grade is written or deleted, or to ask whether it could be; a step vetoes by raising.

    Filter Type:
        org.openedx.learning.grade.persistence.requested.v1

    Trigger:
        openedx_grade_freeze.platform (edx-platform's grade write, delete and check points), and any caller of
        ``openedx_grade_freeze.api``.
    """

    filter_type = "org.openedx.learning.grade.persistence.requested.v1"

    class PreventGradePersistence(OpenEdxFilterException):
        """
        Raised by a pipeline step to stop a grade write; carries the course key, its freeze date and, for a veto
        naming no learner, how many learners' grades may still change (open learner exceptions and personalized due
        dates whose freeze is still ahead).
        """

        def __init__(self, message, course_key=None, freeze_date=None, open_exceptions=0):
            super().__init__(message, course_key=course_key, freeze_date=freeze_date, open_exceptions=open_exceptions)

    @classmethod
    def run_filter(cls, course_key, user_id=None, source=None, action=ACTION_WRITE):
        """Run the pipeline; returns ``(course_key, user_id, source)`` or raises ``PreventGradePersistence``."""
        if action not in ACTIONS:
            raise ValueError(f"action must be one of {ACTIONS}, not {action!r}")
        data = super().run_pipeline(course_key=course_key, user_id=user_id, source=source, action=action)
        return data.get("course_key"), data.get("user_id"), data.get("source")
