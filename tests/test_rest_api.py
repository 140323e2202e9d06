"""
The REST API: who may read and change what (session and JWT), each filter of the list, and its OpenAPI description.
"""
import json
from datetime import datetime, timedelta, timezone

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from opaque_keys.edx.keys import CourseKey
from openapi_spec_validator import validate

from openedx_grade_freeze.models import (
    DELIVERY_FAILED,
    DELIVERY_PENDING,
    DELIVERY_SENT,
    BlockedGradeUpdates,
    CourseFreezeOverride,
    CredentialsDelivery,
    FreezeConfigChange,
    OrgFreezeOverride,
)
from openedx_grade_freeze.tracking import CONFIG_CHANGED
from tests.conftest import events_named
from tests.credentials_server import FakeCredentialsServer
from tests.events import publish
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NOW = datetime.now(timezone.utc)
OPEN = "course-v1:ApiX+Open+2026"  # ended 5 days ago: freezes in 25 days
FROZEN = "course-v1:ApiX+Frozen+2026"  # ended 40 days ago: frozen for 10 days
SOON = "course-v1:ApiY+Soon+2026"  # ended 27 days ago: freezes in 3 days
UNKNOWN = "course-v1:ApiX+Nowhere+2026"


def url(course_id, suffix=""):
    return f"/api/grade_freeze/v1/courses/{course_id}/{suffix}"


@pytest.fixture(autouse=True)
def courses(platform_standins):
    start = NOW - timedelta(days=200)
    publish(OPEN, NOW - timedelta(days=5), time=NOW - timedelta(days=5), start=start)
    publish(FROZEN, NOW - timedelta(days=40), time=NOW - timedelta(days=40), start=start)
    publish(SOON, NOW - timedelta(days=27), time=NOW - timedelta(days=27), start=start)


def roles():
    from common.djangoapps.student import roles as platform_roles  # pylint: disable=import-outside-toplevel

    return platform_roles


def logged_in(user):
    client = Client()
    client.force_login(user)
    return client


def jwt_for(username, **claims):
    """A JWT signed as the LMS signs them (the host's JWT_AUTH), built with the fake Credentials server's helper."""
    from django.conf import settings  # pylint: disable=import-outside-toplevel

    issuer = settings.JWT_AUTH["JWT_ISSUERS"][0]
    signer = FakeCredentialsServer(
        jwt_secret=issuer["SECRET_KEY"], jwt_issuer=issuer["ISSUER"], jwt_audience=issuer["AUDIENCE"]
    )
    return signer.make_jwt(username, **claims)


def jwt_client(token):
    return Client(HTTP_AUTHORIZATION=f"JWT {token}")


# -- reading one course ------------------------------------------------------------------------------------------

def test_anonymous_callers_must_authenticate(client):
    response = client.get(url(OPEN))
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("JWT")


def test_a_learner_is_refused():
    learner = UserFactory(username="learner")
    assert logged_in(learner).get(url(OPEN)).status_code == 403


@pytest.mark.parametrize("role", ["CourseStaffRole", "CourseLimitedStaffRole", "CourseInstructorRole"])
def test_the_course_team_reads_its_course(role):
    member = UserFactory(username=f"team-{role}")
    getattr(roles(), role)(CourseKey.from_string(OPEN)).add_users(member)

    response = logged_in(member).get(url(OPEN))

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["course_id"] == OPEN and body["frozen"] is False and body["days_until_freeze"] == 25
    assert body["status_page_url"].endswith(f"/api/grade_freeze/status/{OPEN}/")


def test_the_course_team_of_another_course_is_refused():
    member = UserFactory(username="other-team")
    roles().CourseStaffRole(CourseKey.from_string(FROZEN)).add_users(member)
    roles().CourseBetaTesterRole(CourseKey.from_string(OPEN)).add_users(member)
    assert logged_in(member).get(url(OPEN)).status_code == 403


def test_an_inactive_course_staff_member_is_refused():
    member = UserFactory(username="left-the-team")
    roles().CourseStaffRole(CourseKey.from_string(OPEN)).add_users(member)
    member.is_active = False
    member.save()
    # 403 in the LMS, whose backends keep inactive users' sessions; 401 with Django's default backend (the host).
    assert logged_in(member).get(url(OPEN)).status_code in (401, 403)


