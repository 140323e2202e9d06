"""
Learner exceptions asked for and given (issue 16 items 1 and 5): requested by course staff, approved by another person,
self-approval refused, opened at once when the approval step is dropped, granted directly by command (30 learners
from a CSV) and in Django admin, closed and revoked; each audited and tracked. Every bad input is refused with no row
written.
"""
import csv
import json
from datetime import datetime, timedelta, timezone
from io import StringIO

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from opaque_keys.edx.keys import CourseKey

from openedx_grade_freeze import api, tracking
from openedx_grade_freeze.models import CourseSchedule, LearnerException, LearnerExceptionChange
from tests.factories import UserFactory
from tests.snapshot_support import enroll, make_users, past_freeze_date, store_grades

COURSE = "course-v1:ExcX+Appeal+2026"
UTC = timezone.utc
EXCEPTION_EVENTS = (tracking.EXCEPTION_REQUESTED, tracking.EXCEPTION_APPROVED, tracking.EXCEPTION_CLOSED)

# Committed transactions, as in production: the tracking events are emitted once each change commits.
pytestmark = pytest.mark.django_db(transaction=True)


def now():
    return datetime.now(UTC)


def roles():
    from common.djangoapps.student import roles as platform_roles  # pylint: disable=import-outside-toplevel

    return platform_roles


@pytest.fixture(name="people")
def fixture_people(lms):  # pylint: disable=unused-argument
    """A frozen course with learners ada and bob (graded) and cy (enrolled, no grade); its instructor; global staff;
    an approver by group permission; a stranger who never took the course."""
    past_freeze_date(COURSE)
    ada, bob, cy, stranger = make_users(["ada", "bob", "cy", "stranger"])
    enroll(COURSE, [ada.pk, bob.pk, cy.pk])
    store_grades(COURSE, {ada.pk: (0.45, "", False), bob.pk: (0.8, "B", True)})
    instructor = UserFactory(username="instructor")
    roles().CourseInstructorRole(CourseKey.from_string(COURSE)).add_users(instructor)
    ops = UserFactory(username="ops", is_staff=True)
    approver = UserFactory(username="registrar")
    group = Group.objects.create(name="Grade exception approvers")
    group.permissions.add(Permission.objects.get(codename="approve_learnerexception"))
    approver.groups.add(group)
    return {"ada": ada, "bob": bob, "cy": cy, "stranger": stranger, "instructor": instructor, "ops": ops,
            "approver": approver}


def logged_in(user):
    client = Client()
    client.force_login(user)
    return client


def post(client, path, body):
    return client.post(f"/api/grade_freeze/v1/{path}", json.dumps(body), content_type="application/json")


def exceptions_path(course_id=COURSE):
    return f"courses/{course_id}/exceptions"


def nothing_written():
    return not LearnerException.objects.exists() and not LearnerExceptionChange.objects.exists()


def exception_events(events):
    return [(event["name"].rsplit(".", 1)[-1], event["data"]) for event in events if event["name"] in EXCEPTION_EVENTS]


