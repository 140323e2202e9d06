"""
Final-grade snapshots and Credentials (the fake service over HTTP), unfreezing and re-freezing, and the four
management commands with their output.
"""
import re
from datetime import datetime, timedelta, timezone
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from opaque_keys.edx.keys import CourseKey

from openedx_grade_freeze.credentials import ledger
from openedx_grade_freeze.credentials import snapshot_agreement as agreement
from openedx_grade_freeze.dates import isoformat
from openedx_grade_freeze.models import (
    RETIRED_UNFROZEN,
    RUN_COMPLETE,
    CourseFreezeOverride,
    CourseGradeRecord,
    CourseSchedule,
    FreezeConfigChange,
    FreezeRun,
    FrozenGrade,
    SnapshotAuditEntry,
)
from openedx_grade_freeze.policy import policy_cache
from openedx_grade_freeze.snapshots import runs
from openedx_grade_freeze.tracking import LEARNER_REFROZEN, UNFROZEN
from tests.conftest import events_named
from tests.credentials_server import GRADES_PATH
from tests.forwarding import forwarding_to_fake
from tests.platform_store.models import StoredCourseGrade
from tests.snapshot_support import enroll, make_users, on_commit, past_freeze_date, store_grades

COURSE = "course-v1:Org+Final+2026"
CLIENT_ID, CLIENT_SECRET = "grade-freeze-snapshots", "grade-freeze-snapshots-secret"
UTC = timezone.utc

# Committed transactions, as in production: on-commit work (eager tasks here) runs before a command returns.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(name="credentials")
def fixture_credentials(settings, monkeypatch):
    """Forwarding on, to the fake Credentials service, sends queued eagerly (delayed retries left to the drain)."""
    with forwarding_to_fake(COURSE, CLIENT_ID, CLIENT_SECRET, settings, monkeypatch) as server:
        yield server


def held(server, user):
    grade = server.get_grade(user.username, COURSE)
    return None if grade is None else float(grade["percent_grade"])


def send_before_freeze(user, percent, letter, schedule):
    """A grade forwarded to Credentials while the course was open (the day before its end)."""
    change = ledger.GradeChange(
        user_id=user.pk, course_key=CourseKey.from_string(COURSE), percent_grade=percent, letter_grade=letter,
        passed_timestamp=None, last_modified=schedule.end - timedelta(days=1),
    )
    with on_commit():
        assert ledger.record_grade_change(change) == ledger.RECORDED


def cells(line):
    """The cells of one table row (columns are separated by two spaces or more)."""
    return re.split(r"\s{2,}", line.strip())


def run_command(name, *args, **options):
    out = StringIO()
    with on_commit():
        call_command(name, *args, stdout=out, **options)
    return out.getvalue()


@pytest.mark.parametrize("page_size", [1000, 2])  # one page, and pages that split the learners who differ
def test_credentials_ends_up_holding_exactly_the_snapshot(lms, credentials, monkeypatch, page_size):
    monkeypatch.setattr(agreement, "PAGE_SIZE", page_size)
    schedule = past_freeze_date(COURSE)
    ada, bob, cy, dee, eve = make_users(["ada", "bob", "cy", "dee", "eve"])
    enroll(COURSE, [user.pk for user in (ada, bob, cy, dee, eve)])
    send_before_freeze(bob, 0.9, "A", schedule)  # then a late write the veto missed stored 0.6
    send_before_freeze(cy, 0.8, "B", schedule)
    send_before_freeze(eve, 0.4, "D", schedule)  # her stored grade was deleted since
    store_grades(COURSE, {ada.pk: (0.7, "B", True), bob.pk: (0.6, "C", True), cy.pk: (0.8, "B", True)})
    assert [held(credentials, user) for user in (ada, bob, cy, dee, eve)] == [None, 0.9, 0.8, None, 0.4]
    posts_before = len(credentials.requests_to(GRADES_PATH))

    output = run_command("freeze_final_grades", COURSE)

    run = FreezeRun.objects.get(course_key=COURSE)
    assert [held(credentials, user) for user in (ada, bob, cy, dee, eve)] == [0.7, 0.6, 0.8, None, 0.0]
    assert run.resent == 3
    assert len(credentials.requests_to(GRADES_PATH)) - posts_before == 3  # cy's equal grade was not re-sent
    assert CourseGradeRecord.objects.get(user_id=bob.pk).percent_grade == 0.6
    assert output.splitlines() == [
        f"{COURSE}: started run {run.pk}",
        f"{COURSE}: run {run.pk} complete: 5 learners, 3 frozen, 2 without a grade, 0 failed.",
    ]
    # Later grade events for the frozen course are drift, so Credentials keeps the snapshot's grade.
    with on_commit():
        assert ledger.record_grade_change(ledger.GradeChange(
            user_id=bob.pk, course_key=CourseKey.from_string(COURSE), percent_grade=0.95, letter_grade="A",
            passed_timestamp=None, last_modified=datetime.now(UTC),
        )) == ledger.DRIFT
    assert held(credentials, bob) == 0.6
    assert agreement.agree_with_credentials(run.pk) == 0  # it agrees now: nothing is sent again
    assert len(credentials.requests_to(GRADES_PATH)) - posts_before == 3


