"""
The admin's course freeze overview: state, freeze date and deciding layer per course, filterable.
"""
from datetime import datetime, timedelta, timezone

import pytest
from django.urls import reverse

from openedx_grade_freeze import api
from tests.events import publish
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NOW = datetime.now(timezone.utc)
OPEN = "course-v1:OverX+Open+2026"  # freezes in 25 days
SOON = "course-v1:OverX+Soon+2026"  # freezes in 3 days
FROZEN = "course-v1:OverX+Frozen+2026"
OFF = "course-v1:OverX+Off+2026"
BROKEN = "course-v1:BadX+Broken+2026"
URL = reverse("admin:openedx_grade_freeze_coursefreezeoverview_changelist")


@pytest.fixture
def staff_client(client, break_site_configuration):
    for course, ended in ((OPEN, 5), (SOON, 27), (FROZEN, 40), (OFF, 40), (BROKEN, 40)):
        publish(course, NOW - timedelta(days=ended), time=NOW - timedelta(days=ended))
    api.set_course_override(OFF, enabled=False, reason="pilot")
    break_site_configuration("BadX")
    client.force_login(UserFactory(username="ops", is_staff=True, is_superuser=True))
    return client


def listed(client, query=""):
    response = client.get(f"{URL}?{query}")
    assert response.status_code == 200
    return sorted(row.course_key for row in response.context["cl"].result_list), response.content.decode()


def test_every_course_is_listed_with_its_state_and_deciding_layer(staff_client):
    courses, page = listed(staff_client)
    assert [str(course) for course in courses] == sorted([OPEN, SOON, FROZEN, OFF, BROKEN])
    assert "course override: freeze turned off" in page
    assert "Final-grade snapshot" in page and page.count('<td class="field-snapshot">none</td>') == 5
    assert "Django settings: course end + 30 days" in page
    assert "error (frozen by GRADE_FREEZE_ON_ERROR): RuntimeError: site configuration of BadX unreadable" in page


@pytest.mark.parametrize("query, expected", [
    ("freeze_state=frozen", [FROZEN]),
    ("freeze_state=open", [OPEN, SOON]),
    ("freeze_state=off", [OFF]),
    ("freeze_state=error", [BROKEN]),
    ("upcoming_days=7", [SOON]),
    ("upcoming_days=30", [OPEN, SOON]),
    ("upcoming_days=30&freeze_state=frozen", []),
])
def test_the_overview_filters(staff_client, query, expected):
    courses, _ = listed(staff_client, query)
    assert [str(course) for course in courses] == sorted(expected)


def test_the_overview_is_read_only(staff_client):
    response = staff_client.get(reverse("admin:openedx_grade_freeze_coursefreezeoverview_add"))
    assert response.status_code == 403


@pytest.mark.parametrize("bad", ["abc", "99999999999999999999", "-1", "36501"])
def test_a_bad_upcoming_window_is_djangos_invalid_lookup_not_an_error(staff_client, bad):
    response = staff_client.get(f"{URL}?upcoming_days={bad}")
    assert (response.status_code, response["Location"]) == (302, f"{URL}?e=1")
    assert staff_client.get(response["Location"]).status_code == 200