def test_requested_by_course_staff_approved_by_another_person_self_approval_refused(people, tracking_events):
    ada, bob, instructor, ops, approver = (people[name] for name in ("ada", "bob", "instructor", "ops", "approver"))
    teacher = logged_in(instructor)
    until = (now() + timedelta(days=5)).replace(microsecond=0)

    requested = post(teacher, exceptions_path(), {"user": "ada", "until": until.isoformat(), "reason": "Appeal upheld"})

    assert requested.status_code == 201, requested.content
    record = requested.json()
    assert (record["user_id"], record["username"], record["status"], record["requested_by"]) == (
        ada.pk, "ada", "requested", "instructor")
    assert record["closes_at"] == until.isoformat().replace("+00:00", "Z")
    assert api.are_grades_frozen(COURSE, user_id=ada.pk) is True  # nothing opens before approval

    # The instructor cannot approve; neither can global staff approve their own request.
    assert post(teacher, f"exceptions/{record['id']}/approve", {}).status_code == 403
    own = post(logged_in(ops), exceptions_path(), {"user_id": bob.pk, "reason": "Proctoring review"}).json()
    refused = post(logged_in(ops), f"exceptions/{own['id']}/approve", {"reason": "fine by me"})
    assert refused.status_code == 403 and "another person must approve it" in refused.json()["detail"]
    assert LearnerException.objects.get(pk=own["id"]).status == "requested"
    assert not LearnerExceptionChange.objects.filter(exception_id=own["id"], action="approved").exists()

    # Another person with the permission (through a group) approves: ada's grades may change now, bob's may not.
    approved = post(logged_in(approver), f"exceptions/{record['id']}/approve", {})
    assert approved.status_code == 200, approved.content
    assert (approved.json()["status"], approved.json()["approved_by"]) == ("open", "registrar")
    assert api.are_grades_frozen(COURSE, user_id=ada.pk) is False
    assert api.are_grades_frozen(COURSE, user_id=bob.pk) is True
    assert approved.json()["before"]["percent_grade"] == 0.45  # the learner's grade when it opened
    status = logged_in(instructor).get(f"/api/grade_freeze/v1/courses/{COURSE}/").json()
    assert [item["username"] for item in status["open_exceptions"]] == ["ada"]
    assert [(item["username"], item["status"]) for item in status["learner_exceptions"]["current"]] == [
        ("ada", "open"), ("bob", "requested")]
    assert post(logged_in(approver), f"exceptions/{record['id']}/approve", {}).status_code == 400  # not twice

    # Closed early by the course team; bob's request revoked by an approver.
    closed = post(teacher, f"exceptions/{record['id']}/close", {"reason": "Regraded"})
    assert (closed.status_code, closed.json()["status"], closed.json()["closed_how"]) == (200, "closed", "closed")
    assert api.are_grades_frozen(COURSE, user_id=ada.pk) is True
    revoked = post(logged_in(approver), f"exceptions/{own['id']}/close", {"reason": "Review came back clean"})
    assert revoked.json()["closed_how"] == "revoked"
    assert post(teacher, f"exceptions/{own['id']}/close", {"reason": "again"}).status_code == 400

    audit = list(LearnerExceptionChange.objects.order_by("pk").values_list("exception_id", "action", "changed_by"))
    assert audit == [
        (record["id"], "requested", instructor.pk), (own["id"], "requested", ops.pk),
        (record["id"], "approved", approver.pk), (record["id"], "closed", instructor.pk),
        (own["id"], "closed", approver.pk),
    ]
    events = exception_events(tracking_events)
    assert [(name, data["exception_id"]) for name, data in events] == [
        ("exception_requested", record["id"]), ("exception_requested", own["id"]),
        ("exception_approved", record["id"]), ("exception_closed", record["id"]), ("exception_closed", own["id"]),
    ]
    assert events[2][1] == {
        "course_id": COURSE, "exception_id": record["id"], "user_id": ada.pk, "approved_by_user_id": approver.pk,
        "approval": "approved", "opens_at": events[2][1]["opens_at"], "closes_at": until.isoformat(),
    }
    assert [data["how"] for name, data in events if name == "exception_closed"] == ["closed", "revoked"]
    for _, data in events:  # learners and staff by id only
        assert not {"username", "requested_by", "approved_by"} & set(data)
        assert not {"ada", "bob", "instructor", "registrar", "ops"} & {str(value) for value in data.values()}


def test_without_the_approval_step_a_request_opens_at_once(people, settings, tracking_events):
    settings.GRADE_FREEZE_EXCEPTIONS_REQUIRE_APPROVAL = False
    record = api.request_learner_exception(COURSE, people["ada"], reason="Accommodation", user=people["instructor"])

    assert (record.status, record.approved_by) == ("open", None)
    assert api.are_grades_frozen(COURSE, user_id=people["ada"].pk) is False
    assert timedelta(days=6, hours=23) < record.closes_at - record.opens_at <= timedelta(days=7)  # the default window
    approved = [data for name, data in exception_events(tracking_events) if name == "exception_approved"]
    assert [(data["approval"], data["approved_by_user_id"]) for data in approved] == [("not required", None)]
    assert LearnerExceptionChange.objects.get(action="approved").reason == (
        "Opened without approval: GRADE_FREEZE_EXCEPTIONS_REQUIRE_APPROVAL is off.")