def sent_time(server, user):
    return server.get_grade(user.username, COURSE)["lms_last_updated_at"]


def test_re_sent_grades_carry_the_stored_grades_own_modification_time(lms, credentials):
    schedule = past_freeze_date(COURSE)
    ada, bob, cy = make_users(["ada", "bob", "cy"])
    enroll(COURSE, [ada.pk, bob.pk, cy.pk])
    send_before_freeze(bob, 0.9, "A", schedule)  # then a late write the veto missed stored 0.6
    send_before_freeze(cy, 0.5, "C", schedule)  # his stored grade was deleted since
    ada_modified, bob_modified = schedule.end - timedelta(days=3), schedule.end + timedelta(hours=2)
    store_grades(COURSE, {ada.pk: (0.7, "B", True)}, modified=ada_modified)
    store_grades(COURSE, {bob.pk: (0.6, "C", True)}, modified=bob_modified)

    run_command("freeze_final_grades", COURSE)

    run = FreezeRun.objects.get(course_key=COURSE)
    assert run.resent == 3
    assert (held(credentials, ada), sent_time(credentials, ada)) == (0.7, ada_modified)
    assert (held(credentials, bob), sent_time(credentials, bob)) == (0.6, bob_modified)
    # Without a stored grade there is no modification time: "no grade" is as of the moment it was frozen.
    assert (held(credentials, cy), sent_time(credentials, cy)) == (
        0.0, FrozenGrade.objects.get(run=run, user_id=cy.pk).frozen_at)
    assert CourseGradeRecord.objects.get(user_id=ada.pk).last_modified == ada_modified

    # An exception granted later: the LMS's grade is re-taken, with the time it was modified there.
    corrected = datetime.now(UTC) - timedelta(hours=1)
    StoredCourseGrade.objects.filter(user_id=ada.pk).update(percent_grade=0.75, modified=corrected)
    run_command("refreeze_learner", COURSE, str(ada.pk), reason="Late correction, ticket 12")
    assert (held(credentials, ada), sent_time(credentials, ada)) == (0.75, corrected)

    # Re-taken without a newer modification (a direct fix in the LMS database): still re-sent, with that time.
    StoredCourseGrade.objects.filter(user_id=bob.pk).update(percent_grade=0.65)
    run_command("refreeze_learner", COURSE, str(bob.pk), reason="Database fix, ticket 13")
    assert (held(credentials, bob), sent_time(credentials, bob)) == (0.65, bob_modified)


