"""
The "Grade freeze" section of the LMS instructor dashboard, added through openedx-filters.
"""
import logging

from django.urls import NoReverseMatch, reverse
from openedx_filters.filters import PipelineStep

from openedx_grade_freeze import api
from openedx_grade_freeze.status import PHASE_ERROR, PHASE_FROZEN, PHASE_OFF, PHASE_UNDATED

log = logging.getLogger(__name__)

SECTION_KEY = "grade_freeze"
# Where the LMS finds the section's Mako template (``<prefix><section_key>.html``), as other plugins' sections do.
TEMPLATE_PATH_PREFIX = "/instructor_dashboard/"


def summary_of(status):
    """One line saying what the freeze means for the course now (its ``CourseStatus``)."""
    phase = status.phase
    if phase == PHASE_ERROR:
        now = "grades are frozen" if status.frozen else "grades can change"
        return f"The grade freeze settings of this course cannot be read ({now} until they are fixed): " + (
            status.configuration_error
        )
    if phase == PHASE_FROZEN:
        return f"Grades are frozen since {status.freeze_date:%d %B %Y, %H:%M} UTC."
    if phase == PHASE_OFF:
        return "The grade freeze is off for this course."
    if phase == PHASE_UNDATED:
        return "No grade freeze date yet: the course has no end date."
    days = status.days_until_freeze
    when = "today" if days == 0 else f"in {days} day{'s' if days != 1 else ''}"
    return f"Grades freeze on {status.freeze_date:%d %B %Y, %H:%M} UTC ({when})."


class AddGradeFreezeSection(PipelineStep):
    """
    Add a "Grade freeze" section (the state in a line and a link to the status page) to the instructor dashboard.

    Any failure is logged and leaves the dashboard as it was: the plugin never breaks the page.
    """

    def run_filter(self, context, template_name):  # pylint: disable=arguments-differ
        """Append the section to ``context["sections"]``; the template name is left unchanged."""
        try:
            section = self._section(context)
        except Exception:  # pylint: disable=broad-except
            log.exception("Could not add the grade freeze section to the instructor dashboard.")
            return {"context": context, "template_name": template_name}
        if section is not None:
            context.setdefault("sections", []).append(section)
        return {"context": context, "template_name": template_name}

    @staticmethod
    def _section(context):
        course = context.get("course")
        course_key = getattr(course, "id", None) or context.get("course_id")
        if course_key is None:
            return None
        try:
            status = api.get_course_status(course_key)
        except api.UnknownCourseError:
            return None
        try:
            status_url = reverse("openedx_grade_freeze:course_status_page", args=[str(status.course_key)])
        except NoReverseMatch:  # the plugin's URLs are not mounted (LMS url_config changed)
            status_url = ""
        return {
            "section_key": SECTION_KEY,
            "section_display_name": "Grade freeze",
            "course_id": str(status.course_key),
            "template_path_prefix": TEMPLATE_PATH_PREFIX,
            "summary": summary_of(status),
            "exceptions": exceptions_of(status),
            "phase": status.phase,
            "frozen": status.frozen,
            "freeze_date": status.freeze_date,
            "status_url": status_url,
        }


def exceptions_of(status):
    """One line on the course's learner exceptions: in force now, waiting for approval."""
    in_force, waiting = len(status.open_exceptions), len(status.learner_exceptions.waiting_for_approval)
    if not in_force and not waiting:
        return "No learner has an exception to the freeze."
    parts = []
    if in_force:
        parts.append(f"{in_force} learner{'s have' if in_force != 1 else ' has'} an exception in force")
    if waiting:
        parts.append(f"{waiting} request{'s wait' if waiting != 1 else ' waits'} for approval")
    return "; ".join(parts) + "."
