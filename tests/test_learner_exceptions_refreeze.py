"""
Re-frozen by itself (issue 16 item 3): an exception that expires closes on the periodic task, its learner's snapshot
row is re-taken, Credentials (the fake service over HTTP) ends up holding the learner's new grade, and the change
record and the course's counts (changed, newly passed, no longer passed) are right. An exception closed early is
re-frozen once every process has seen it closed; one closing while a snapshot is being taken waits for it.
"""
import re
from datetime import datetime, timedelta, timezone
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from openedx_grade_freeze import api, tasks, tracking
from openedx_grade_freeze.learner_exceptions import refreeze
from openedx_grade_freeze.models import RUN_COMPLETE, RUN_RUNNING, FreezeRun, LearnerException, LearnerExceptionChange
from openedx_grade_freeze.policy import policy_cache
from openedx_grade_freeze.settings.common import EXCEPTIONS_SCHEDULE_ENTRY, EXCEPTIONS_TASK, plugin_settings
from tests.conftest import events_named
from tests.credentials_server import GRADES_PATH
from tests.factories import UserFactory
from tests.forwarding import forwarding_to_fake, grade_event
from tests.platform_store.models import StoredCourseGrade
from tests.snapshot_support import (
    enroll,
    frozen_values,
    held_by_credentials,
    lms_stores,
    make_users,
    on_commit,
    past_freeze_date,
    store_grades,
)

COURSE = "course-v1:Org+Appeals+2026"
CLIENT_ID, CLIENT_SECRET = "grade-freeze-exceptions", "grade-freeze-exceptions-secret"
UTC = timezone.utc

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(name="credentials")
def fixture_credentials(settings, monkeypatch):
    """Forwarding on, to the fake Credentials service; sends queued eagerly."""
    with forwarding_to_fake(COURSE, CLIENT_ID, CLIENT_SECRET, settings, monkeypatch) as server:
        yield server


def now():
    return datetime.now(UTC)


def held(server, user):
    return held_by_credentials(server, user, COURSE)


def frozen(user):
    return frozen_values(user, COURSE)


def lms_changes(user, percent, letter, passed):
    lms_stores(user, COURSE, percent, letter, passed)


def periodic_pass():
    """What celery beat runs every GRADE_FREEZE_EXCEPTIONS_CHECK_INTERVAL_SECONDS."""
    with on_commit():
        tasks.close_learner_exceptions_task.delay()


@pytest.fixture(name="frozen_course")
def fixture_frozen_course(lms, credentials):  # pylint: disable=unused-argument
    """ada (0.4, not passed), bob (0.55, passed) and cy (0.9) frozen in the snapshot, which Credentials holds."""
    past_freeze_date(COURSE)
    ada, bob, cy = make_users(["ada", "bob", "cy"])
    enroll(COURSE, [ada.pk, bob.pk, cy.pk])
    store_grades(COURSE, {ada.pk: (0.4, "", False), bob.pk: (0.55, "C", True), cy.pk: (0.9, "A", True)})
    with on_commit():
        call_command("freeze_final_grades", COURSE, stdout=StringIO())
    assert [held(credentials, user) for user in (ada, bob, cy)] == [(0.4, ""), (0.55, "C"), (0.9, "A")]
    return ada, bob, cy


