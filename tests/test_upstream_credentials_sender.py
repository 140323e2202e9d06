"""
edx-platform's own Credentials sender routed through the plugin's outbox: the stand-ins' ``send_grade_if_interesting``
and receivers, real ``PERSISTENT_GRADE_SUMMARY_CHANGED`` events, and the fake Credentials service over HTTP.
"""
import importlib
import logging
import sys
from datetime import datetime, timedelta, timezone
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import DatabaseError
from django.test import TestCase
from opaque_keys.edx.keys import CourseKey
from openedx_events.learning.data import CourseData, PersistentCourseGradeData
from openedx_events.learning.signals import PERSISTENT_GRADE_SUMMARY_CHANGED

from openedx_grade_freeze.credentials import ledger, upstream_sender
from openedx_grade_freeze.models import DELIVERY_SENT, CourseGradeRecord, CredentialsDelivery, FrozenGradeDrift
from openedx_grade_freeze.platform import wiring
from tests.credentials_server import GRADES_PATH, serving
from tests.events import publish
from tests.forwarding import forwarding_to

RUN = "course-v1:OrgX+Routed+2026"
COURSE_KEY = CourseKey.from_string(RUN)
CLIENT_ID = "grade-freeze-routing"
CLIENT_SECRET = "grade-freeze-routing-secret"
SERVICE_USER = "credentials_service_user"
TASKS = "openedx.core.djangoapps.credentials.tasks.v1.tasks"
SIGNALS = "openedx.core.djangoapps.credentials.signals"
UTC = timezone.utc

pytestmark = pytest.mark.django_db


@pytest.fixture(name="server")
def fixture_server():
    with serving(RUN, CLIENT_ID, CLIENT_SECRET, username=SERVICE_USER) as fake:
        yield fake


@pytest.fixture(name="credentials")
def fixture_credentials(settings, platform, server, monkeypatch):
    """Both senders pointed at the fake: the plugin by OAuth2, upstream's stand-in by its JWT; forwarding on."""
    with forwarding_to(server, settings, monkeypatch, CLIENT_ID, CLIENT_SECRET,
                       GRADE_FREEZE_CREDENTIALS_TIMEOUT=(1.0, 1.0)):
        settings.CREDENTIALS_INTERNAL_SERVICE_URL = server.url
        settings.CREDENTIALS_SERVICE_USERNAME = SERVICE_USER
        settings.GRADE_FREEZE_TEST_JWT_SECRET = server.jwt_secret
        settings.GRADE_FREEZE_TEST_JWT_ISSUER = server.jwt_issuer
        settings.GRADE_FREEZE_TEST_JWT_AUDIENCE = server.jwt_audience
        platform.register_user(1000, SERVICE_USER, is_staff=True)
        from openedx.core.djangoapps.catalog.utils import set_programs

        set_programs([{"uuid": "p1", "courses": [{"course_runs": [{"key": RUN}]}]}])
        yield server


def wire(order="imported before activation"):
    """Activate the adapter with upstream's credentials modules imported before or after; returns them."""
    if order == "imported before activation":
        importlib.import_module(SIGNALS)
        assert wiring.activate() is True
    else:
        assert wiring.activate() is True
        assert TASKS not in sys.modules
        importlib.import_module(SIGNALS)
    return sys.modules[TASKS], sys.modules[SIGNALS]


def make_learner(platform, user_id, username):
    """The learner as a Django user (the plugin's outbox) and a stand-in user (upstream's code), same id."""
    get_user_model().objects.create(id=user_id, username=username)
    return platform.register_user(user_id, username)


def at(minutes):
    return datetime(2026, 3, 1, 12, 0, tzinfo=UTC) + timedelta(minutes=minutes)


