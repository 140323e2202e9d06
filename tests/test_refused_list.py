"""
The refused list where course teams read it: 10,000 refusals of 100 learners on two write paths come out as exactly
one entry per learner and path, with the right counts, on the status page, through
``GET /api/grade_freeze/v1/courses/{course_id}/refused/`` and in the CSV download; the course's staff read them,
learners and other courses' staff do not.
"""
import csv
import io
from datetime import datetime, timedelta, timezone

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from opaque_keys.edx.keys import CourseKey

from openedx_grade_freeze import blocked
from openedx_grade_freeze.filters import GradePersistenceRequested
from tests.events import publish
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NOW = datetime.now(timezone.utc)
FROZEN = "course-v1:ListX+Frozen+2025"
OTHER = "course-v1:ListX+Other+2025"
PATHS = ("PersistentSubsectionGrade.update_or_create_grade", "CourseGradeFactory.update")


def api_url(course_id):
    return f"/api/grade_freeze/v1/courses/{course_id}/refused/"


def csv_url(course_id):
    return f"/api/grade_freeze/status/{course_id}/refused.csv"


def page_url(course_id):
    return f"/api/grade_freeze/status/{course_id}/"


@pytest.fixture(autouse=True)
def courses(platform_standins):  # pylint: disable=unused-argument
    blocked.local_counts.clear()
    for course in (FROZEN, OTHER):
        publish(course, NOW - timedelta(days=60), time=NOW - timedelta(days=60))
    yield
    blocked.local_counts.clear()


def team_member(course_id, username):
    from common.djangoapps.student.roles import CourseStaffRole  # pylint: disable=import-outside-toplevel

    user = UserFactory(username=username)
    CourseStaffRole(CourseKey.from_string(course_id)).add_users(user)
    return user


def logged_in(user):
    client = Client()
    client.force_login(user)
    return client


def refuse(user_id, source, course=FROZEN):
    with pytest.raises(GradePersistenceRequested.PreventGradePersistence):
        GradePersistenceRequested.run_filter(course, user_id=user_id, source=source)


@pytest.fixture(name="learners")
def fixture_learners():
    """100 learners, each refused 50 times on each of two write paths (10,000 refusals), then the periodic flush."""
    get_user_model().objects.bulk_create([get_user_model()(username=f"learner-{number:03d}") for number in range(100)])
    users = list(get_user_model().objects.filter(username__startswith="learner-").order_by("pk"))
    for _ in range(50):
        for user in users:
            for source in PATHS:
                refuse(user.pk, source)
    blocked.flush_blocked_counts()
    return users


def expected_entries(users):
    return sorted((user.pk, user.username, source, 50) for user in users for source in PATHS)


def test_the_rest_endpoint_pages_through_one_entry_per_learner_and_path(learners):
    client = logged_in(team_member(FROZEN, "teacher"))
    entries, url = [], api_url(FROZEN) + "?page_size=100"
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content
        body = response.json()
        assert body["count"] == 200
        entries += body["results"]
        url = body["next"]
    assert sorted((e["user_id"], e["username"], e["source"], e["count"]) for e in entries) == \
        expected_entries(learners)
    assert all(NOW <= datetime.fromisoformat(e["first_refused"]) <= datetime.fromisoformat(e["last_refused"])
               for e in entries)
    assert client.get(api_url(OTHER)).status_code == 403  # staff of this course only


def test_the_csv_holds_the_whole_list(learners):
    response = logged_in(team_member(FROZEN, "teacher")).get(csv_url(FROZEN))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == \
        'attachment; filename="refused-learners-course-v1_ListX_Frozen_2025.csv"'
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert sorted((int(r["user_id"]), r["username"], r["source"], int(r["count"])) for r in rows) == \
        expected_entries(learners)
    assert {r["course_id"] for r in rows} == {FROZEN}
    assert all(r["first_refused"] <= r["last_refused"] for r in rows)


def test_the_status_page_shows_who_was_refused_last_and_links_the_csv(learners):
    page = " ".join(logged_in(team_member(FROZEN, "teacher")).get(page_url(FROZEN)).content.decode().split())
    assert "The freeze refused grade changes of 100 learners." in page
    assert "The 20 refused last are listed here; the whole list, with user ids, is in" in page
    assert f'href="{csv_url(FROZEN)}"' in page
    listed = page.split('id="refused-learners"')[1].split("</table>")[0]
    assert listed.count("<tr>") == 1 + 20  # the header and the 20 refused last
    assert any(user.username in listed for user in learners)


