"""
Extended learners re-frozen (issue 17, follow-up): the snapshot is taken when the course freezes, while a learner with
a personalized due date (given through the real edx-when API) may still change their grade; once their own freeze
date has passed, the periodic pass re-takes their row, exactly once, and Credentials (the fake service over HTTP)
holds the new grade. Other learners' rows stay as frozen; an extension removed before its date makes the learner's
row due at once, re-taken only if their grade changed meanwhile.
"""
from datetime import datetime, timedelta, timezone
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from edx_when import api as when_api

from openedx_grade_freeze import tasks, tracking
from openedx_grade_freeze.models import ExtendedLearnerRefreeze, SnapshotAuditEntry
from openedx_grade_freeze.snapshots import extended_learners
from tests.conftest import events_named
from tests.credentials_server import GRADES_PATH
from tests.factories import UserFactory
from tests.forwarding import forwarding_to_fake
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

COURSE = "course-v1:Org+Extended+2026"
HOMEWORK = "block-v1:Org+Extended+2026+type@sequential+block@homework"
CLIENT_ID, CLIENT_SECRET = "grade-freeze-extended", "grade-freeze-extended-secret"

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(name="credentials")
def fixture_credentials(settings, monkeypatch):
    """Forwarding on, to the fake Credentials service; sends queued eagerly."""
    with forwarding_to_fake(COURSE, CLIENT_ID, CLIENT_SECRET, settings, monkeypatch) as server:
        yield server


def now():
    return datetime.now(timezone.utc)


def extend(learner, due):
    """Give (or, with None, reset) the learner's personalized due date, as the instructor dashboard does."""
    with on_commit():
        when_api.set_date_for_block(COURSE, HOMEWORK, "due", due, user=learner, reason="Accommodation")


def held(server, user):
    return held_by_credentials(server, user, COURSE)


def frozen(user):
    return frozen_values(user, COURSE)


def lms_changes(user, percent, letter, passed):
    lms_stores(user, COURSE, percent, letter, passed)


def periodic_pass(monkeypatch=None, at=None):
    """What celery beat runs every GRADE_FREEZE_EXCEPTIONS_CHECK_INTERVAL_SECONDS, now or (its clock) at ``at``."""
    if at is not None:
        monkeypatch.setattr(extended_learners, "_now", lambda: at)
    with on_commit():
        tasks.close_learner_exceptions_task.delay()


def provisional_on_status_page():
    """What the course's status page says of provisional rows (None: nothing)."""
    staff = Client()
    staff.force_login(UserFactory(is_staff=True))
    page = staff.get(f"/api/grade_freeze/status/{COURSE}/").content.decode()
    start = page.find("data-provisional=")
    return None if start < 0 else " ".join(page[start:page.index("</p>", start)].split())


def take_snapshot():
    with on_commit():
        call_command("freeze_final_grades", COURSE, stdout=StringIO())


@pytest.fixture(name="course")
def fixture_course(lms, credentials):  # pylint: disable=unused-argument
    """A course that ended 40 days ago (frozen 10 days ago) whose homework was due on its last day; ada, bob, cy and
    dan enrolled with stored grades."""
    end = past_freeze_date(COURSE).end
    when_api.set_dates_for_course(COURSE, [(HOMEWORK, {"due": end})])
    learners = make_users(["ada", "bob", "cy", "dan"])
    enroll(COURSE, [user.pk for user in learners])
    store_grades(COURSE, {learners[0].pk: (0.4, "", False), learners[1].pk: (0.55, "C", True),
                          learners[2].pk: (0.6, "C", True), learners[3].pk: (0.3, "", False)})
    return learners