def test_an_expired_exception_closes_by_itself_and_credentials_holds_the_new_grade(frozen_course, credentials,
                                                                                  tracking_events):
    ada, bob, cy = frozen_course
    with on_commit():
        granted = api.grant_learner_exceptions(COURSE, [ada, bob, cy], reason="Proctoring reviews",
                                               until=now() + timedelta(days=5))
    # While the window is open, the LMS writes ada's and bob's new grades; Credentials keeps the snapshot's.
    lms_changes(ada, 0.72, "B", passed=True)
    lms_changes(bob, 0.45, "", passed=False)
    grade_event(ada, 0.72, now(), course_id=COURSE, letter="B", passed=True)
    assert held(credentials, ada) == (0.4, "")
    periodic_pass()
    assert set(LearnerException.objects.values_list("status", flat=True)) == {"open"}  # not due yet
    posts = len(credentials.requests_to(GRADES_PATH))

    # When the window ends, the veto refuses ada at once, before any task runs: the clock decides.
    assert api.get_freeze_state(COURSE, at=granted[0].closes_at, user_id=ada.pk).frozen is True
    assert api.are_grades_frozen(COURSE, user_id=ada.pk) is False  # until then
    # The window ends (its end moved back: nobody waits; this process forgets the end it cached).
    LearnerException.objects.update(closes_at=now() - timedelta(hours=1))
    policy_cache.clear()
    periodic_pass()

    rows = {row.user_id: row for row in LearnerException.objects.all()}
    assert {(row.status, row.closed_how) for row in rows.values()} == {("closed", "expired")}
    assert all(row.refrozen_at is not None for row in rows.values())
    assert [frozen(user) for user in (ada, bob, cy)] == [
        (0.72, "B", True, True), (0.45, "", False, True), (0.9, "A", True, True)]
    assert [held(credentials, user) for user in (ada, bob, cy)] == [(0.72, "B"), (0.45, ""), (0.9, "A")]
    assert len(credentials.requests_to(GRADES_PATH)) - posts == 3  # each learner's grade re-sent once
    record = {row.user_id: (row.before["percent_grade"], row.before["letter_grade"], row.before["passed"],
                            row.after["percent_grade"], row.after["letter_grade"], row.after["passed"])
              for row in rows.values()}
    assert record == {ada.pk: (0.4, "", False, 0.72, "B", True), bob.pk: (0.55, "C", True, 0.45, "", False),
                      cy.pk: (0.9, "A", True, 0.9, "A", True)}
    assert all(re.match(r"Re-taken into the snapshot \(run \d+\); re-sent to Credentials\.", row.refreeze_note)
               for row in rows.values())
    assert LearnerExceptionChange.objects.filter(action="refrozen").count() == 3

    # The counts MicroMasters checked by hand, the same on every surface.
    counts = api.get_course_status(COURSE).learner_exceptions.counts
    assert (counts.learners_changed, counts.newly_passed, counts.no_longer_passed) == (2, 1, 1)
    staff = Client()
    staff.force_login(UserFactory(username="ops", is_staff=True))
    detail = staff.get(f"/api/grade_freeze/v1/courses/{COURSE}/").json()["learner_exceptions"]
    assert detail["counts"] == {"learners_changed": 2, "newly_passed": 1, "no_longer_passed": 1}
    assert [item["changed"] for item in detail["closed"]] == [True, True, False]
    page = staff.get(f"/api/grade_freeze/status/{COURSE}/").content.decode()
    assert "3 closed exceptions:" in page and "2 learners whose grade changed" in page
    assert "1 newly passed, 1 no longer passed" in page
    out = StringIO()
    call_command("grade_freeze_status", COURSE, "--exceptions", stdout=out)
    lines = out.getvalue().splitlines()
    header, row = (re.split(r"\s{2,}", line.strip()) for line in lines[:2])
    assert dict(zip(header, row, strict=True))["CHANGED"] == "2"
    assert [dict(zip(header, row, strict=True))[name] for name in (
        "EXCEPTIONS OPEN", "WAITING APPROVAL", "EXCEPTIONS CLOSED", "NEWLY PASSED", "NO LONGER PASSED")] == [
        "0", "0", "3", "1", "1"]
    assert f"  exception {granted[0].id}: ada (user {ada.pk}): closed (expired) " in lines[3]
    assert lines[3].endswith("; 0.4 - (not passed) -> 0.72 B (passed)")

    closed = events_named(tracking_events, tracking.EXCEPTION_CLOSED)
    assert sorted((event["user_id"], event["how"], event["closed_by_user_id"]) for event in closed) == sorted(
        [(ada.pk, "expired", None), (bob.pk, "expired", None), (cy.pk, "expired", None)])
    assert len(events_named(tracking_events, tracking.LEARNER_REFROZEN)) == 3

    periodic_pass()  # a second pass changes nothing more
    assert len(credentials.requests_to(GRADES_PATH)) - posts == 3
    assert LearnerExceptionChange.objects.filter(action="refrozen").count() == 3


def test_closed_early_the_learner_is_re_frozen_once_every_process_has_seen_it_closed(frozen_course, credentials,
                                                                                     settings):
    ada, _, _ = frozen_course
    settings.GRADE_FREEZE_POLICY_CACHE_SECONDS = 3600  # other processes may take an hour to notice
    (granted,) = api.grant_learner_exceptions(COURSE, [ada], reason="Appeal", until=now() + timedelta(days=5))
    lms_changes(ada, 0.66, "C", passed=True)
    teacher = UserFactory(username="teacher", is_staff=True)

    with on_commit():
        api.close_learner_exception(granted.id, reason="Appeal decided", user=teacher)
    assert api.are_grades_frozen(COURSE, user_id=ada.pk) is True  # here at once
    periodic_pass()

    exception = LearnerException.objects.get()
    assert (exception.closed_how, exception.refrozen_at) == ("closed", None)
    assert exception.refreeze_after >= exception.closed_at + timedelta(seconds=3600)
    assert frozen(ada) == (0.4, "", False, False) and held(credentials, ada) == (0.4, "")

    LearnerException.objects.update(refreeze_after=now() - timedelta(seconds=1))  # the hour has passed
    periodic_pass()

    assert frozen(ada) == (0.66, "C", True, True) and held(credentials, ada) == (0.66, "C")
    audit = LearnerExceptionChange.objects.get(action="refrozen")
    assert (audit.changed_by, audit.before["percent_grade"], audit.after["percent_grade"]) == (teacher, 0.4, 0.66)