def test_global_staff_read_a_frozen_course_with_its_consequences():
    staff = UserFactory(username="ops", is_staff=True)
    key = CourseKey.from_string(FROZEN)
    BlockedGradeUpdates.objects.create(course_key=key, source="grades.tasks", total=7, last_reported=NOW)
    BlockedGradeUpdates.objects.create(course_key=key, source="gradebook", total=2, last_reported=NOW)
    for number, state in enumerate([DELIVERY_PENDING, DELIVERY_PENDING, DELIVERY_FAILED, DELIVERY_SENT]):
        CredentialsDelivery.objects.create(kind="grade", course_key=key, user_id=number + 1, status=state)

    body = logged_in(staff).get(url(FROZEN)).json()

    assert body["frozen"] is True and body["enabled"] is True
    assert body["freeze_date"].startswith((NOW - timedelta(days=10)).date().isoformat())
    assert body["offset_days"] == 30 and body["explicit_freeze_date"] is False
    assert body["deciding_layer"] == "Django settings: course end + 30 days"
    assert body["configuration_error"] == "" and body["days_until_freeze"] is None
    assert body["refused_updates_total"] == 9
    assert [(item["source"], item["total"]) for item in body["refused_updates"]] == [
        ("gradebook", 2), ("grades.tasks", 7)
    ]
    assert (body["credentials_deliveries_pending"], body["credentials_deliveries_failed"]) == (2, 1)


def test_a_misspelt_site_setting_is_left_out():
    from openedx.core.djangoapps.site_configuration import helpers  # pylint: disable=import-outside-toplevel

    helpers.set_value_for_org("ApiX", "GRADE_FREEZE", {"OFFSET_DAYS": "thirty"})
    body = logged_in(UserFactory(username="ops", is_staff=True)).get(url(OPEN)).json()

    assert body["configuration_error"] == "" and body["on_error"] is None
    assert body["deciding_layer"] == "Django settings: course end + 30 days"


def test_a_policy_that_cannot_be_evaluated_is_reported_with_the_fallback(break_site_configuration):
    break_site_configuration("ApiX")
    staff = logged_in(UserFactory(username="ops", is_staff=True))

    frozen, still_open = staff.get(url(FROZEN)).json(), staff.get(url(OPEN)).json()

    # edx-platform's own rule (course end + 30 days) decides meanwhile, and the answer says so.
    assert (frozen["frozen"], frozen["on_error"]) == (True, "platform-rule")
    assert (still_open["frozen"], still_open["on_error"]) == (False, "platform-rule")
    assert "site configuration of ApiX unreadable" in frozen["configuration_error"]
    listed = staff.get(f"{LIST}?org=ApiX").json()["results"]
    assert {item["on_error"] for item in listed} == {"platform-rule"}
    assert all("unreadable" in item["configuration_error"] for item in listed)


def test_an_invalid_course_key_is_400_and_an_unknown_course_404():
    staff = logged_in(UserFactory(username="ops", is_staff=True))
    assert staff.get(url("not-a-course")).status_code == 400
    assert staff.get(url(UNKNOWN)).status_code == 404
    # Someone without a role learns nothing about whether the course exists.
    assert logged_in(UserFactory(username="learner")).get(url(UNKNOWN)).status_code == 403


def test_a_course_known_only_to_the_platform_is_found(platform_standins):
    from openedx.core.djangoapps.content.course_overviews.models import (  # pylint: disable=import-outside-toplevel
        CourseOverview,
    )

    CourseOverview.create(UNKNOWN, start=NOW - timedelta(days=100), end=NOW - timedelta(days=50))
    body = logged_in(UserFactory(username="ops", is_staff=True)).get(url(UNKNOWN)).json()
    assert body["frozen"] is True


def test_old_style_course_keys_work():
    old_style = "OldX/Run1/2014"
    publish(old_style, NOW - timedelta(days=45), time=NOW - timedelta(days=45))
    body = logged_in(UserFactory(username="ops", is_staff=True)).get(url(old_style)).json()
    assert body["course_id"] == old_style and body["frozen"] is True


# -- JWT ---------------------------------------------------------------------------------------------------------

def test_a_jwt_of_a_course_staff_member_reads_the_course():
    member = UserFactory(username="jwt-staff")
    roles().CourseStaffRole(CourseKey.from_string(OPEN)).add_users(member)
    response = jwt_client(jwt_for("jwt-staff", administrator=False)).get(url(OPEN))
    assert response.status_code == 200, response.content