def test_a_course_that_is_not_frozen_accepts_an_exception_that_starts_with_the_freeze(people):
    later = "course-v1:ExcX+Later+2026"
    end = now() - timedelta(days=20)  # freezes in 10 days
    CourseSchedule.objects.create(course_key=later, org="ExcX", start=end - timedelta(days=90), end=end)
    enroll(later, [people["ada"].pk, people["bob"].pk])

    response = post(logged_in(people["ops"]), exceptions_path(later), {"user": "ada", "reason": "Extended due date"})
    approved = api.approve_learner_exception(response.json()["id"], user=people["approver"])

    freeze_date = end + timedelta(days=30)
    assert response.status_code == 201
    assert response.json()["note"] == (
        f"{later} is not frozen yet: the exception takes effect when the course freezes, on {freeze_date.isoformat()}.")
    assert approved.closes_at == freeze_date + timedelta(days=7)
    during = freeze_date + timedelta(days=1)
    assert api.get_freeze_state(later, at=during, user_id=people["ada"].pk).frozen is False
    assert api.get_freeze_state(later, at=during, user_id=people["bob"].pk).frozen is True
    assert api.get_freeze_state(later, at=approved.closes_at, user_id=people["ada"].pk).frozen is True
    too_early = post(logged_in(people["ops"]), exceptions_path(later), {
        "user": "bob", "reason": "x", "until": (freeze_date - timedelta(days=1)).isoformat()})
    assert too_early.status_code == 400 and "before course-v1:ExcX+Later+2026 freezes" in too_early.json()["until"][0]


BAD_REQUESTS = [
    ("unknown course", "ops", "course-v1:ExcX+Nowhere+2026", {"user": "ada", "reason": "x"}, 400,
     "Unknown course(s): course-v1:ExcX+Nowhere+2026"),
    ("unknown user", "instructor", COURSE, {"user": "nobody", "reason": "x"}, 400,
     "Unknown user: 'nobody' is neither a user id nor a username."),
    ("unknown user id", "instructor", COURSE, {"user_id": 987654, "reason": "x"}, 400,
     "Unknown user: no user has the id 987654."),
    ("never a learner", "instructor", COURSE, {"user": "stranger", "reason": "x"}, 400,
     "is not and never was a learner of course-v1:ExcX+Appeal+2026"),
    ("window in the past", "instructor", COURSE, {"user": "ada", "reason": "x", "until": "2020-01-01T00:00:00Z"},
     400, "The window would end in the past (2020-01-01T00:00:00+00:00)"),
    ("window beyond the maximum", "instructor", COURSE, {"user": "ada", "reason": "x", "until": "2099-01-01T00:00Z"},
     400, "The window may last at most 30 days from now (GRADE_FREEZE_EXCEPTION_MAX_DAYS)"),
    ("missing reason", "instructor", COURSE, {"user": "ada"}, 400, "Say why: the reason is kept in the audit log."),
    ("blank reason", "instructor", COURSE, {"user": "ada", "reason": "   "}, 400, "Say why"),
    ("no learner named", "instructor", COURSE, {"reason": "x"}, 400, "exactly one of user and user_id"),
    ("not the course's staff", "ada", COURSE, {"user": "bob", "reason": "x"}, 403,
     "Only global staff and the course's staff and instructors"),
    ("staff of another course", "instructor", "course-v1:ExcX+Other+2026", {"user": "ada", "reason": "x"}, 403,
     "Only global staff and the course's staff and instructors"),
]


@pytest.mark.parametrize("case, who, course, body, code, message", BAD_REQUESTS, ids=[c[0] for c in BAD_REQUESTS])
def test_every_bad_request_is_refused_with_no_row_written(people, tracking_events, case, who, course, body, code,
                                                         message):
    CourseSchedule.objects.create(course_key="course-v1:ExcX+Other+2026", org="ExcX", end=now() - timedelta(days=40))
    response = post(logged_in(people[who]), exceptions_path(course), body)

    assert response.status_code == code, (case, response.content)
    assert message in response.content.decode()
    assert nothing_written()
    assert exception_events(tracking_events) == []