def test_unfreeze_needs_a_reason_and_confirmation_keeps_history_and_the_periodic_run_leaves_the_course(
    lms, tracking_events, monkeypatch
):
    past_freeze_date(COURSE)
    enroll(COURSE, [1, 2, 3])
    run_command("freeze_final_grades", COURSE)
    run = FreezeRun.objects.get(course_key=COURSE)

    with pytest.raises(CommandError, match="Say why"):
        run_command("unfreeze_final_grades", COURSE, reason="  ", yes=True)
    with pytest.raises(CommandError, match="the following arguments are required: --reason"):
        run_command("unfreeze_final_grades", COURSE, "--yes")
    monkeypatch.setattr("builtins.input", lambda prompt: "no")
    with pytest.raises(CommandError, match="Not confirmed: nothing changed."):
        run_command("unfreeze_final_grades", COURSE, reason="Regrade granted")
    assert run_command("unfreeze_final_grades", COURSE, reason="Regrade granted", dry_run=True) == (
        f"Dry run: would {COURSE}: retire run {run.pk} (3 learners) and turn the freeze off.\n"
    )
    assert runs.current_snapshot(COURSE).pk == run.pk

    prompts = []
    monkeypatch.setattr("builtins.input", lambda prompt: prompts.append(prompt) or "yes")
    output = run_command("unfreeze_final_grades", COURSE, reason="Regrade granted, ticket 7")

    assert prompts == [f"{COURSE}: retire run {run.pk} (3 learners) and turn the freeze off? Type 'yes' to continue: "]
    assert output == f"{COURSE}: unfrozen; run {run.pk} kept as history; freeze off by a course override.\n"
    run.refresh_from_db()
    assert (run.status, run.retired) == (RUN_COMPLETE, RETIRED_UNFROZEN)
    assert run.retired_reason == "Regrade granted, ticket 7"
    assert FrozenGrade.objects.filter(run=run).count() == 3
    assert CourseFreezeOverride.objects.get(course_key=COURSE).enabled is False
    assert FreezeConfigChange.objects.get(key=COURSE).reason == "unfreeze_final_grades: Regrade granted, ticket 7"
    audit = SnapshotAuditEntry.objects.get(action=SnapshotAuditEntry.ACTION_UNFROZEN)
    assert (audit.run_id, audit.reason) == (run.pk, "Regrade granted, ticket 7")
    [event] = events_named(tracking_events, UNFROZEN)
    assert (event["course_id"], event["run_ids"], event["learners"]) == (COURSE, [run.pk], 3)

    with on_commit():
        assert runs.freeze_due_courses() == []
    assert FreezeRun.objects.filter(course_key=COURSE).count() == 1
    assert "course override: freeze turned off" in run_command("freeze_final_grades", COURSE)


def test_refreezing_one_learner_is_audited_and_re_sent(lms, credentials, tracking_events):
    past_freeze_date(COURSE)
    ada, bob = make_users(["ada", "bob"])
    enroll(COURSE, [ada.pk, bob.pk])
    store_grades(COURSE, {ada.pk: (0.4, "D", False)})
    run_command("freeze_final_grades", COURSE)
    run = FreezeRun.objects.get(course_key=COURSE)
    assert held(credentials, ada) == 0.4
    # A late correction granted as an exception lands in the LMS.
    StoredCourseGrade.objects.filter(user_id=ada.pk).update(percent_grade=0.72, letter_grade="B",
                                                            passed_timestamp=datetime.now(UTC))

    dry = run_command("refreeze_learner", COURSE, "ada", reason="Late correction, ticket 9", dry_run=True)
    assert dry == (f"Dry run: {COURSE} ada (user {ada.pk}): would re-freeze 0.4 D (not passed) -> "
                   "0.72 B (passed).\n")
    assert FrozenGrade.objects.get(run=run, user_id=ada.pk).percent_grade == 0.4

    output = run_command("refreeze_learner", COURSE, str(ada.pk), reason="Late correction, ticket 9")

    assert output == (f"{COURSE} ada (user {ada.pk}): re-frozen in run {run.pk}: 0.4 D (not passed) -> "
                      "0.72 B (passed); re-sent to Credentials.\n")
    frozen = FrozenGrade.objects.get(run=run, user_id=ada.pk)
    assert (frozen.percent_grade, frozen.letter_grade, frozen.passed, frozen.refrozen) == (0.72, "B", True, True)
    assert FrozenGrade.objects.filter(run=run).count() == 2
    assert held(credentials, ada) == 0.72
    audit = SnapshotAuditEntry.objects.get(action=SnapshotAuditEntry.ACTION_LEARNER_REFROZEN)
    assert (audit.user_id, audit.reason, audit.before["percent_grade"], audit.after["percent_grade"]) == (
        ada.pk, "Late correction, ticket 9", 0.4, 0.72)
    [event] = events_named(tracking_events, LEARNER_REFROZEN)
    assert (event["course_id"], event["user_id"], event["run_id"]) == (COURSE, ada.pk, run.pk)

    with pytest.raises(CommandError, match="Unknown user: 'nobody' is neither a user id nor a username."):
        run_command("refreeze_learner", COURSE, "nobody", reason="x")
    with pytest.raises(CommandError, match="Say why"):
        run_command("refreeze_learner", COURSE, "bob", reason=" ")
    with pytest.raises(CommandError, match="has no current snapshot"):
        run_command("refreeze_learner", "course-v1:Org+Never+2026", "bob", reason="x")


