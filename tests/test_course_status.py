"""
One course status: every surface that shows a course (status page, dashboard section, REST API, grade_freeze_status,
the upcoming-freeze warning, the admin overview) shows the phase and the counts the one status function gives.
"""
import ast
import re
import types
from datetime import datetime, timedelta, timezone
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from opaque_keys.edx.keys import CourseKey
from openedx_filters.learning.filters import InstructorDashboardRenderStarted

from openedx_grade_freeze import api, status
from openedx_grade_freeze.models import CredentialsDelivery
from openedx_grade_freeze.upcoming import announce_upcoming_freezes
from tests.events import publish
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NOW = datetime.now(timezone.utc)
PACKAGE = Path(__file__).resolve().parent.parent / "openedx_grade_freeze"
COURSES = {
    "open": "course-v1:PhaseX+Open+2026",        # ended 5 days ago: freezes in 25 days
    "undated": "course-v1:PhaseX+Undated+2026",  # no end date
    "frozen": "course-v1:PhaseX+Frozen+2026",    # ended 40 days ago
    "off": "course-v1:PhaseX+Off+2026",          # ended 40 days ago, freeze turned off by a course override
    "error": "course-v1:BrokenX+Error+2026",     # its site configuration cannot be read
}


@pytest.fixture(name="courses")
def fixture_courses(break_site_configuration):
    for phase, course in COURSES.items():
        end = None if phase == "undated" else NOW - timedelta(days=5 if phase == "open" else 40)
        publish(course, end, time=NOW - timedelta(days=50), start=NOW - timedelta(days=120))
    api.set_course_override(COURSES["off"], enabled=False, reason="pilot without freeze")
    break_site_configuration("BrokenX")
    return COURSES


@pytest.fixture(name="staff")
def fixture_staff():
    client = Client()
    client.force_login(UserFactory(username="ops", is_staff=True, is_superuser=True))
    return client


def command_rows(*args):
    """``grade_freeze_status``'s table as dicts, by column name."""
    out = StringIO()
    call_command("grade_freeze_status", *args, stdout=out)
    lines = out.getvalue().splitlines()
    header = re.split(r"\s{2,}", lines[0])
    return {row[0]: dict(zip(header, row, strict=True)) for row in (re.split(r"\s{2,}", line) for line in lines[1:])}


def dashboard_section(course_id):
    course = types.SimpleNamespace(id=CourseKey.from_string(course_id), display_name="Demo")
    context, _ = InstructorDashboardRenderStarted.run_filter(
        context={"course": course, "sections": []}, template_name="instructor_dashboard_2.html",
    )
    return context["sections"][-1]


def test_every_surface_shows_the_phase_the_status_gives(courses, staff):
    rows = command_rows()
    listed = {entry["course_id"]: entry for entry in staff.get("/api/grade_freeze/v1/courses/").json()["results"]}
    admin_page = staff.get(reverse("admin:openedx_grade_freeze_coursefreezeoverview_changelist")).content.decode()

    for phase, course in courses.items():
        assert api.get_course_status(course).phase == phase
        assert staff.get(f"/api/grade_freeze/v1/courses/{course}/").json()["phase"] == phase
        assert listed[course]["phase"] == phase
        page = staff.get(f"/api/grade_freeze/status/{course}/").content.decode()
        assert re.findall(r'data-state="(\w+)"', page) == [phase]
        assert dashboard_section(course)["phase"] == phase
        assert rows[course]["PHASE"] == phase
        assert re.search(rf'{re.escape(course)}</a></th><td class="field-freeze_state">{phase}\b', admin_page)


def test_about_to_freeze_means_the_same_everywhere(courses, staff, django_capture_on_commit_callbacks):
    soon = "course-v1:PhaseX+Soon+2026"  # freezes in 3 days
    publish(soon, NOW - timedelta(days=27), time=NOW - timedelta(days=50))
    expected = sorted([courses["open"], soon])  # the error course has a platform-rule date too: not a promise

    assert [str(course.course_key) for course in api.list_courses(upcoming_days=30)] == expected
    listed = staff.get("/api/grade_freeze/v1/courses/?upcoming_days=30").json()["results"]
    assert [entry["course_id"] for entry in listed] == expected
    assert sorted(command_rows("--upcoming", "30")) == expected
    admin = staff.get(reverse("admin:openedx_grade_freeze_coursefreezeoverview_changelist"), {"upcoming_days": "30"})
    assert sorted(str(row.course_key) for row in admin.context["cl"].result_list) == expected
    with django_capture_on_commit_callbacks(execute=True):
        assert sorted(str(key) for key in announce_upcoming_freezes(days=30)) == expected
    assert [str(course.course_key) for course in api.list_courses(upcoming_days=5)] == [soon]


def test_every_surface_reports_the_same_credentials_counts(courses, staff):
    """Issue 19.10: a certificate-date delivery counted by the REST API and the page but not by the command."""
    course = CourseKey.from_string(courses["frozen"])
    CredentialsDelivery.objects.create(kind="grade", course_key=course, user_id=5, status="failed")
    CredentialsDelivery.objects.create(kind="grade", course_key=course, user_id=6, status="pending")
    CredentialsDelivery.objects.create(kind="certificate_date", course_key=course, certificate_type="verified",
                                       status="pending")
    CredentialsDelivery.objects.create(kind="grade", course_key=course, user_id=7, status="sent")

    detail = staff.get(f"/api/grade_freeze/v1/courses/{course}/").json()
    page = staff.get(f"/api/grade_freeze/status/{course}/").content.decode()
    page_counts = re.search(r"(\d+) waiting to be sent, (\d+) failed", page).groups()
    row = command_rows(str(course))[str(course)]

    assert (detail["credentials_deliveries_pending"], detail["credentials_deliveries_failed"]) == (2, 1)
    assert page_counts == ("2", "1")
    assert (row["CREDENTIALS PENDING"], row["CREDENTIALS FAILED"]) == ("2", "1")