def test_a_second_exception_for_the_same_learner_is_refused_while_one_is_in_progress(people):
    first = api.request_learner_exception(COURSE, people["ada"], reason="Appeal", user=people["instructor"])
    with pytest.raises(api.InvalidLearnerExceptionError, match=f"already has exception {first.id}, waiting for"):
        api.request_learner_exception(COURSE, people["ada"], reason="Again", user=people["ops"])
    api.approve_learner_exception(first.id, user=people["approver"])
    response = post(logged_in(people["ops"]), exceptions_path(), {"user": "ada", "reason": "Again"})
    assert response.status_code == 400 and f"already has exception {first.id}, open until" in response.json()["user"][0]
    # Once its window ended, a new one may be asked for (the expired one is closed on the way).
    LearnerException.objects.filter(pk=first.id).update(closes_at=now() - timedelta(minutes=1))
    second = api.request_learner_exception(COURSE, people["ada"], reason="Second appeal", user=people["ops"])
    assert LearnerException.objects.get(pk=first.id).closed_how == "expired"
    assert second.status == "requested"


def test_approving_a_request_whose_window_ended_is_refused(people):
    record = api.request_learner_exception(COURSE, people["ada"], reason="Appeal", user=people["instructor"])
    LearnerException.objects.filter(pk=record.id).update(closes_at=now() - timedelta(minutes=1))
    response = post(logged_in(people["approver"]), f"exceptions/{record.id}/approve", {})
    assert response.status_code == 400 and "ended at" in response.json()["until"][0]
    assert post(logged_in(people["approver"]), "exceptions/999999/approve", {}).status_code == 404
    assert post(logged_in(people["ada"]), f"exceptions/{record.id}/close", {"reason": "mine"}).status_code == 403
    assert post(logged_in(people["instructor"]), f"exceptions/{record.id}/close", {}).status_code == 400
    assert Client().post(f"/api/grade_freeze/v1/exceptions/{record.id}/approve").status_code == 401
    assert logged_in(people["ada"]).get(f"/api/grade_freeze/v1/exceptions/{record.id}/").status_code == 403
    detail = logged_in(people["instructor"]).get(f"/api/grade_freeze/v1/exceptions/{record.id}/")
    assert (detail.status_code, detail.json()["reason"]) == (200, "Appeal")


# -- the command ------------------------------------------------------------------------------------------------------

def run_command(*args, **options):
    out = StringIO()
    call_command("grant_grade_exception", *args, stdout=out, **options)
    return out.getvalue()


def write_csv(path, rows, columns=("user_id", "username", "grade")):
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        writer.writerows(rows)
    return str(path)


def test_the_command_grants_30_learners_from_a_csv_audited_and_tracked(people, tmp_path, tracking_events):
    learners = make_users([f"reviewed{index:02}" for index in range(30)])
    enroll(COURSE, [learner.pk for learner in learners])
    sheet = write_csv(tmp_path / "reviewed.csv", [(learner.pk, learner.username, "0.7") for learner in learners])
    day = (now() + timedelta(days=10)).date()
    until = day.isoformat()  # through that day: the window ends at midnight after it, UTC

    dry = run_command(COURSE, csv=sheet, until=until, reason="Late proctoring reviews", dry_run=True)
    assert dry.splitlines()[0] == (
        f"Dry run: would grant an exception to reviewed00 (user {learners[0].pk}) in {COURSE} until "
        f"{day + timedelta(days=1)}T00:00:00+00:00.")
    assert dry.splitlines()[-1] == "30 exceptions would be granted."
    assert nothing_written() and exception_events(tracking_events) == []

    output = run_command(COURSE, csv=sheet, until=until, reason="Late proctoring reviews", operator="ops")

    assert output.splitlines()[-1] == "30 exceptions granted."
    granted = LearnerException.objects.filter(course_key=COURSE)
    assert sorted(granted.values_list("user_id", flat=True)) == sorted(learner.pk for learner in learners)
    assert set(granted.values_list("status", "approved_by__username", "requested_by__username")) == {
        ("open", "ops", "ops")}
    assert LearnerExceptionChange.objects.filter(action="requested").count() == 30
    assert LearnerExceptionChange.objects.filter(action="approved", reason="Late proctoring reviews").count() == 30
    names = [name for name, _ in exception_events(tracking_events)]
    assert names.count("exception_requested") == 30 and names.count("exception_approved") == 30
    assert {data["approval"] for name, data in exception_events(tracking_events) if name == "exception_approved"} == {
        "granted"}
    assert all(api.are_grades_frozen(COURSE, user_id=learner.pk) is False for learner in learners)
    assert api.are_grades_frozen(COURSE, user_id=people["ada"].pk) is True


