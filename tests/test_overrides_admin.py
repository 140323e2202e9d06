"""
Override admin pages for staff, and the audit trail and tracking event every change leaves.
"""
from datetime import datetime, timedelta, timezone

import pytest
from django.urls import reverse

from openedx_grade_freeze import api
from openedx_grade_freeze.models import CourseFreezeOverride, FreezeConfigChange, OrgFreezeOverride
from openedx_grade_freeze.tracking import CONFIG_CHANGED
from tests.conftest import events_named
from tests.events import publish
from tests.factories import UserFactory

COURSE = "course-v1:AdminX+A1+2026"
NOW = datetime.now(timezone.utc)

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    user = UserFactory(username="ops", is_staff=True, is_superuser=True)
    client.force_login(user)
    client.user = user
    return client


@pytest.fixture(autouse=True)
def course():
    publish(COURSE, NOW - timedelta(days=10), time=NOW - timedelta(days=10), start=NOW - timedelta(days=100))


def test_override_changes_are_audited_and_tracked(tracking_events, django_capture_on_commit_callbacks):
    user = UserFactory(username="teamlead")
    with django_capture_on_commit_callbacks(execute=True):
        api.set_course_override(COURSE, offset_days=60, reason="proctoring appeals", user=user)
    with django_capture_on_commit_callbacks(execute=True):
        api.set_course_override(COURSE, offset_days=90, reason="more appeals", user=user)
    with django_capture_on_commit_callbacks(execute=True):
        assert api.delete_course_override(COURSE, reason="appeals closed", user=user) is True

    audit = list(FreezeConfigChange.objects.order_by("created", "id").values_list("action", "changed_by", "reason"))
    assert audit == [
        ("created", user.id, "proctoring appeals"),
        ("changed", user.id, "more appeals"),
        ("deleted", user.id, "appeals closed"),
    ]
    events = events_named(tracking_events, CONFIG_CHANGED)
    assert [(event["action"], event["scope"], event["key"]) for event in events] == [
        ("created", "course", COURSE), ("changed", "course", COURSE), ("deleted", "course", COURSE)
    ]
    assert events[1]["before"]["offset_days"] == 60 and events[1]["after"]["offset_days"] == 90
    assert events[1]["changed_by_user_id"] == user.id


def test_admin_pages_render_for_staff(staff_client):
    api.set_org_override("AdminX", offset_days=10, reason="org policy")
    for name in (
        "admin:openedx_grade_freeze_courseschedule_changelist",
        "admin:openedx_grade_freeze_courseenddatechange_changelist",
        "admin:openedx_grade_freeze_coursefreezeoverride_changelist",
        "admin:openedx_grade_freeze_coursefreezeoverride_add",
        "admin:openedx_grade_freeze_orgfreezeoverride_changelist",
        "admin:openedx_grade_freeze_freezeconfigchange_changelist",
    ):
        assert staff_client.get(reverse(name)).status_code == 200, name
    override = OrgFreezeOverride.objects.get()
    url = reverse("admin:openedx_grade_freeze_orgfreezeoverride_change", args=[override.pk])
    assert staff_client.get(url).status_code == 200