def test_one_unknown_course_error():
    with pytest.raises(api.UnknownCourseError, match="course-v1:PhaseX.Nowhere.2026"):
        api.get_course_status("course-v1:PhaseX+Nowhere+2026")
    with pytest.raises(api.UnknownCourseError, match="Nowhere"):
        api.list_courses(["course-v1:PhaseX+Nowhere+2026"])
    assert status.UnknownCourseError is api.UnknownCourseError
    defined = [path for path in PACKAGE.rglob("*.py")
               if any(isinstance(node, ast.ClassDef) and node.name == "UnknownCourseError"
                      for node in ast.walk(ast.parse(path.read_text())))]
    assert [str(path.relative_to(PACKAGE)) for path in defined] == ["exceptions.py"]


# -- Each surface reads the phase from the one status function ---------------------------------------------------

SURFACES = [
    "views.py", "dashboard.py", "rest_api/v1/serializers.py", "rest_api/v1/views.py",
    "management/commands/grade_freeze_status.py", "upcoming.py", "admin/overview.py",
]
TEMPLATE = "templates/openedx_grade_freeze/course_status.html"
# What deciding a phase by hand looks like: reading the policy's state directly, or its raw flags.
_DECIDING = {"get_freeze_state", "frozen_at", "state_with_schedule", "enabled", "error"}


def _decides_by_hand(path):
    """The policy reads and flags a module uses to tell a course's phase itself (names of attributes or calls)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Attribute) and node.attr in _DECIDING and getattr(node.value, "attr", "") == "state":
            found.add(f"state.{node.attr}")
        elif isinstance(node, ast.Attribute) and node.attr in ("get_freeze_state", "frozen_at", "state_with_schedule"):
            found.add(node.attr)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in (
                "state.frozen", "state.enabled", "state.error", "state.freeze_date", "state.source"):
            found.add(node.value)  # a serializer's ``source=``
    return found


@pytest.mark.parametrize("surface", SURFACES)
def test_each_surface_reads_the_phase_from_the_status(surface):
    path = PACKAGE / surface
    assert _decides_by_hand(path) == set()
    text = path.read_text()
    assert re.search(r"\b(get_course_status|list_courses|PHASES|phase)\b", text)


def test_the_status_page_template_reads_the_phase():
    text = (PACKAGE / TEMPLATE).read_text()
    assert re.findall(r"state\.(frozen|enabled|error|freeze_date|source)\b", text) == []
    assert set(re.findall(r'status\.phase [=!]= "(\w+)"', text)) == {"error", "frozen", "off", "undated"}


def test_the_check_finds_a_phase_decided_by_hand(tmp_path):
    """The check can fail: code that reads the policy's flags itself is found."""
    sample = tmp_path / "sample.py"
    sample.write_text(
        "state = api.get_freeze_state(key)\n"
        "label = 'frozen' if report.state.frozen else 'off' if not report.state.enabled else 'open'\n"
        "frozen = serializers.BooleanField(source='state.frozen')\n"
    )
    assert _decides_by_hand(sample) == {"get_freeze_state", "state.frozen", "state.enabled"}


@pytest.mark.parametrize("days", ["36501", "99999999999999999999"])
def test_an_about_to_freeze_window_beyond_a_century_is_refused_everywhere(courses, staff, days):
    assert staff.get(f"/api/grade_freeze/v1/courses/?upcoming_days={days}").status_code == 400
    with pytest.raises(CommandError, match="--upcoming must be from 0 to 36500 days"):
        command_rows("--upcoming", days)
    admin = staff.get(reverse("admin:openedx_grade_freeze_coursefreezeoverview_changelist"), {"upcoming_days": days})
    assert admin.status_code == 302 and admin["Location"].endswith("?e=1")


def test_every_surface_shows_the_same_learner_exceptions(courses, staff, lms):  # pylint: disable=unused-argument
    """Issue 16: the exceptions of a course are one property of its status, shown alike everywhere."""
    from tests.snapshot_support import enroll, make_users  # pylint: disable=import-outside-toplevel

    course = courses["frozen"]
    ada, bob, cy = make_users(["ada", "bob", "cy"])
    enroll(course, [ada.pk, bob.pk, cy.pk])
    requester = UserFactory(username="requester", is_staff=True)
    api.grant_learner_exceptions(course, [ada, bob], reason="Appeals", until=NOW + timedelta(days=3))
    api.request_learner_exception(course, cy, reason="Appeal", user=requester)

    detail = staff.get(f"/api/grade_freeze/v1/courses/{course}/").json()
    page = " ".join(staff.get(f"/api/grade_freeze/status/{course}/").content.decode().split())
    row = command_rows(course)[course]
    section = dashboard_section(course)

    assert [item["username"] for item in detail["open_exceptions"]] == ["ada", "bob"]
    assert [item["status"] for item in detail["learner_exceptions"]["current"]] == ["open", "open", "requested"]
    assert set(re.findall(r'data-exception="(\d+)"', page)) == {str(item["id"]) for item in detail["open_exceptions"]}
    assert "except the grades of the 2 learners with an exception in force" in page
    assert "Waiting for approval" in page and "cy until" in page
    assert (row["EXCEPTIONS OPEN"], row["WAITING APPROVAL"], row["EXCEPTIONS CLOSED"]) == ("2", "1", "0")
    assert section["exceptions"] == "2 learners have an exception in force; 1 request waits for approval."
    assert dashboard_section(courses["open"])["exceptions"] == "No learner has an exception to the freeze."