def test_the_command_takes_usernames_and_ascii_digit_user_ids(people):
    ada, bob = people["ada"], people["bob"]
    until = (now() + timedelta(days=3)).date().isoformat()
    output = run_command(COURSE, "ada", str(bob.pk), until=until, reason="Appeals", dry_run=True)
    assert [line.split(" in ")[0] for line in output.splitlines()] == [
        f"Dry run: would grant an exception to ada (user {ada.pk})",
        f"Dry run: would grant an exception to bob (user {bob.pk})",
        "2 exceptions would be granted.",
    ]
    assert nothing_written()


BAD_COMMANDS = [
    ("unknown course", ("course-v1:ExcX+Nowhere+2026", "ada"), {}, "Unknown course(s)"),
    ("invalid course key", ("not-a-key", "ada"), {}, "Not a valid course key"),
    ("unknown user", (COURSE, "ada", "nobody"), {}, "USER 'nobody': Unknown user: 'nobody' is neither"),
    ("never a learner", (COURSE, "ada", "stranger"), {}, "is not and never was a learner"),
    ("arabic-indic digits are a username", (COURSE, "١١"), {}, "Unknown user: '١١' is neither"),
    ("not a user id", (COURSE, "ada"), {"user_id": True}, "Not a user id: 'ada'"),
    ("named twice", (COURSE, "ada", "ada"), {}, "is named twice"),
    ("window in the past", (COURSE, "ada"), {"until": "2020-01-01"}, "would end in the past"),
    ("window beyond the maximum", (COURSE, "ada"), {"until": "2099-01-01"}, "may last at most 30 days"),
    ("impossible date", (COURSE, "ada"), {"until": "2026-02-30"}, "--until must be a date"),
    ("missing reason", (COURSE, "ada"), {"reason": "  "}, "Say why"),
    ("no learner", (COURSE,), {}, "Name at least one learner"),
]


@pytest.mark.parametrize("case, args, options, message", BAD_COMMANDS, ids=[c[0] for c in BAD_COMMANDS])
def test_every_bad_grant_is_a_command_error_and_writes_nothing(people, tracking_events, case, args, options, message):
    options = {"until": (now() + timedelta(days=3)).date().isoformat(), "reason": "Appeals", **options}
    with pytest.raises(CommandError) as refused:
        run_command(*args, **options)
    assert message in str(refused.value), case
    assert nothing_written() and exception_events(tracking_events) == []