def test_admin_saves_a_course_override_with_audit(staff_client, tracking_events, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(reverse("admin:openedx_grade_freeze_coursefreezeoverride_add"), {
            "course_key": COURSE,
            "enabled": "",
            "offset_days": "45",
            "freeze_date_0": "",
            "freeze_date_1": "",
            "reason": "Proctoring appeals run past end + 30",
        })

    assert response.status_code == 302, response.content
    override = CourseFreezeOverride.objects.get()
    assert (override.offset_days, override.enabled, override.changed_by) == (45, None, staff_client.user)
    assert FreezeConfigChange.objects.get().changed_by == staff_client.user
    assert events_named(tracking_events, CONFIG_CHANGED)[0]["after"]["offset_days"] == 45
    assert api.get_freeze_state(COURSE).offset_days == 45


@pytest.mark.parametrize("values,message", [
    ({"offset_days": "-3"}, "0 days or more"),
    ({"freeze_date_0": "2000-01-01", "freeze_date_1": "00:00:00"}, "before the course start"),
    ({"course_key": "course-v1:Ghost+G1+2026"}, "Unknown course"),
    ({"course_key": "garbage"}, "garbage"),
])
def test_admin_refuses_bad_values_with_a_clear_message(staff_client, values, message):
    form = {"course_key": COURSE, "enabled": "", "offset_days": "", "freeze_date_0": "", "freeze_date_1": "",
            "reason": "testing", **values}
    response = staff_client.post(reverse("admin:openedx_grade_freeze_coursefreezeoverride_add"), form)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not CourseFreezeOverride.objects.exists()
    assert not FreezeConfigChange.objects.exists()


def test_admin_delete_is_audited(staff_client):
    override = api.set_org_override("AdminX", enabled=False, reason="pilot")
    url = reverse("admin:openedx_grade_freeze_orgfreezeoverride_delete", args=[override.pk])
    assert staff_client.post(url, {"post": "yes"}).status_code == 302
    assert not OrgFreezeOverride.objects.exists()
    assert FreezeConfigChange.objects.filter(action="deleted", key="AdminX", changed_by=staff_client.user).exists()


OTHER = "course-v1:AdminX+A2+2026"


def test_admin_cannot_move_a_course_override_to_another_course(staff_client):
    publish(OTHER, NOW - timedelta(days=10), time=NOW - timedelta(days=10), start=NOW - timedelta(days=100))
    override = api.set_course_override(COURSE, offset_days=60, reason="appeals")
    url = reverse("admin:openedx_grade_freeze_coursefreezeoverride_change", args=[override.pk])
    response = staff_client.post(url, {
        "course_key": OTHER, "enabled": "", "offset_days": "45", "freeze_date_0": "", "freeze_date_1": "",
        "reason": "longer appeals",
    })

    assert response.status_code == 302, response.content
    # The course key is fixed once the override exists: the edit changes this course's override, and no copy of
    # it is left behind (or silently created) for another course.
    assert list(CourseFreezeOverride.objects.values_list("course_key", "offset_days")) == [
        (override.course_key, 45)
    ]
    assert list(FreezeConfigChange.objects.order_by("id").values_list("key", "action")) == [
        (COURSE, "created"), (COURSE, "changed")
    ]


def test_admin_cannot_move_an_org_override_to_another_org(staff_client):
    override = api.set_org_override("AdminX", offset_days=10, reason="org policy")
    url = reverse("admin:openedx_grade_freeze_orgfreezeoverride_change", args=[override.pk])
    response = staff_client.post(url, {"org": "OtherX", "enabled": "", "offset_days": "20", "reason": "longer"})

    assert response.status_code == 302, response.content
    assert list(OrgFreezeOverride.objects.values_list("org", "offset_days")) == [("AdminX", 20)]


def test_admin_validates_an_edited_course_override_against_its_course(staff_client):
    override = api.set_course_override(COURSE, offset_days=60, reason="appeals")
    url = reverse("admin:openedx_grade_freeze_coursefreezeoverride_change", args=[override.pk])
    response = staff_client.post(url, {
        "enabled": "", "offset_days": "", "freeze_date_0": "2000-01-01", "freeze_date_1": "00:00:00",
        "reason": "typo",
    })

    assert response.status_code == 200
    assert "before the course start" in response.content.decode()
    assert CourseFreezeOverride.objects.get().offset_days == 60


def test_admin_refuses_a_second_override_for_the_same_course(staff_client):
    api.set_course_override(COURSE, offset_days=60, reason="appeals")
    response = staff_client.post(reverse("admin:openedx_grade_freeze_coursefreezeoverride_add"), {
        "course_key": COURSE, "enabled": "", "offset_days": "5", "freeze_date_0": "", "freeze_date_1": "",
        "reason": "duplicate",
    })

    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    assert CourseFreezeOverride.objects.get().offset_days == 60