def test_a_close_during_a_freeze_run_waits_for_it_and_without_a_snapshot_keeps_the_stored_grade(lms, settings):
    later = "course-v1:Org+Running+2026"
    past_freeze_date(later)
    ada, bob = make_users(["ada", "bob"])
    enroll(later, [ada.pk, bob.pk])
    store_grades(later, {ada.pk: (0.3, "", False), bob.pk: (0.5, "P", True)})
    first, second = api.grant_learner_exceptions(later, [ada, bob], reason="Appeals", until=now() + timedelta(days=2))
    run = FreezeRun.objects.create(course_key=later, open_course_key=later, status=RUN_RUNNING)
    StoredCourseGrade.objects.filter(user_id=ada.pk).update(percent_grade=0.7, letter_grade="B",
                                                            passed_timestamp=now())
    LearnerException.objects.update(closes_at=now() - timedelta(hours=1))

    assert refreeze.close_and_refreeze() == (2, {first.id: refreeze.WAITING, second.id: refreeze.WAITING})
    assert LearnerException.objects.get(pk=first.id).refreeze_note == f"Waiting for freeze run {run.pk} of the " \
                                                                       "course to complete."

    # The run is abandoned (say it was retired), and the course has no current snapshot: the next one takes the grade.
    FreezeRun.objects.filter(pk=run.pk).update(status=RUN_COMPLETE, open_course_key=None, retired="unfrozen")
    LearnerException.objects.update(refreeze_after=now() - timedelta(seconds=1))
    assert refreeze.refreeze_due() == {first.id: refreeze.NO_SNAPSHOT, second.id: refreeze.NO_SNAPSHOT}
    ada_exception = LearnerException.objects.get(pk=first.id)
    assert (ada_exception.before["percent_grade"], ada_exception.after["percent_grade"]) == (0.3, 0.7)
    assert ada_exception.refreeze_note == "The course has no current snapshot: its next snapshot takes this grade."
    assert refreeze.refreeze_due() == {}


def test_the_periodic_task_is_on_celery_beat_unless_its_interval_is_zero():
    host = type("Host", (), {"GRADE_FREEZE_EXCEPTIONS_CHECK_INTERVAL_SECONDS": 300})()
    plugin_settings(host)
    assert host.CELERYBEAT_SCHEDULE[EXCEPTIONS_SCHEDULE_ENTRY] == {"task": EXCEPTIONS_TASK, "schedule": 300.0}
    assert tasks.close_learner_exceptions_task.name == EXCEPTIONS_TASK
    off = type("Host", (), {"GRADE_FREEZE_EXCEPTIONS_CHECK_INTERVAL_SECONDS": 0})()
    plugin_settings(off)
    assert EXCEPTIONS_SCHEDULE_ENTRY not in off.CELERY_BEAT_SCHEDULE


def test_a_grade_that_cannot_be_frozen_waits_and_is_re_taken_once_it_can(frozen_course, credentials):
    ada, _, _ = frozen_course
    (granted,) = api.grant_learner_exceptions(COURSE, [ada], reason="Appeal", until=now() + timedelta(days=5))
    lms_changes(ada, 2.0, "?", passed=True)  # a corrupt stored grade
    LearnerException.objects.update(closes_at=now() - timedelta(hours=1))

    assert refreeze.close_and_refreeze() == (1, {granted.id: refreeze.WAITING})
    exception = LearnerException.objects.get()
    assert exception.refrozen_at is None and "The stored percent grade 2.0 is outside 0 to 1." in (
        exception.refreeze_note)
    assert exception.refreeze_after > now() + timedelta(seconds=200)  # tried again after the task's interval
    assert frozen(ada) == (0.4, "", False, False) and held(credentials, ada) == (0.4, "")

    lms_changes(ada, 0.6, "C", passed=True)  # fixed in the LMS
    LearnerException.objects.update(refreeze_after=now() - timedelta(seconds=1))
    with on_commit():
        assert refreeze.refreeze_due() == {granted.id: refreeze.REFROZEN}
    assert frozen(ada) == (0.6, "C", True, True) and held(credentials, ada) == (0.6, "C")