def test_the_course_status_counts_the_refused_learners(learners):  # pylint: disable=unused-argument
    body = logged_in(UserFactory(username="ops", is_staff=True)).get(
        f"/api/grade_freeze/v1/courses/{FROZEN}/"
    ).json()
    assert body["refused_learners"] == 100
    assert body["refused_learners_url"] == f"http://testserver{api_url(FROZEN)}"


@pytest.mark.parametrize("who, status", [
    ("anonymous", (401, 302)),
    ("learner", (403, 403)),
    ("other course's staff", (403, 403)),
    ("global staff", (200, 200)),
])
def test_who_reads_the_list(who, status):
    refuse(7, PATHS[0])
    blocked.flush_blocked_counts()
    client = {
        "anonymous": Client,
        "learner": lambda: logged_in(UserFactory(username="learner")),
        "other course's staff": lambda: logged_in(team_member(OTHER, "other-teacher")),
        "global staff": lambda: logged_in(UserFactory(username="ops", is_staff=True)),
    }[who]()
    api_response, csv_response = client.get(api_url(FROZEN)), client.get(csv_url(FROZEN))
    assert (api_response.status_code, csv_response.status_code) == status
    if who != "global staff":
        assert b"user_id" not in api_response.content and b"user_id" not in csv_response.content


def test_bad_and_unknown_courses():
    client = logged_in(UserFactory(username="ops", is_staff=True))
    assert client.get(api_url("not-a-course")).status_code == 400
    assert client.get(api_url("course-v1:ListX+Nowhere+2025")).status_code == 404
    assert client.get(csv_url("course-v1:ListX+Nowhere+2025")).status_code == 404
    assert client.get(csv_url("not-a-course")).status_code == 404


def test_an_empty_list():
    client = logged_in(team_member(FROZEN, "teacher"))
    assert client.get(api_url(FROZEN)).json()["results"] == []
    assert b"".join(client.get(csv_url(FROZEN)).streaming_content).decode().splitlines() == [
        "course_id,user_id,username,source,count,first_refused,last_refused"
    ]
    assert "The freeze has refused no learner's grade change" in " ".join(
        client.get(page_url(FROZEN)).content.decode().split()
    )


def test_a_cell_a_spreadsheet_would_run_as_a_formula_is_quoted():
    user = get_user_model().objects.create(username="=HYPERLINK(1)")
    refuse(user.pk, PATHS[0])
    blocked.flush_blocked_counts()
    content = b"".join(logged_in(team_member(FROZEN, "teacher")).get(csv_url(FROZEN)).streaming_content).decode()
    (row,) = list(csv.DictReader(io.StringIO(content)))
    assert row["username"] == "'=HYPERLINK(1)"


def test_a_learner_no_longer_in_the_user_table_is_listed_by_user_id():
    refuse(424242, PATHS[0])
    blocked.flush_blocked_counts()
    body = logged_in(team_member(FROZEN, "teacher")).get(api_url(FROZEN)).json()
    assert [(e["user_id"], e["username"]) for e in body["results"]] == [(424242, "")]
    assert ">424242</td>" in logged_in(team_member(FROZEN, "teacher2")).get(page_url(FROZEN)).content.decode()


def test_operators_find_a_learners_refusals_in_django_admin():
    refuse(31, PATHS[0])
    refuse(32, PATHS[1])
    blocked.flush_blocked_counts()
    admin = logged_in(UserFactory(username="root", is_staff=True, is_superuser=True))
    page = admin.get("/admin/openedx_grade_freeze/learnerrefusals/?q=31").content.decode()
    assert FROZEN in page and PATHS[0] in page and PATHS[1] not in page
    assert admin.get("/admin/openedx_grade_freeze/learnerrefusals/add/").status_code == 403  # a record, not a form
    by_course = admin.get(f"/admin/openedx_grade_freeze/learnerrefusals/?q={FROZEN}").content.decode()
    assert PATHS[0] in by_course and PATHS[1] in by_course  # a course id is no user id: searched by course only