def test_freeze_final_grades_dry_run_unknown_courses_and_progress(lms):
    past_freeze_date(COURSE)
    CourseSchedule.objects.create(course_key="course-v1:Org+Later+2026", org="Org",
                                  end=datetime.now(UTC) + timedelta(days=3))
    enroll(COURSE, range(1, 6))

    assert run_command("freeze_final_grades", COURSE, dry_run=True).startswith(
        f"{COURSE}: would start a freeze run (freeze date ")
    assert not FreezeRun.objects.exists()
    with pytest.raises(CommandError, match=r"Not a valid course key: 'not-a-key'"):
        run_command("freeze_final_grades", "not-a-key")
    with pytest.raises(CommandError, match="Unknown course\\(s\\): course-v1:Org\\+Nowhere\\+2026"):
        run_command("freeze_final_grades", "course-v1:Org+Nowhere+2026")
    later = run_command("freeze_final_grades", "course-v1:Org+Later+2026")
    assert later.startswith("course-v1:Org+Later+2026: not past its freeze date (freeze date ")

    output = run_command("freeze_final_grades", "--wait", "5")
    run = FreezeRun.objects.get(course_key=COURSE)
    assert output.splitlines() == [
        f"{COURSE}: started run {run.pk}",
        f"[run {run.pk}] complete: 1/1 chunks, 0 frozen, 5 without a grade, 0 failed",
        f"{COURSE}: run {run.pk} complete: 5 learners, 0 frozen, 5 without a grade, 0 failed.",
    ]
    assert run_command("freeze_final_grades", COURSE) == f"{COURSE}: already frozen by run {run.pk} (5 learners)\n"


def test_grade_freeze_status_one_row_per_course(lms):
    past_freeze_date(COURSE)
    later = "course-v1:Org+Later+2026"
    CourseSchedule.objects.create(course_key=later, org="Org", end=datetime.now(UTC) - timedelta(days=20))
    enroll(COURSE, range(1, 4))
    store_grades(COURSE, {1: (0.5, "P", True)})
    run_command("freeze_final_grades", COURSE)
    run = FreezeRun.objects.get(course_key=COURSE)

    lines = run_command("grade_freeze_status").splitlines()

    assert cells(lines[0]) == ["COURSE", "END", "FREEZE DATE", "PHASE", "DECIDED BY", "SNAPSHOT", "LEARNERS",
                               "GRADED", "NO GRADE", "FAILED", "RE-SENT", "CREDENTIALS PENDING", "CREDENTIALS FAILED",
                               "EXCEPTIONS OPEN", "WAITING APPROVAL", "EXCEPTIONS CLOSED", "CHANGED", "NEWLY PASSED",
                               "NO LONGER PASSED"]
    schedule = CourseSchedule.objects.get(course_key=COURSE)
    assert cells(lines[1]) == [
        COURSE, isoformat(schedule.end), isoformat(schedule.end + timedelta(days=30)), "frozen",
        "Django settings: course end + 30 days", f"complete (run {run.pk})", "3", "1", "2", "0", "0", "0", "0",
    ] + ["0"] * 6
    assert cells(lines[2])[3:] == ["open", "Django settings: course end + 30 days", "none"] + ["0"] * 13
    assert len(lines) == 3
    assert run_command("grade_freeze_status", "--frozen").splitlines() == lines[:2]
    assert cells(run_command("grade_freeze_status", "--upcoming", "14").splitlines()[1])[0] == later
    assert run_command("grade_freeze_status", "--upcoming", "5") == "No course matches.\n"
    with pytest.raises(CommandError, match="Unknown course"):
        run_command("grade_freeze_status", "course-v1:Org+Nowhere+2026")

    # The end date moves later: grades update again, the snapshot stays and the status says it is superseded.
    CourseSchedule.objects.filter(course_key=COURSE).update(end=datetime.now(UTC) + timedelta(days=3))
    policy_cache.clear()
    row = cells(run_command("grade_freeze_status", COURSE).splitlines()[1])
    assert row[3:6] == ["open", "Django settings: course end + 30 days",
                        f"complete (run {run.pk}) - superseded: no longer past its freeze date"]
    with on_commit():
        runs.freeze_due_courses()
    row = cells(run_command("grade_freeze_status", COURSE).splitlines()[1])
    assert row[5:8] == [f"superseded (run {run.pk}); no current snapshot", "3", "1"]