def grade_event(user, percent, modified, letter="Pass"):
    """PERSISTENT_GRADE_SUMMARY_CHANGED as the LMS sends it after storing a course grade at ``modified``."""
    grade = PersistentCourseGradeData(
        user_id=user.id, course=CourseData(course_key=COURSE_KEY), course_edited_timestamp=modified,
        course_version="v1", grading_policy_hash="hash", percent_grade=percent, letter_grade=letter,
        passed_timestamp=modified if percent >= 0.5 else None,
    )
    with TestCase.captureOnCommitCallbacks(execute=True):
        PERSISTENT_GRADE_SUMMARY_CHANGED.send_event(time=modified, grade=grade)


def upstream_send(tasks, user, percent, last_updated, mode="verified", status="downloadable"):
    """Call upstream's ``send_grade_if_interesting`` as ``notify_credentials`` or a late caller does."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        tasks.send_grade_if_interesting(user, COURSE_KEY, mode, status, "Pass", percent,
                                        grade_last_updated=last_updated)


def stored(server, user):
    grade = server.get_grade(user.username, RUN)
    return None if grade is None else dict(grade, percent_grade=float(grade["percent_grade"]))


def sent_times(server):
    """The ``lms_last_updated_at`` of every grade the fake received, parsed, in order."""
    return [
        datetime.fromisoformat(request.data["lms_last_updated_at"].replace("Z", "+00:00"))
        for request in server.requests_to(GRADES_PATH)
    ]


def is_wired(function):
    return getattr(function, "grade_freeze_source", None)


# --- never an older grade after a newer one --------------------------------------------------------------------------

def test_an_older_upstream_send_after_the_plugins_newer_grade_changes_nothing(platform, credentials):
    tasks, _ = wire()
    learner = make_learner(platform, 7, "ada")
    grade_event(learner, 0.9, at(10))
    assert stored(credentials, learner)["percent_grade"] == pytest.approx(0.9)

    upstream_send(tasks, learner, 0.4, at(5))  # computed earlier, sent late

    assert stored(credentials, learner)["percent_grade"] == pytest.approx(0.9)
    assert stored(credentials, learner)["lms_last_updated_at"] == at(10)
    assert sent_times(credentials) == [at(10)]
    assert tasks.send_grade_to_credentials.calls == []


def test_upstream_sends_in_between_plugin_grades_never_regress(platform, credentials):
    tasks, _ = wire()
    learner = make_learner(platform, 7, "grace")
    grade_event(learner, 0.3, at(0))
    upstream_send(tasks, learner, 0.3, at(0))
    grade_event(learner, 0.6, at(2))
    upstream_send(tasks, learner, 0.3, at(0))
    upstream_send(tasks, learner, 0.6, at(2))

    times = sent_times(credentials)
    assert times == sorted(times) and times[-1] == at(2)
    assert stored(credentials, learner)["percent_grade"] == pytest.approx(0.6)
    assert tasks.send_grade_to_credentials.calls == []


def test_operators_can_keep_upstreams_sender_which_can_regress_a_grade(platform, credentials, settings):
    settings.GRADE_FREEZE_CREDENTIALS_REPLACE_UPSTREAM_SENDER = False
    tasks, _ = wire()
    learner = make_learner(platform, 7, "kept")
    grade_event(learner, 0.9, at(10))

    upstream_send(tasks, learner, 0.4, at(5))

    assert len(tasks.send_grade_to_credentials.calls) == 1
    assert stored(credentials, learner)["percent_grade"] == pytest.approx(0.4)  # Credentials is last-write-wins
    assert sent_times(credentials) == [at(10), at(5)]


def test_with_forwarding_off_upstream_posts_as_before(platform, credentials, settings):
    settings.GRADE_FREEZE_CREDENTIALS_ENABLED = False
    tasks, _ = wire()
    learner = make_learner(platform, 7, "upstream-only")

    upstream_send(tasks, learner, 0.4, at(5))

    assert len(tasks.send_grade_to_credentials.calls) == 1
    assert stored(credentials, learner)["percent_grade"] == pytest.approx(0.4)
    assert stored(credentials, learner)["lms_last_updated_at"] == at(5)
    assert not CredentialsDelivery.objects.exists()


# --- wiring ----------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("order", ["imported before activation", "imported after activation"])
def test_upstreams_grade_change_receiver_is_routed_whatever_the_import_order(platform, credentials, order):
    tasks, signals = wire(order)
    assert is_wired(tasks.send_grade_if_interesting) == "credentials.send_grade_if_interesting"
    assert is_wired(signals.send_grade_if_interesting) == f"send_grade_if_interesting@{SIGNALS}"
    signals.connect_receivers()
    from lms.djangoapps.grades import tasks as grade_tasks
    from openedx.core.djangoapps.content.course_overviews.models import CourseOverview

    CourseOverview.create(RUN, end=platform.utcnow() + timedelta(days=30))
    learner = make_learner(platform, 7, "receiver")
    platform.enroll(learner, COURSE_KEY)
    grade_tasks.set_raw_score(7, "block-v1:OrgX+Routed+2026+type@sequential+block@week1", 8, 10)

    # The LMS stores the grade (PERSISTENT_GRADE_SUMMARY_CHANGED → ledger), then COURSE_GRADE_CHANGED → upstream.
    with TestCase.captureOnCommitCallbacks(execute=True):
        grade_tasks.recalculate_subsection_grade_v3.apply_async(kwargs={
            "user_id": 7, "course_id": RUN, "usage_id": "block-v1:OrgX+Routed+2026+type@sequential+block@week1",
            "only_if_higher": False, "score_deleted": False, "score_db_table": "csm",
        })

    assert stored(credentials, learner)["percent_grade"] == pytest.approx(0.8)
    assert len(credentials.requests_to(GRADES_PATH)) == 1
    assert tasks.send_grade_to_credentials.calls == []


def test_deactivate_restores_upstreams_sender(platform):
    tasks_module = importlib.import_module(TASKS)
    original = tasks_module.send_grade_if_interesting
    wiring.activate()
    signals = importlib.import_module(SIGNALS)  # imported while wired
    assert is_wired(tasks_module.send_grade_if_interesting) and is_wired(signals.send_grade_if_interesting)

    wiring.deactivate()

    assert tasks_module.send_grade_if_interesting is original
    assert signals.send_grade_if_interesting is original


def test_a_changed_upstream_sender_is_reported_and_left_alone(platform, caplog, monkeypatch):
    tasks_module = importlib.import_module(TASKS)

    def send_grade_if_interesting(user, course_run_key, mode, status, letter_grade, percent_grade, verbose=False):
        """The older signature, without ``grade_last_updated``."""

    monkeypatch.setattr(tasks_module, "send_grade_if_interesting", send_grade_if_interesting)
    with caplog.at_level(logging.ERROR, logger="openedx_grade_freeze"):
        wiring.activate()

    assert "credentials.send_grade_if_interesting" in wiring.describe()["problems"]
    assert "edx-platform's own Credentials sender keeps posting" in caplog.text
    assert tasks_module.send_grade_if_interesting is send_grade_if_interesting


# --- learners the ledger does not know --------------------------------------------------------------------------------

def test_a_learner_missing_from_the_ledger_is_seeded_from_the_lms_grade(platform, credentials):
    tasks, signals = wire()
    from lms.djangoapps.grades.models import PersistentCourseGrade

    learner = make_learner(platform, 7, "before-install")
    persisted = PersistentCourseGrade(user_id=7, course_id=COURSE_KEY, percent_grade=0.72, letter_grade="Pass",
                                      passed_timestamp=at(-60))
    persisted.save()  # stored before the plugin was installed: no event, no ledger row

    with TestCase.captureOnCommitCallbacks(execute=True):
        signals.handle_cert_change(user=learner, course_key=COURSE_KEY, mode="verified", status="downloadable")

    record = CourseGradeRecord.objects.get(user_id=7)
    assert (record.percent_grade, record.passed, record.source_event_id) == (0.72, True, upstream_sender.SEED_SOURCE)
    assert record.last_modified == persisted.modified
    grade = stored(credentials, learner)
    assert grade["percent_grade"] == pytest.approx(0.72)
    assert grade["lms_last_updated_at"] == persisted.modified
    assert tasks.send_grade_to_credentials.calls == []
    delivery = CredentialsDelivery.objects.get(user_id=7)
    assert (delivery.status, delivery.sent_last_modified) == (DELIVERY_SENT, persisted.modified)


def test_without_any_grade_upstream_sends_it_and_says_why(platform, credentials, caplog):
    tasks, _ = wire()
    learner = make_learner(platform, 7, "no-grade")

    with caplog.at_level(logging.INFO, logger="openedx_grade_freeze"):
        upstream_send(tasks, learner, 0.6, at(3))

    assert "edx-platform's own sender handles this one" in caplog.text
    assert len(tasks.send_grade_to_credentials.calls) == 1
    assert stored(credentials, learner)["percent_grade"] == pytest.approx(0.6)


# --- the freeze and upstream's conditions -----------------------------------------------------------------------------

def test_a_frozen_courses_post_freeze_grade_is_not_sent_by_upstream_either(platform, credentials):
    tasks, signals = wire()
    learner = make_learner(platform, 7, "frozen")
    now = datetime.now(UTC)
    publish(RUN, end=now + timedelta(days=60), time=now - timedelta(hours=2))
    grade_event(learner, 0.55, now - timedelta(hours=1))
    publish(RUN, end=now - timedelta(days=90), time=now - timedelta(minutes=30))  # frozen now
    grade_event(learner, 0.99, now)  # a write outside the guard: drift

    from lms.djangoapps.grades.course_grade import CourseGrade

    computed = CourseGrade(learner, COURSE_KEY, 0.99, "Pass", True, attempted=True)
    with TestCase.captureOnCommitCallbacks(execute=True):  # COURSE_GRADE_CHANGED with the computed grade
        signals.handle_grade_change(user=learner, course_grade=computed, course_key=COURSE_KEY)
    upstream_send(tasks, learner, 0.99, now)

    assert stored(credentials, learner)["percent_grade"] == pytest.approx(0.55)
    assert len(credentials.requests_to(GRADES_PATH)) == 1
    assert tasks.send_grade_to_credentials.calls == []


def test_mirroring_upstream_conditions_judges_the_mode_and_status_upstream_was_given(
    platform, credentials, settings, monkeypatch
):
    settings.GRADE_FREEZE_CREDENTIALS_MIRROR_UPSTREAM_CONDITIONS = True
    tasks, _ = wire()
    learner = make_learner(platform, 7, "auditor")
    grade_event(learner, 0.5, at(0))  # skipped by the outbox: no certificate yet
    requested = []
    monkeypatch.setattr(upstream_sender, "request_grade_send",
                        lambda user_id, course_key, reason="": requested.append(user_id) or upstream_sender.QUEUED)

    upstream_send(tasks, learner, 0.5, at(0), mode="audit", status="downloadable")
    assert requested == []  # upstream would not have sent it either
    upstream_send(tasks, learner, 0.5, at(0), mode="verified", status="downloadable")
    assert requested == [7]
    assert tasks.send_grade_to_credentials.calls == []


# --- a grade the ledger could not record ------------------------------------------------------------------------------

def test_a_grade_whose_recording_failed_is_recovered_from_the_lms_on_upstreams_next_call(
    platform, credentials, monkeypatch
):
    tasks, signals = wire()
    from lms.djangoapps.grades.course_grade import CourseGrade
    from lms.djangoapps.grades.models import PersistentCourseGrade

    learner = make_learner(platform, 7, "db-error")
    with TestCase.captureOnCommitCallbacks(execute=True):
        PersistentCourseGrade.update_or_create(7, COURSE_KEY, percent_grade=0.5, letter_grade="Pass", passed=True)
    assert stored(credentials, learner)["percent_grade"] == pytest.approx(0.5)

    def database_down(change):
        raise DatabaseError("Lost connection to server during query")

    monkeypatch.setattr(ledger, "record_grade_change", database_down)
    with TestCase.captureOnCommitCallbacks(execute=True):  # stored in the LMS; the ledger misses it
        newer = PersistentCourseGrade.update_or_create(7, COURSE_KEY, percent_grade=0.8, letter_grade="Pass",
                                                       passed=True)
    monkeypatch.undo()
    assert CourseGradeRecord.objects.get(user_id=7).percent_grade == 0.5

    # COURSE_GRADE_CHANGED (or notify_credentials) reaches upstream's sender, which the plugin handles.
    computed = CourseGrade(learner, COURSE_KEY, 0.8, "Pass", True, attempted=True)
    with TestCase.captureOnCommitCallbacks(execute=True):
        signals.handle_grade_change(user=learner, course_grade=computed, course_key=COURSE_KEY)

    record = CourseGradeRecord.objects.get(user_id=7)
    assert (record.percent_grade, record.last_modified) == (0.8, newer.modified)
    assert stored(credentials, learner)["percent_grade"] == pytest.approx(0.8)
    assert stored(credentials, learner)["lms_last_updated_at"] == newer.modified
    assert tasks.send_grade_to_credentials.calls == []


def test_the_replay_command_recovers_a_grade_whose_recording_failed(platform, credentials, monkeypatch):
    wire()
    from lms.djangoapps.grades.models import PersistentCourseGrade

    learner = make_learner(platform, 7, "db-error-replayed")
    with TestCase.captureOnCommitCallbacks(execute=True):
        PersistentCourseGrade.update_or_create(7, COURSE_KEY, percent_grade=0.5, letter_grade="Pass", passed=True)
    monkeypatch.setattr(ledger, "record_grade_change", lambda change: (_ for _ in ()).throw(DatabaseError("down")))
    with TestCase.captureOnCommitCallbacks(execute=True):
        newer = PersistentCourseGrade.update_or_create(7, COURSE_KEY, percent_grade=0.8, letter_grade="Pass",
                                                       passed=True)
    monkeypatch.undo()

    out = StringIO()
    call_command("send_grades_to_credentials", "--courses", RUN, "--dry-run", stdout=out)
    assert "would send 1" in out.getvalue()
    assert CourseGradeRecord.objects.get(user_id=7).percent_grade == 0.5  # a dry run changes nothing

    out = StringIO()
    call_command("send_grades_to_credentials", "--courses", RUN, "--rate", "100", stdout=out)

    assert "sent 1" in out.getvalue()
    assert CourseGradeRecord.objects.get(user_id=7).percent_grade == 0.8
    assert stored(credentials, learner)["percent_grade"] == pytest.approx(0.8)
    assert stored(credentials, learner)["lms_last_updated_at"] == newer.modified


def test_an_event_handled_after_a_newer_write_never_hides_the_newer_grade(platform, credentials):
    """Two recalculations race: the first's event is handled after the second's write; the newest grade wins."""
    wire()
    from lms.djangoapps.grades.models import PersistentCourseGrade

    learner = make_learner(platform, 7, "racing")
    newer = PersistentCourseGrade(user_id=7, course_id=COURSE_KEY, percent_grade=0.8, letter_grade="Pass",
                                  passed_timestamp=at(0))
    newer.save()  # the second task's write lands before the first task's event is handled

    grade_event(learner, 0.5, at(0))  # the first task's event: its payload is the older grade
    grade_event(learner, 0.8, at(1))  # the second task's event

    record = CourseGradeRecord.objects.get(user_id=7)
    assert (record.percent_grade, record.last_modified) == (0.8, newer.modified)
    assert stored(credentials, learner)["percent_grade"] == pytest.approx(0.8)
    assert stored(credentials, learner)["lms_last_updated_at"] == newer.modified


# --- catching up from the LMS: send_grades_to_credentials --from-lms --------------------------------------------------

OTHER_RUN = "course-v1:OrgX+Other+2026"


def stored_in_lms(user_id, percent, modified, course_id=RUN):
    """A PersistentCourseGrade written without any event (before the plugin was installed), last modified then."""
    from lms.djangoapps.grades.models import PersistentCourseGrade

    grade = PersistentCourseGrade(user_id=user_id, course_id=CourseKey.from_string(course_id), percent_grade=percent,
                                  letter_grade="Pass" if percent >= 0.5 else "", passed_timestamp=None)
    grade.save()
    grade.modified = modified
    return grade


def replay(*args):
    out = StringIO()
    call_command("send_grades_to_credentials", "--rate", "100", *args, stdout=out)
    return out.getvalue()


def test_catching_up_from_the_lms_sends_grades_the_ledger_never_saw(platform, credentials):
    first, second = make_learner(platform, 7, "installed-after"), make_learner(platform, 8, "also-before")
    make_learner(platform, 9, "other-course")
    stored_in_lms(7, 0.72, at(-60))
    stored_in_lms(8, 0.31, at(-30))
    stored_in_lms(9, 0.9, at(-10), course_id=OTHER_RUN)

    assert "0 grades: sent 0" in replay("--courses", RUN)  # the ledger alone knows nothing

    out = replay("--from-lms", "--courses", RUN)

    assert "[LMS 2/2] recorded 2, drift 0, up to date 0" in out
    assert "2 LMS grades: recorded 2, drift 0, up to date 0; 2 grades: sent 2, skipped 0, failed 0." in out
    assert sent_times(credentials) == [at(-60), at(-30)]  # oldest first, each with its LMS ``modified``
    assert stored(credentials, first)["percent_grade"] == pytest.approx(0.72)
    assert stored(credentials, second)["percent_grade"] == pytest.approx(0.31)
    assert {record.source_event_id for record in CourseGradeRecord.objects.all()} == {upstream_sender.SEED_SOURCE}
    assert not CourseGradeRecord.objects.filter(user_id=9).exists()  # not a selected course

    out = replay("--from-lms", "--courses", RUN)  # again: nothing new
    assert "2 LMS grades: recorded 0, drift 0, up to date 2; 2 grades: sent 0, skipped 2, failed 0." in out
    assert len(credentials.requests_to(GRADES_PATH)) == 2


def test_catching_up_from_the_lms_honours_the_learner_and_date_filters(platform, credentials):
    for user_id, minutes in ((7, -90), (8, -30), (9, -20), (10, 0)):
        make_learner(platform, user_id, f"learner{user_id}")
        stored_in_lms(user_id, 0.6, at(minutes))
    make_learner(platform, 11, "no-lms-grade")

    out = replay("--from-lms", "--courses", RUN, "--user-ids", "7", "8", "10", "11",
                 "--start-date", at(-60).isoformat(), "--end-date", at(0).isoformat())

    assert "1 LMS grades: recorded 1" in out  # 7 is too old, 9 not selected, 10 at the (exclusive) end
    assert sorted(CourseGradeRecord.objects.values_list("user_id", flat=True)) == [8]
    assert sent_times(credentials) == [at(-30)]

    assert "0 LMS grades" in replay("--from-lms", "--courses", RUN, "--user-ids", "12")  # an unknown learner


@pytest.fixture(name="recent_grades_shape", params=["course-keys-dates", "user", "users"])
def fixture_recent_grades_shape(request, platform):
    """Upstream's ``get_recently_modified_grades`` in each signature found upstream (set before anything imports it)."""
    platform.use_recent_grades_shape(request.param)
    yield request.param