def test_a_jwt_of_global_staff_reads_any_course_and_the_list():
    UserFactory(username="support-tool", is_staff=True)
    client = jwt_client(jwt_for("support-tool"))
    assert client.get(url(FROZEN)).json()["frozen"] is True
    assert client.get("/api/grade_freeze/v1/courses/").status_code == 200


def test_a_jwt_administrator_claim_does_not_make_a_learner_staff():
    UserFactory(username="claims-admin")
    assert jwt_client(jwt_for("claims-admin", administrator=True)).get(url(OPEN)).status_code == 403


@pytest.mark.parametrize("token", [
    lambda: jwt_for("ops", expires_in=-60),
    lambda: jwt_for("ops", secret="some-other-signing-secret-0123456789"),
    lambda: jwt_for("ops", aud="someone-else"),
])
def test_an_expired_forged_or_misaddressed_jwt_is_401(token):
    UserFactory(username="ops", is_staff=True)
    assert jwt_client(token()).get(url(OPEN)).status_code == 401


# -- the list ----------------------------------------------------------------------------------------------------

LIST = "/api/grade_freeze/v1/courses/"


def test_only_global_staff_list_courses():
    member = UserFactory(username="team")
    roles().CourseStaffRole(CourseKey.from_string(OPEN)).add_users(member)
    assert Client().get(LIST).status_code == 401
    assert logged_in(member).get(LIST).status_code == 403


@pytest.mark.parametrize("query, expected", [
    ("", [OPEN, FROZEN, SOON]),
    ("frozen=true", [FROZEN]),
    ("frozen=false", [OPEN, SOON]),
    ("upcoming_days=7", [SOON]),
    ("upcoming_days=30", [OPEN, SOON]),
    ("org=ApiY", [SOON]),
    ("org=ApiX&frozen=false", [OPEN]),
])
def test_the_list_filters(query, expected):
    body = logged_in(UserFactory(username="ops", is_staff=True)).get(f"{LIST}?{query}").json()
    assert sorted(item["course_id"] for item in body["results"]) == sorted(expected)
    assert body["count"] == len(expected)


def test_the_list_is_paginated_and_rejects_bad_filters():
    staff = logged_in(UserFactory(username="ops", is_staff=True))
    first = staff.get(f"{LIST}?page_size=2").json()
    assert first["count"] == 3 and len(first["results"]) == 2 and first["next"]
    second = staff.get(first["next"]).json()
    assert len(second["results"]) == 1 and second["next"] is None
    assert staff.get(f"{LIST}?upcoming_days=-1").status_code == 400
    assert staff.get(f"{LIST}?frozen=maybe").status_code == 400


# -- overrides ---------------------------------------------------------------------------------------------------

def override_admin(username="ops-admin", model="coursefreezeoverride"):
    user = UserFactory(username=username, is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename=f"change_{model}"))
    return user


def put(client, path, data):
    return client.put(path, json.dumps(data), content_type="application/json")


def test_a_course_override_is_saved_audited_and_tracked(tracking_events, django_capture_on_commit_callbacks):
    user = override_admin()
    client = logged_in(user)
    with django_capture_on_commit_callbacks(execute=True):
        response = put(client, url(FROZEN, "override"), {"offset_days": 60, "reason": "late proctoring appeals"})

    assert response.status_code == 200, response.content
    assert response.json()["offset_days"] == 60 and response.json()["changed_by"] == user.username
    assert client.get(url(FROZEN)).json()["frozen"] is False
    change = FreezeConfigChange.objects.get()
    assert (change.action, change.key, change.changed_by, change.reason) == (
        "created", FROZEN, user, "late proctoring appeals"
    )
    assert [event["action"] for event in events_named(tracking_events, CONFIG_CHANGED)] == ["created"]

    with django_capture_on_commit_callbacks(execute=True):
        response = client.delete(url(FROZEN, "override") + "?reason=appeals+closed")
    assert response.status_code == 204
    assert not CourseFreezeOverride.objects.exists()
    assert client.get(url(FROZEN)).json()["frozen"] is True
    assert FreezeConfigChange.objects.filter(action="deleted", reason="appeals closed", changed_by=user).exists()
    assert client.delete(url(FROZEN, "override") + "?reason=again").status_code == 404


