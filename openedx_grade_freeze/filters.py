"""
The openedx-filters filter this plugin defines: "may this course's grade be persisted now?".
"""
from openedx_filters.exceptions import OpenEdxFilterException
from openedx_filters.tooling import OpenEdxPublicFilter


class GradePersistenceRequested(OpenEdxPublicFilter):
    """
    Filter run before a grade is written; a pipeline step vetoes the write by raising ``PreventGradePersistence``.

    Filter Type:
        org.openedx.learning.grade.persistence.requested.v1

    Trigger:
        openedx_grade_freeze.platform_adapter, at edx-platform's grade write points, and any caller of
        ``openedx_grade_freeze.api``.
    """

    filter_type = "org.openedx.learning.grade.persistence.requested.v1"

    class PreventGradePersistence(OpenEdxFilterException):
        """
        Raised by a pipeline step to stop a grade write; carries the course key and its freeze date.
        """

        def __init__(self, message, course_key=None, freeze_date=None):
            super().__init__(message, course_key=course_key, freeze_date=freeze_date)

    @classmethod
    def run_filter(cls, course_key, user_id=None, source=None):
        """Run the pipeline; returns ``(course_key, user_id, source)`` or raises ``PreventGradePersistence``."""
        data = super().run_pipeline(course_key=course_key, user_id=user_id, source=source)
        return data.get("course_key"), data.get("user_id"), data.get("source")