def test_catching_up_from_the_lms_works_with_each_shape_of_upstreams_grade_query(recent_grades_shape, platform,
                                                                                 credentials):
    """Teak, Ulmo and Verawood take ``users=``; older copies take one ``user=`` or no learner at all."""
    from lms.djangoapps.grades import api as grades_api

    for user_id, minutes in ((7, -50), (8, -40), (9, -20)):
        make_learner(platform, user_id, f"learner{user_id}")
        stored_in_lms(user_id, 0.6, at(minutes))
    learners = [get_user_model().objects.get(id=7)]
    if recent_grades_shape != "users":  # what the plugin used to pass, whatever the release
        with pytest.raises(TypeError):
            grades_api.get_recently_modified_grades([COURSE_KEY], None, None, users=learners)

    out = replay("--from-lms", "--courses", RUN, "--user-ids", "9", "7", "12")

    assert "2 LMS grades: recorded 2" in out
    assert sorted(CourseGradeRecord.objects.values_list("user_id", flat=True)) == [7, 9]
    assert sent_times(credentials) == [at(-50), at(-20)]  # oldest first, as upstream orders them
    assert "3 LMS grades: recorded 1, drift 0, up to date 2" in replay("--from-lms", "--courses", RUN)


def test_catching_up_from_the_lms_never_regresses_a_newer_ledger_grade(platform, credentials):
    learner = make_learner(platform, 7, "ledger-newer")
    grade_event(learner, 0.9, at(0))  # recorded and sent
    stored_in_lms(7, 0.4, at(-60))  # the LMS's row is older than what the ledger holds

    out = replay("--from-lms", "--courses", RUN)

    assert "1 LMS grades: recorded 0, drift 0, up to date 1; 1 grades: sent 0, skipped 1, failed 0." in out
    record = CourseGradeRecord.objects.get(user_id=7)
    assert (record.percent_grade, record.last_modified) == (0.9, at(0))
    assert stored(credentials, learner)["percent_grade"] == pytest.approx(0.9)
    assert len(credentials.requests_to(GRADES_PATH)) == 1