def test_regrade_asks_the_lms_to_recompute_a_course_that_is_no_longer_frozen(lms):
    from lms.djangoapps.grades import tasks  # pylint: disable=import-outside-toplevel
    from openedx.core.djangoapps.content.course_overviews.models import (  # pylint: disable=import-outside-toplevel
        CourseOverview,
    )

    past_freeze_date(COURSE)
    with pytest.raises(CommandError, match="--regrade needs the course keys"):
        run_command("freeze_final_grades", regrade=True)
    assert run_command("freeze_final_grades", COURSE, regrade=True) == (
        f"{COURSE}: frozen (Django settings: course end + 30 days): not recomputed; the LMS would refuse.\n")
    assert tasks.compute_all_grades_for_course.calls == []

    new_end = datetime.now(UTC) + timedelta(days=3)
    CourseSchedule.objects.filter(course_key=COURSE).update(end=new_end)
    CourseOverview.create(CourseKey.from_string(COURSE), end=new_end)
    policy_cache.clear()
    assert run_command("freeze_final_grades", COURSE, regrade=True, dry_run=True) == (
        f"{COURSE}: would ask the LMS to recompute every learner's grade.\n")
    assert tasks.compute_all_grades_for_course.calls == []
    assert run_command("freeze_final_grades", COURSE, regrade=True) == (
        f"{COURSE}: asked the LMS to recompute every learner's grade.\n")
    assert tasks.compute_all_grades_for_course.calls == [((), {"course_key": COURSE})]


def test_admin_lists_are_read_only_and_searchable_by_course_user_id_and_username(lms, client):
    from django.urls import reverse  # pylint: disable=import-outside-toplevel

    past_freeze_date(COURSE)
    ada, bob = make_users(["ada", "bob"])
    enroll(COURSE, [ada.pk, bob.pk])
    run_command("freeze_final_grades", COURSE)
    run_command("refreeze_learner", COURSE, "bob", reason="Account relinked")
    staff = get_user_model().objects.create(username="ops", is_staff=True, is_superuser=True)
    client.force_login(staff)

    def listed(model, query):
        response = client.get(reverse(f"admin:openedx_grade_freeze_{model}_changelist"), {"q": query})
        assert response.status_code == 200
        return response.context["cl"].result_count

    assert listed("frozengrade", COURSE) == 2
    assert listed("frozengrade", "ada") == 1
    assert listed("frozengrade", str(bob.pk)) == 1
    assert listed("freezerun", COURSE) == 1
    assert listed("snapshotauditentry", "bob") == 1
    assert listed("snapshotauditentry", COURSE) == 2
    audit_page = client.get(reverse("admin:openedx_grade_freeze_snapshotauditentry_changelist")).content.decode()
    assert "Account relinked" in audit_page and "Learner re-frozen" in audit_page
    grade = FrozenGrade.objects.get(user_id=ada.pk)
    assert client.post(reverse("admin:openedx_grade_freeze_frozengrade_change", args=[grade.pk]),
                       {"percent_grade": 1.0}).status_code == 403
    assert client.get(reverse("admin:openedx_grade_freeze_frozengrade_add")).status_code == 403