def test_an_override_needs_a_reason_and_sane_values():
    client = logged_in(override_admin())
    assert put(client, url(OPEN, "override"), {"offset_days": 60}).json() == {"reason": ["This field is required."]}
    response = put(client, url(OPEN, "override"), {"offset_days": -3, "reason": "typo"})
    assert response.status_code == 400 and "0 days or more" in response.json()["offset_days"][0]
    response = put(client, url(OPEN, "override"), {"freeze_date": "2000-01-01T00:00:00Z", "reason": "typo"})
    assert response.status_code == 400 and "before the course start" in response.json()["freeze_date"][0]
    assert put(client, url(UNKNOWN, "override"), {"enabled": False, "reason": "x"}).status_code == 400
    api_override = put(client, url(OPEN, "override"), {"enabled": False, "reason": "pilot"})
    assert api_override.status_code == 200
    assert client.delete(url(OPEN, "override")).status_code == 400
    assert CourseFreezeOverride.objects.count() == 1 and FreezeConfigChange.objects.count() == 1


@pytest.mark.parametrize("who", ["course staff", "global staff without the permission", "anonymous"])
def test_overrides_need_global_staff_with_the_permission(who):
    if who == "anonymous":
        client, expected = Client(), 401
    elif who == "course staff":
        member = UserFactory(username="team")
        roles().CourseInstructorRole(CourseKey.from_string(OPEN)).add_users(member)
        client, expected = logged_in(member), 403
    else:
        client, expected = logged_in(UserFactory(username="ops", is_staff=True)), 403
    assert put(client, url(OPEN, "override"), {"enabled": False, "reason": "x"}).status_code == expected
    assert client.delete(url(OPEN, "override") + "?reason=x").status_code == expected
    assert put(client, "/api/grade_freeze/v1/orgs/ApiX/override", {"enabled": False, "reason": "x"}).status_code \
        == expected
    assert not CourseFreezeOverride.objects.exists() and not OrgFreezeOverride.objects.exists()


def test_a_jwt_can_change_an_override_without_csrf_but_a_session_needs_it():
    override_admin("tool")
    response = put(jwt_client(jwt_for("tool")), url(OPEN, "override"), {"enabled": False, "reason": "pilot"})
    assert response.status_code == 200, response.content

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(override_admin("browser-user"))
    assert put(browser, url(OPEN, "override"), {"enabled": True, "reason": "no token"}).status_code == 403
    assert CourseFreezeOverride.objects.get().enabled is False


def test_an_org_override_is_saved_and_deleted():
    client = logged_in(override_admin(model="orgfreezeoverride"))
    response = put(client, "/api/grade_freeze/v1/orgs/ApiX/override", {"offset_days": 0, "reason": "org policy"})
    assert response.status_code == 200, response.content
    assert OrgFreezeOverride.objects.get().offset_days == 0
    staff = logged_in(UserFactory(username="ops", is_staff=True))
    assert staff.get(url(OPEN)).json()["frozen"] is True
    assert client.delete("/api/grade_freeze/v1/orgs/ApiX/override", json.dumps({"reason": "reverted"}),
                         content_type="application/json").status_code == 204
    assert FreezeConfigChange.objects.filter(scope="org", action="deleted", reason="reverted").exists()


def test_an_org_name_longer_than_its_column_is_400_naming_the_limit():
    client = logged_in(override_admin(model="orgfreezeoverride"))
    org = "LongOrg" * 40  # 280 characters
    response = put(client, f"/api/grade_freeze/v1/orgs/{org}/override", {"offset_days": 10, "reason": "policy"})
    assert response.status_code == 400, response.content
    assert response.json() == {"org": ["An org name has at most 255 characters; this one has 280."]}
    assert not OrgFreezeOverride.objects.exists() and not FreezeConfigChange.objects.exists()


def test_a_course_key_longer_than_its_column_is_400_naming_the_limit(platform_standins):
    from openedx.core.djangoapps.content.course_overviews.models import (  # pylint: disable=import-outside-toplevel
        CourseOverview,
    )

    long_course = f"course-v1:ApiX+{'Long' * 65}+2026"  # known to the LMS, too long for the plugin's tables
    CourseOverview.create(long_course, org="ApiX", start=NOW - timedelta(days=200), end=NOW)
    client = logged_in(override_admin())
    response = put(client, url(long_course, "override"), {"offset_days": 10, "reason": "appeals"})
    assert response.status_code == 400, response.content
    assert response.json() == {"course_key": [f"A course key has at most 255 characters; this one has "
                                              f"{len(long_course)}."]}
    assert not CourseFreezeOverride.objects.exists()