def test_a_csv_with_one_bad_row_grants_no_one(people, tmp_path):
    good = write_csv(tmp_path / "good.csv", [(people["ada"].pk, "ada", "")])
    mismatch = write_csv(tmp_path / "mismatch.csv", [(people["ada"].pk, "ada", ""), (people["bob"].pk, "ada", "")])
    unknown = write_csv(tmp_path / "unknown.csv", [("", "ada"), ("", "ghost")], columns=("user_id", "username"))
    usernames = write_csv(tmp_path / "names.csv", [("ada",), ("11",)], columns=("username",))
    empty = write_csv(tmp_path / "empty.csv", [("a",)], columns=("email",))
    until = (now() + timedelta(days=3)).date().isoformat()

    for sheet, message in ((mismatch, "line 3: user id"), (unknown, "unknown.csv line 3: Unknown user: no user has the "
                                                                     "username 'ghost'"),
                           (usernames, "names.csv line 3: Unknown user: no user has the username '11'"),
                           (empty, "no user_id or username column"),
                           (str(tmp_path / "missing.csv"), "Cannot read")):
        with pytest.raises(CommandError, match=message.replace("(", r"\(").replace(")", r"\)")):
            run_command(COURSE, csv=sheet, until=until, reason="Appeals")
    assert nothing_written()
    assert run_command(COURSE, csv=good, until=until, reason="Appeals").splitlines()[-1] == "1 exception granted."


# -- Django admin ----------------------------------------------------------------------------------------------------

def test_admin_grants_approves_and_closes_each_audited(people, tracking_events):
    superuser = UserFactory(username="root", is_staff=True, is_superuser=True)
    admin = logged_in(superuser)
    until = (now() + timedelta(days=3)).replace(microsecond=0)

    refused = admin.post(reverse("admin:openedx_grade_freeze_learnerexception_add"), {
        "course_key": COURSE, "user": "stranger", "closes_at_0": until.date().isoformat(),
        "closes_at_1": until.time().isoformat(), "reason": "x"})
    assert refused.status_code == 200 and "is not and never was a learner" in refused.content.decode()
    assert nothing_written()
    granted = admin.post(reverse("admin:openedx_grade_freeze_learnerexception_add"), {
        "course_key": COURSE, "user": "ada", "closes_at_0": until.date().isoformat(),
        "closes_at_1": until.time().isoformat(), "reason": "Granted at the exam board"})
    assert granted.status_code == 302, granted.content.decode()[:2000]
    exception = LearnerException.objects.get(user_id=people["ada"].pk)
    assert (exception.status, exception.approved_by, exception.closes_at) == ("open", superuser, until)

    # Requests made elsewhere are approved (never one's own) and closed with a reason from the changelist.
    mine = api.request_learner_exception(COURSE, people["bob"], reason="Mine", user=superuser)
    theirs = api.request_learner_exception(COURSE, people["cy"], reason="Theirs", user=people["instructor"])
    changelist = reverse("admin:openedx_grade_freeze_learnerexception_changelist")
    page = admin.post(changelist, {"action": "approve_requests", "_selected_action": [mine.id, theirs.id],
                                   "reason": "Board decision"}, follow=True).content.decode()
    assert f"Exception {mine.id}: not approved: You requested exception {mine.id}" in page
    assert f"Exception {theirs.id} approved (open)." in page
    page = admin.post(changelist, {"action": "close_exceptions", "_selected_action": [exception.pk],
                                   "reason": ""}, follow=True).content.decode()
    assert f"Exception {exception.pk}: not closed: Say why" in page
    admin.post(changelist, {"action": "close_exceptions", "_selected_action": [exception.pk, mine.id],
                            "reason": "Regraded"}, follow=True)
    assert dict(LearnerException.objects.values_list("pk", "closed_how")) == {
        exception.pk: "closed", mine.id: "revoked", theirs.id: ""}
    assert set(LearnerExceptionChange.objects.filter(changed_by=superuser).values_list("exception_id", "action")) == {
        (exception.pk, "requested"), (exception.pk, "approved"), (mine.id, "requested"), (theirs.id, "approved"),
        (exception.pk, "closed"), (mine.id, "closed")}
    assert admin.get(reverse("admin:openedx_grade_freeze_learnerexceptionchange_changelist"),
                     {"q": "ada"}).context["cl"].result_count == 3
    assert logged_in(people["instructor"]).get(changelist).status_code == 302  # not staff: the admin login


def test_who_may_approve_without_global_staff(people):
    record = api.request_learner_exception(COURSE, people["ada"], reason="Appeal", user=people["instructor"])
    with pytest.raises(api.LearnerExceptionNotAllowedError, match="Only global staff, or users with the permission"):
        api.approve_learner_exception(record.id, user=people["bob"])
    assert api.approve_learner_exception(record.id, user=people["approver"]).status == "open"
    with pytest.raises(api.LearnerExceptionNotAllowedError):
        api.grant_learner_exceptions(COURSE, [people["bob"]], reason="x", user=people["instructor"])