def test_a_learner_who_cannot_be_frozen_is_skipped_only_explicitly(lms):
    past_freeze_date(COURSE)
    ada, bob = make_users(["ada", "bob"])
    enroll(COURSE, [ada.pk, bob.pk])
    store_grades(COURSE, {ada.pk: (0.5, "P", True), bob.pk: (2.0, "?", True)})
    run_command("freeze_final_grades", COURSE)
    run = FreezeRun.objects.get(course_key=COURSE)
    assert (run.status, run.failed) == ("running", 1)

    with pytest.raises(CommandError, match="is not waiting to be frozen"):
        run_command("refreeze_learner", COURSE, "ada", reason="x", skip=True)
    output = run_command("refreeze_learner", COURSE, "bob", reason="Corrupt grade, ticket 3", skip=True)

    assert output == f"{COURSE} bob (user {bob.pk}): skipped in run {run.pk}; not frozen.\n"
    run.refresh_from_db()
    assert (run.status, run.learners, run.frozen, run.failed, run.skipped) == (RUN_COMPLETE, 2, 1, 0, 1)
    assert SnapshotAuditEntry.objects.get(action=SnapshotAuditEntry.ACTION_LEARNER_SKIPPED).reason == (
        "Corrupt grade, ticket 3")


def test_refreeze_refuses_a_user_who_never_was_a_learner_and_reads_only_ascii_digits_as_a_user_id(lms, credentials):
    """Issue 19 item 1: no "no grade" row and no 0 % sent for a stranger; ``١١`` is a username, not user 11."""
    past_freeze_date(COURSE)
    users = get_user_model().objects
    eleven = users.create(pk=11, username="eleven")
    arabic = users.create(username="١١")  # Arabic-Indic digits: a username
    stranger, left = make_users(["stranger", "left"])
    enroll(COURSE, [arabic.pk, left.pk])
    store_grades(COURSE, {arabic.pk: (0.4, "D", False), left.pk: (0.8, "B", True)})
    run_command("freeze_final_grades", COURSE)
    run = FreezeRun.objects.get(course_key=COURSE)
    from tests.platform_store.models import CourseEnrollment  # pylint: disable=import-outside-toplevel
    CourseEnrollment.objects.filter(user_id=left.pk).update(is_active=False)  # left since: still in the snapshot
    StoredCourseGrade.objects.filter(user_id=arabic.pk).update(percent_grade=0.6, letter_grade="C",
                                                                passed_timestamp=datetime.now(UTC))
    posts = len(credentials.requests_to(GRADES_PATH))
    rows = sorted(FrozenGrade.objects.filter(run=run).values_list("user_id", "percent_grade"))

    for user in ("stranger", str(stranger.pk), "eleven", "11"):
        with pytest.raises(CommandError, match=r"is not and never was a learner of course-v1:Org\+Final\+2026"):
            run_command("refreeze_learner", COURSE, user, reason="Relinked", dry_run=user == "eleven")
    with pytest.raises(CommandError, match=r"Not a user id: '١١' \(a user id is ASCII digits\)"):
        run_command("refreeze_learner", COURSE, "١١", reason="Relinked", user_id=True)
    with pytest.raises(CommandError, match="Unknown user: no user has the id 999"):
        run_command("refreeze_learner", COURSE, "999", "--user-id", reason="Relinked")

    assert sorted(FrozenGrade.objects.filter(run=run).values_list("user_id", "percent_grade")) == rows
    assert not SnapshotAuditEntry.objects.filter(action=SnapshotAuditEntry.ACTION_LEARNER_REFROZEN).exists()
    assert len(credentials.requests_to(GRADES_PATH)) == posts
    assert held(credentials, eleven) is None and held(credentials, stranger) is None

    output = run_command("refreeze_learner", COURSE, "١١", reason="Late correction")
    assert output.startswith(f"{COURSE} ١١ (user {arabic.pk}): re-frozen in run {run.pk}: 0.4 D (not passed) -> ")
    assert FrozenGrade.objects.get(run=run, user_id=arabic.pk).percent_grade == 0.6
    assert not FrozenGrade.objects.filter(run=run, user_id=eleven.pk).exists()
    assert held(credentials, arabic) == 0.6
    assert run_command("refreeze_learner", COURSE, str(left.pk), "--user-id", reason="Relinked").startswith(
        f"{COURSE} left (user {left.pk}): re-frozen in run {run.pk}: 0.8 B (passed) -> 0.8 B (passed)")
