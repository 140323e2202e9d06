"""
The "Grade freeze" section of the instructor dashboard, through openedx-filters' real pipeline.
"""
import types
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from django.conf import settings
from django.test import override_settings
from opaque_keys.edx.keys import CourseKey
from openedx_filters.learning.filters import InstructorDashboardRenderStarted

import openedx_grade_freeze
from openedx_grade_freeze import api
from openedx_grade_freeze.settings.common import DASHBOARD_FILTER_TYPE, DASHBOARD_STEP, plugin_settings
from tests.events import publish

pytestmark = pytest.mark.django_db

NOW = datetime.now(timezone.utc)
OPEN = "course-v1:DashX+Open+2026"
FROZEN = "course-v1:DashX+Frozen+2026"
TEMPLATE = "instructor/instructor_dashboard_2/instructor_dashboard_2.html"


@pytest.fixture(autouse=True)
def courses():
    publish(OPEN, NOW - timedelta(days=5), time=NOW - timedelta(days=5))
    publish(FROZEN, NOW - timedelta(days=40), time=NOW - timedelta(days=40))


def dashboard_context(course_id):
    """The part of the legacy instructor dashboard's context the step reads: the course and its sections."""
    course = types.SimpleNamespace(id=CourseKey.from_string(course_id), display_name="Demo")
    return {"course": course, "sections": [{"section_key": "course_info", "section_display_name": "Course Info"}]}


def render(course_id):
    return InstructorDashboardRenderStarted.run_filter(context=dashboard_context(course_id), template_name=TEMPLATE)


def test_the_plugin_settings_register_the_step_for_the_dashboard_filter():
    entry = settings.OPEN_EDX_FILTERS_CONFIG[DASHBOARD_FILTER_TYPE]
    assert entry["pipeline"] == [DASHBOARD_STEP]
    assert entry.get("fail_silently", True) is True


def test_registration_keeps_other_plugins_steps():
    host = types.SimpleNamespace(OPEN_EDX_FILTERS_CONFIG={
        DASHBOARD_FILTER_TYPE: {"pipeline": ["other_plugin.AddReportsTab"], "fail_silently": False},
        "org.openedx.learning.course.about.render.started.v1": {"pipeline": ["x.Y"]},
    })
    plugin_settings(host)
    plugin_settings(host)  # twice (LMS and a reload): still one step
    assert host.OPEN_EDX_FILTERS_CONFIG[DASHBOARD_FILTER_TYPE] == {
        "pipeline": ["other_plugin.AddReportsTab", DASHBOARD_STEP], "fail_silently": False,
    }
    assert host.OPEN_EDX_FILTERS_CONFIG["org.openedx.learning.course.about.render.started.v1"] == {"pipeline": ["x.Y"]}


def test_an_open_course_shows_its_freeze_date_and_a_link():
    context, template_name = render(OPEN)

    assert template_name == TEMPLATE
    assert [section["section_key"] for section in context["sections"]] == ["course_info", "grade_freeze"]
    section = context["sections"][-1]
    freeze_date = api.get_freeze_state(OPEN).freeze_date
    assert section["section_display_name"] == "Grade freeze"
    assert section["summary"] == f"Grades freeze on {freeze_date:%d %B %Y, %H:%M} UTC (in 25 days)."
    assert section["status_url"] == f"/api/grade_freeze/status/{OPEN}/"
    assert section["template_path_prefix"] == "/instructor_dashboard/" and section["frozen"] is False


def test_a_frozen_course_says_so():
    section = render(FROZEN)[0]["sections"][-1]
    assert section["summary"].startswith("Grades are frozen since ") and section["frozen"] is True


def test_the_sections_template_is_shipped_where_the_lms_looks_for_it():
    template = Path(openedx_grade_freeze.__file__).parent / "templates" / "instructor_dashboard" / "grade_freeze.html"
    text = template.read_text()
    assert text.startswith("## mako") and 'section_data["summary"]' in text and "status_url" in text


def test_a_broken_configuration_is_shown_not_raised(break_site_configuration):
    break_site_configuration("DashX")
    section = render(FROZEN)[0]["sections"][-1]
    assert section["summary"].startswith("The grade freeze settings of this course cannot be read (grades are frozen")
    assert "site configuration of DashX unreadable" in section["summary"]


def test_a_failing_plugin_leaves_the_dashboard_as_it_was():
    # The database goes away under the step (here: the plugin's tables are unreachable); the dashboard renders.
    from django.db import connection  # pylint: disable=import-outside-toplevel

    def refuse(execute, sql, params, many, context):
        raise RuntimeError("database unavailable")

    with connection.execute_wrapper(refuse):
        context, template_name = render(OPEN)

    assert template_name == TEMPLATE
    assert [section["section_key"] for section in context["sections"]] == ["course_info"]


def test_an_unknown_course_gets_no_section():
    context, _ = render("course-v1:DashX+Nowhere+2026")
    assert [section["section_key"] for section in context["sections"]] == ["course_info"]


@override_settings(OPEN_EDX_FILTERS_CONFIG={DASHBOARD_FILTER_TYPE: {"pipeline": [DASHBOARD_STEP]}})
def test_a_context_without_a_course_is_passed_through():
    context, _ = InstructorDashboardRenderStarted.run_filter(context={"sections": []}, template_name=TEMPLATE)
    assert context == {"sections": []}