@pytest.mark.parametrize("path", [url(OPEN, "override"), "/api/grade_freeze/v1/orgs/ApiX/override"])
def test_a_json_body_nested_too_deep_is_400(path):
    client = logged_in(override_admin(model="coursefreezeoverride" if "courses" in path else "orgfreezeoverride"))
    body = "[" * 50000 + "]" * 50000
    response = client.put(path, body, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"detail": "JSON parse error - the body is nested too deeply."}
    assert not CourseFreezeOverride.objects.exists() and not OrgFreezeOverride.objects.exists()


# -- OpenAPI -----------------------------------------------------------------------------------------------------

def test_the_openapi_description_validates_and_names_every_route(client):
    response = client.get("/api/grade_freeze/v1/openapi.json")

    assert response.status_code == 200
    spec = json.loads(response.content)
    validate(spec)
    assert set(spec["paths"]) == {
        "/api/grade_freeze/v1/courses/",
        "/api/grade_freeze/v1/courses/{course_id}/",
        "/api/grade_freeze/v1/courses/{course_id}/override",
        "/api/grade_freeze/v1/courses/{course_id}/refused/",
        "/api/grade_freeze/v1/courses/{course_id}/exceptions",
        "/api/grade_freeze/v1/orgs/{org}/override",
        "/api/grade_freeze/v1/exceptions/{exception_id}/",
        "/api/grade_freeze/v1/exceptions/{exception_id}/approve",
        "/api/grade_freeze/v1/exceptions/{exception_id}/close",
    }
    course = spec["paths"]["/api/grade_freeze/v1/courses/{course_id}/"]["get"]
    schema_name = course["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert "frozen" in spec["components"]["schemas"][schema_name]["properties"]
    assert set(spec["paths"]["/api/grade_freeze/v1/courses/{course_id}/override"]) == {"put", "delete"}
    assert set(spec["paths"]["/api/grade_freeze/v1/courses/{course_id}/exceptions"]) == {"post"}
    assert {"open_exceptions", "learner_exceptions"} <= set(spec["components"]["schemas"][schema_name]["properties"])
    assert {"frozen", "upcoming_days", "org", "page"} <= {
        parameter["name"] for parameter in spec["paths"]["/api/grade_freeze/v1/courses/"]["get"]["parameters"]
    }
    refused = spec["paths"]["/api/grade_freeze/v1/courses/{course_id}/refused/"]["get"]
    assert {"course_id", "page", "page_size"} <= {parameter["name"] for parameter in refused["parameters"]}


# -- final-grade snapshots ---------------------------------------------------------------------------------------

def test_the_snapshot_of_a_frozen_course_is_reported(lms):
    from openedx_grade_freeze.models import TRIGGER_COMMAND  # pylint: disable=import-outside-toplevel
    from openedx_grade_freeze.snapshots import runs  # pylint: disable=import-outside-toplevel
    from tests.snapshot_support import enroll, on_commit, store_grades  # pylint: disable=import-outside-toplevel

    staff = logged_in(UserFactory(username="ops", is_staff=True))
    assert staff.get(url(OPEN)).json()["snapshot"] == {
        "status": "none", "learners": 0, "frozen": 0, "no_grade": 0, "failed": 0
    }
    enroll(FROZEN, [11, 12, 13])
    store_grades(FROZEN, {11: (0.9, "A", True), 12: (0.4, "", False)})
    with on_commit():
        request = runs.freeze_course(FROZEN, trigger=TRIGGER_COMMAND)

    snapshot = staff.get(url(FROZEN)).json()["snapshot"]
    assert snapshot == {
        "status": f"complete (run {request.run_id})", "learners": 3, "frozen": 2, "no_grade": 1, "failed": 0
    }
    listed = {item["course_id"]: item["snapshot"] for item in staff.get(LIST).json()["results"]}
    assert listed == {FROZEN: f"complete (run {request.run_id})", OPEN: "none", SOON: "none"}