def test_retiring_a_learner_removes_their_username_from_exception_reasons(people):
    ada = people["ada"]
    record = api.request_learner_exception(COURSE, ada, reason="ada asked for a regrade", user=people["instructor"])
    api.close_learner_exception(record.id, reason="Withdrawn by ada, ticket 5", user=people["instructor"])

    api.retire_learner(ada.pk, "ada")

    exception = LearnerException.objects.get()
    assert (exception.reason, exception.close_reason) == (
        "[retired learner] asked for a regrade", "Withdrawn by [retired learner], ticket 5")
    assert set(LearnerExceptionChange.objects.values_list("reason", flat=True)) == {
        "[retired learner] asked for a regrade", "Withdrawn by [retired learner], ticket 5"}
    assert exception.user_id == ada.pk  # by user id, as every other record of the learner


def test_the_status_page_form_shows_each_refusal_on_the_form_and_redirects_when_sent(people):
    page = f"/api/grade_freeze/status/{COURSE}/"
    form = f"/api/grade_freeze/status/{COURSE}/exceptions"
    teacher = logged_in(people["instructor"])

    prefilled = teacher.get(page, {"user": "ada", "until": "2026-12-20", "reason": "Appeal"}).content.decode()
    assert 'name="user" value="ada"' in prefilled and "Appeal</textarea>" in prefilled
    for body, message in (
        ({"user": "ghost", "reason": "x"}, "Unknown user: &#x27;ghost&#x27; is neither a user id nor a username."),
        ({"user": "ada", "reason": "x", "until": "next week"}, "Give a date (2026-12-20) or a date and time"),
        ({"user": "ada", "reason": ""}, "Say why"),
        ({"user": "stranger", "reason": "x"}, "is not and never was a learner"),
    ):
        refused = teacher.post(form, body)
        assert refused.status_code == 400 and message in refused.content.decode(), body
    assert logged_in(people["ada"]).post(form, {"user": "bob", "reason": "x"}).status_code == 403
    assert nothing_written()

    sent = teacher.post(form, {"user": "ada", "until": "", "reason": "Appeal upheld"})
    record = LearnerException.objects.get()
    assert sent.status_code == 303 and sent["Location"] == f"{page}?requested={record.pk}#learner-exceptions"
    assert (record.user_id, record.status, record.requested_by) == (people["ada"].pk, "requested",
                                                                     people["instructor"])
    assert f"Exception {record.pk} requested" in teacher.get(sent["Location"]).content.decode()


def test_opening_and_closing_tell_every_other_process_through_the_policy_version(people, settings):
    from django.core.cache import cache  # pylint: disable=import-outside-toplevel

    from openedx_grade_freeze.policy import _VERSION_CACHE_KEY, _PolicyCache  # pylint: disable=import-outside-toplevel

    settings.GRADE_FREEZE_POLICY_CACHE_SECONDS = 0  # the other process checks the version on every decision
    other_process = _PolicyCache()
    record = api.request_learner_exception(COURSE, people["ada"], reason="Appeal", user=people["instructor"])
    key = CourseKey.from_string(COURSE)
    _, generation = other_process.get(key)
    other_process.put(key, "the state it had cached", generation)
    versions = [cache.get(_VERSION_CACHE_KEY)]

    api.approve_learner_exception(record.id, user=people["approver"])
    versions.append(cache.get(_VERSION_CACHE_KEY))
    assert other_process.get(key)[0] is None  # it reads the course (and its exceptions) again
    other_process.put(key, "the state it had cached", other_process.get(key)[1])
    api.close_learner_exception(record.id, reason="Done", user=people["instructor"])
    versions.append(cache.get(_VERSION_CACHE_KEY))

    assert other_process.get(key)[0] is None
    assert len(set(versions)) == 3