def test_catching_up_from_the_lms_records_post_freeze_grades_as_drift(platform, credentials):
    graded, unknown = make_learner(platform, 7, "frozen-graded"), make_learner(platform, 8, "frozen-unknown")
    now = datetime.now(UTC)
    publish(RUN, end=now + timedelta(days=60), time=now - timedelta(hours=2))
    grade_event(graded, 0.55, now - timedelta(hours=1))
    publish(RUN, end=now - timedelta(days=90), time=now - timedelta(minutes=30))  # frozen now
    stored_in_lms(7, 0.99, now - timedelta(minutes=5))  # written after the freeze, outside the guard
    stored_in_lms(8, 0.8, now - timedelta(minutes=4))

    assert "would record 0, would record as drift 2" in replay("--from-lms", "--courses", RUN, "--dry-run")
    out = replay("--from-lms", "--courses", RUN)

    assert "2 LMS grades: recorded 0, drift 2, up to date 0" in out
    assert FrozenGradeDrift.objects.count() == 2
    assert CourseGradeRecord.objects.get(user_id=7).percent_grade == 0.55  # the frozen grade stays
    assert not CourseGradeRecord.objects.filter(user_id=8).exists()
    assert stored(credentials, graded)["percent_grade"] == pytest.approx(0.55)
    assert stored(credentials, unknown) is None
    assert len(credentials.requests_to(GRADES_PATH)) == 1

    assert "recorded 0, drift 0, up to date 2" in replay("--from-lms", "--courses", RUN)  # known drift: once


def test_catching_up_from_the_lms_as_a_dry_run_records_nothing(platform, credentials):
    make_learner(platform, 7, "dry")
    stored_in_lms(7, 0.72, at(-60))

    out = replay("--from-lms", "--courses", RUN, "--dry-run")

    assert "[LMS 1/1] would record 1, would record as drift 0, up to date 0" in out
    assert "Dry run: 1 LMS grades: would record 1, would record as drift 0, up to date 0; 0 grades:" in out
    assert not CourseGradeRecord.objects.exists()
    assert not CredentialsDelivery.objects.exists()
    assert credentials.requests_to(GRADES_PATH) == []