def test_after_their_own_freeze_date_the_pass_re_takes_the_extended_learners_row_once(
        course, credentials, monkeypatch, tracking_events):
    ada, bob, _, _ = course
    due = now() - timedelta(days=5)
    extend(ada, due)  # ada's own freeze date: 25 days from now
    own_freeze = due + timedelta(days=30)
    take_snapshot()
    assert frozen(ada) == (0.4, "", False, False) and held(credentials, ada) == (0.4, "")
    row = ExtendedLearnerRefreeze.objects.get()
    assert (row.user_id, row.freezes_at, row.refrozen_at) == (ada.pk, own_freeze, None)

    # During her extension ada's work is scored; bob's stored grade changes too (a regrade the freeze let through
    # would be re-taken by an operator, not by this pass).
    lms_changes(ada, 0.72, "B", passed=True)
    lms_changes(bob, 0.9, "A", passed=True)
    periodic_pass()
    assert frozen(ada) == (0.4, "", False, False)  # her freeze date is ahead: the snapshot row is provisional
    assert provisional_on_status_page() == (
        'data-provisional="1">1 of these row is provisional: the learner has a personalized due date, and each row '
        "is re-taken once the learner's own freeze date has passed.")
    posts = len(credentials.requests_to(GRADES_PATH))

    periodic_pass(monkeypatch, at=own_freeze + timedelta(seconds=1))

    assert frozen(ada) == (0.72, "B", True, True)
    assert held(credentials, ada) == (0.72, "B")
    assert frozen(bob) == (0.55, "C", True, False)  # untouched
    assert len(credentials.requests_to(GRADES_PATH)) - posts == 1
    row.refresh_from_db()
    assert row.refrozen_at == own_freeze + timedelta(seconds=1)
    assert row.note.startswith("Re-taken into the snapshot (run ") and row.note.endswith("re-sent to Credentials.")
    (event,) = events_named(tracking_events, tracking.LEARNER_REFROZEN)
    assert (event["user_id"], event["before"]["percent_grade"], event["after"]["percent_grade"]) == (ada.pk, 0.4, 0.72)
    assert "own freeze date" in event["reason"]
    assert provisional_on_status_page() is None

    lms_changes(ada, 0.8, "B", passed=True)  # a write after her freeze date would be refused; none is re-taken
    periodic_pass(monkeypatch, at=own_freeze + timedelta(days=1))
    assert frozen(ada) == (0.72, "B", True, True)
    assert len(credentials.requests_to(GRADES_PATH)) - posts == 1
    assert len(events_named(tracking_events, tracking.LEARNER_REFROZEN)) == 1
    assert SnapshotAuditEntry.objects.filter(action=SnapshotAuditEntry.ACTION_LEARNER_REFROZEN).count() == 1


def test_an_extension_given_after_the_snapshot_is_followed_and_a_longer_one_moves_the_re_take(
        course, monkeypatch):
    ada, _, _, _ = course
    take_snapshot()
    assert not ExtendedLearnerRefreeze.objects.exists()

    extend(ada, now() - timedelta(days=2))  # given after the course froze: ada's grades open again
    first = ExtendedLearnerRefreeze.objects.get(user_id=ada.pk)
    lms_changes(ada, 0.5, "D", passed=True)
    later_due = now() + timedelta(days=3)
    extend(ada, later_due)  # lengthened
    assert ExtendedLearnerRefreeze.objects.get(pk=first.pk).freezes_at == later_due + timedelta(days=30)

    periodic_pass(monkeypatch, at=first.freezes_at + timedelta(seconds=1))  # the first date: not due any more
    assert frozen(ada) == (0.4, "", False, False)
    periodic_pass(monkeypatch, at=later_due + timedelta(days=30, seconds=1))
    assert frozen(ada) == (0.5, "D", True, True)


def test_an_extension_removed_before_its_date_re_takes_only_a_grade_that_changed_meanwhile(
        course, credentials, tracking_events, monkeypatch, settings):
    _, bob, cy, dan = course
    settings.GRADE_FREEZE_POLICY_CACHE_SECONDS = 3600  # other processes may take an hour to notice a reset
    for learner in (cy, dan):
        extend(learner, now() - timedelta(days=5))
    take_snapshot()
    assert set(ExtendedLearnerRefreeze.objects.values_list("user_id", flat=True)) == {cy.pk, dan.pk}
    lms_changes(dan, 0.65, "C", passed=True)  # dan's work during his extension; cy's grade stays as frozen
    posts = len(credentials.requests_to(GRADES_PATH))

    extend(cy, None)  # the dashboard's "Reset extension": both freeze with the course again, at once
    extend(dan, None)
    periodic_pass()  # not yet: another process may still hold the extension in its cached policy
    assert frozen(dan) == (0.3, "", False, False)
    periodic_pass(monkeypatch, at=now() + timedelta(seconds=settings.GRADE_FREEZE_POLICY_CACHE_SECONDS + 1))

    assert frozen(cy) == (0.6, "C", True, False)  # nothing to re-take: no event, nothing sent
    assert frozen(dan) == (0.65, "C", True, True)
    assert frozen(bob) == (0.55, "C", True, False)
    assert [event["user_id"] for event in events_named(tracking_events, tracking.LEARNER_REFROZEN)] == [dan.pk]
    assert len(credentials.requests_to(GRADES_PATH)) - posts == 1
    notes = dict(ExtendedLearnerRefreeze.objects.values_list("user_id", "note"))
    assert notes[cy.pk] == "The stored grade is the frozen one: nothing re-taken."
    assert not ExtendedLearnerRefreeze.objects.filter(refrozen_at__isnull=True).exists()
    periodic_pass(monkeypatch, at=now() + timedelta(days=1))
    assert len(events_named(tracking_events, tracking.LEARNER_REFROZEN)) == 1
