"""
Forwarding grades to Credentials: real PERSISTENT_GRADE_SUMMARY_CHANGED events, the outbox, and the fake
Credentials service over HTTP (tasks run eagerly here; tests/integration runs real workers).
"""
import importlib
import logging
import time
from datetime import datetime, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core import checks
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import TestCase
from kombu.exceptions import OperationalError
from opaque_keys.edx.keys import CourseKey

from openedx_grade_freeze import tasks
from openedx_grade_freeze.credentials import client as credentials_client
from openedx_grade_freeze.credentials import config, leases, outbox
from openedx_grade_freeze.models import (
    DELIVERY_CERTIFICATE_DATE,
    DELIVERY_FAILED,
    DELIVERY_PENDING,
    DELIVERY_REJECTED,
    DELIVERY_SENT,
    DELIVERY_SKIPPED,
    DELIVERY_WAITING,
    CourseGradeRecord,
    CredentialsDelivery,
    FrozenGradeDrift,
)
from openedx_grade_freeze.platform import credentials_service, site_configuration
from openedx_grade_freeze.settings import production
from tests.credentials_server import COURSE_CERTIFICATES_PATH, GRADES_PATH
from tests.events import publish
from tests.forwarding import (
    CLIENT_ID,
    CLIENT_SECRET,
    RUN,
    UNKNOWN_RUN,
    UTC,
    at,
    delivery_of,
    grade_event,
    make_due,
    make_user,
    posted,
    stored,
    wait_until_due,
)

pytestmark = pytest.mark.django_db


def test_a_grade_reaches_credentials_with_its_last_modified_time(forwarding):
    learner = make_user("ada")
    grade_event(learner, 0.8512, at(0), letter="B", passed=True)

    grade = stored(forwarding, learner)
    assert grade["percent_grade"] == pytest.approx(0.8512)
    assert grade["letter_grade"] == "B"
    assert grade["verified"] is True
    assert grade["lms_last_updated_at"] == at(0)
    request = forwarding.requests_to(GRADES_PATH)[0]
    assert request.data["lms_last_updated_at"] == "2026-03-01T12:00:00.000000Z"
    delivery = delivery_of(learner)
    assert (delivery.status, delivery.attempts, delivery.response_status) == (DELIVERY_SENT, 1, 201)
    assert delivery.sent_last_modified == at(0)
    record = CourseGradeRecord.objects.get(user_id=learner.pk)
    assert (record.percent_grade, record.passed, record.last_modified) == (0.8512, True, at(0))


def test_the_lms_modified_time_wins_over_the_event_time(platform, forwarding):
    from lms.djangoapps.grades.models import PersistentCourseGrade

    learner = make_user("lms-time")
    grade = PersistentCourseGrade(user_id=learner.pk, course_id=CourseKey.from_string(RUN), percent_grade=0.5,
                                  letter_grade="", passed_timestamp=None)
    grade.save()
    grade.modified = at(-30)  # the LMS stored it half an hour before the event is handled
    grade_event(learner, 0.5, at(0))
    assert stored(forwarding, learner)["lms_last_updated_at"] == at(-30)


def test_out_of_order_events_leave_the_newest_grade_in_credentials(forwarding):
    learner = make_user("grace")
    grade_event(learner, 0.9, at(10))
    grade_event(learner, 0.4, at(5))  # older, arriving late (a retried task, a replayed event)
    grade_event(learner, 0.9, at(10))  # the same event again

    assert stored(forwarding, learner)["percent_grade"] == pytest.approx(0.9)
    assert len(forwarding.requests_to(GRADES_PATH)) == 1
    assert CourseGradeRecord.objects.get(user_id=learner.pk).last_modified == at(10)


def test_older_grade_never_follows_a_newer_one_while_credentials_is_failing(forwarding):
    learner = make_user("failing")
    forwarding.fail_next(2, status=503)
    grade_event(learner, 0.3, at(0))
    grade_event(learner, 0.6, at(2))
    grade_event(learner, 0.5, at(1))  # late and older: ignored by the ledger
    wait_until_due(delivery_of(learner))
    tasks.drain_credentials_deliveries.delay()

    assert posted(forwarding) == ["0.3000", "0.6000", "0.6000"]  # two 503s, then the newest once
    assert stored(forwarding, learner)["percent_grade"] == pytest.approx(0.6)
    assert delivery_of(learner).status == DELIVERY_SENT


def test_a_change_during_a_send_is_sent_next(forwarding, monkeypatch):
    learner = make_user("racer")
    original = credentials_client.CredentialsClient.send_grade
    changed = []

    def send_grade(self, *args, **kwargs):
        if not changed:  # the LMS stores a newer grade while this request is in flight
            changed.append(True)
            grade_event(learner, 0.7, at(1))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(credentials_client.CredentialsClient, "send_grade", send_grade)
    grade_event(learner, 0.2, at(0))

    assert posted(forwarding) == ["0.2000", "0.7000"]
    assert posted(forwarding, "lms_last_updated_at") == ["2026-03-01T12:00:00.000000Z", "2026-03-01T12:01:00.000000Z"]
    assert stored(forwarding, learner)["percent_grade"] == pytest.approx(0.7)
    assert delivery_of(learner).sent_last_modified == at(1)


def test_a_retry_is_queued_again_with_its_backoff_and_sent_by_that_message(forwarding, delayed_sends):
    learner = make_user("requeued")
    forwarding.fail_next(1, status=503)
    grade_event(learner, 0.35, at(0))

    delivery = delivery_of(learner)
    assert (delivery.status, delivery.attempts) == (DELIVERY_PENDING, 1)
    ((delivery_id, countdown, _),) = delayed_sends.messages  # the retry's own message, not left to the drain
    # The first retry waits half to all of the first backoff step (0.05 s here), with jitter.
    assert delivery_id == delivery.pk and 0.025 <= countdown <= 0.05
    assert delayed_sends.deliver_when_due() == [delivery.pk]

    assert stored(forwarding, learner)["percent_grade"] == pytest.approx(0.35)
    assert posted(forwarding) == ["0.3500", "0.3500"]
    assert (delivery_of(learner).status, delivery_of(learner).attempts) == (DELIVERY_SENT, 2)
    assert delayed_sends.messages == []


def test_credentials_down_for_a_while_then_every_grade_arrives(forwarding):
    learners = [make_user(f"learner{i}") for i in range(5)]
    forwarding.set_down(True)
    for index, learner in enumerate(learners):
        grade_event(learner, 0.1 * index, at(0))
        grade_event(learner, 0.1 * index + 0.05, at(1))
    deliveries = [delivery_of(learner) for learner in learners]
    assert {d.status for d in deliveries} == {DELIVERY_PENDING}
    assert all("ConnectionError" in d.last_error for d in deliveries)

    wait_until_due(*deliveries)
    tasks.drain_credentials_deliveries.delay()  # still down: one more attempt each, nothing lost
    assert {d.status for d in CredentialsDelivery.objects.all()} == {DELIVERY_PENDING}

    forwarding.set_down(False)
    wait_until_due(*deliveries)
    tasks.drain_credentials_deliveries.delay()

    for index, learner in enumerate(learners):
        assert stored(forwarding, learner)["percent_grade"] == pytest.approx(0.1 * index + 0.05)
        assert stored(forwarding, learner)["lms_last_updated_at"] == at(1)
    assert {d.status for d in CredentialsDelivery.objects.all()} == {DELIVERY_SENT}
    assert len(forwarding.requests_to(GRADES_PATH)) == len(learners)


def test_exhausted_retries_leave_the_delivery_failed_until_the_drain_redrives_it(forwarding, settings):
    settings.GRADE_FREEZE_CREDENTIALS_MAX_ATTEMPTS = 2
    settings.GRADE_FREEZE_CREDENTIALS_FAILED_RETRY_SECONDS = 3600  # "not yet" holds however slow the machine is
    learner = make_user("patient")
    forwarding.set_down(True)
    grade_event(learner, 0.42, at(0))
    wait_until_due(delivery_of(learner))
    assert tasks.drain_credentials_deliveries.delay().get() == {"failed": 1}
    delivery = delivery_of(learner)
    assert (delivery.status, delivery.attempts) == (DELIVERY_FAILED, 2)

    forwarding.set_down(False)
    assert tasks.drain_credentials_deliveries.delay().get() == {}  # failed: waits FAILED_RETRY_SECONDS
    make_due(delivery)
    assert tasks.drain_credentials_deliveries.delay().get() == {"sent": 1}
    assert stored(forwarding, learner)["percent_grade"] == pytest.approx(0.42)


def test_a_dropped_connection_or_timeout_is_retried(forwarding):
    learner = make_user("dropped")
    forwarding.drop_next(1)
    grade_event(learner, 0.61, at(0))
    assert forwarding.requests[0].status is None  # the connection was closed without an answer
    assert delivery_of(learner).status == DELIVERY_PENDING
    forwarding.set_delay(1.5)  # longer than the 1 s read timeout
    wait_until_due(delivery_of(learner))
    tasks.drain_credentials_deliveries.delay()
    assert "ReadTimeout" in delivery_of(learner).last_error
    forwarding.set_delay(0)
    wait_until_due(delivery_of(learner))
    tasks.drain_credentials_deliveries.delay()
    assert stored(forwarding, learner)["percent_grade"] == pytest.approx(0.61)


def test_a_field_error_in_a_built_payload_is_rejected_as_a_bug_and_not_retried(forwarding):
    learner = make_user("bad-payload")
    forwarding.fail_next(1, status=400, body={"letter_grade": ["Ensure this field has no more than 255 characters."]})
    grade_event(learner, 0.5, at(0))
    delivery = delivery_of(learner)
    assert (delivery.status, delivery.response_status) == (DELIVERY_REJECTED, 400)
    assert "a bug" in delivery.last_error and "fields: letter_grade" in delivery.last_error
    assert tasks.drain_credentials_deliveries.delay().get() == {}
    assert len(forwarding.requests_to(GRADES_PATH)) == 1


def test_429_retry_after_is_honoured(forwarding):
    learner = make_user("throttled")
    forwarding.fail_next(1, status=429, body={"detail": "Request was throttled."}, headers={"Retry-After": "1"})
    before = datetime.now(UTC)
    grade_event(learner, 0.77, at(0))
    delivery = delivery_of(learner)
    assert delivery.status == DELIVERY_PENDING
    assert "429" in delivery.last_error
    assert delivery.next_attempt_at >= before + timedelta(seconds=1)

    assert tasks.drain_credentials_deliveries.delay().get() == {}  # not due yet: no request
    assert len(forwarding.requests_to(GRADES_PATH)) == 1
    wait_until_due(delivery)
    tasks.drain_credentials_deliveries.delay()
    assert stored(forwarding, learner)["percent_grade"] == pytest.approx(0.77)


def test_a_frozen_courses_changes_are_recorded_as_drift_and_not_sent(forwarding):
    learner = make_user("frozen")
    now = datetime.now(UTC)
    publish(RUN, end=now + timedelta(days=60), time=now - timedelta(hours=2))
    grade_event(learner, 0.55, now - timedelta(hours=1))
    assert stored(forwarding, learner)["percent_grade"] == pytest.approx(0.55)

    publish(RUN, end=now - timedelta(days=90), time=now - timedelta(minutes=30))  # ended long ago: frozen
    grade_event(learner, 0.99, now)  # a write path outside the guard changed it anyway
    grade_event(learner, 0.55, now + timedelta(seconds=1))  # a recomputation with the frozen value: not drift

    assert stored(forwarding, learner)["percent_grade"] == pytest.approx(0.55)
    assert len(forwarding.requests_to(GRADES_PATH)) == 1
    drift = FrozenGradeDrift.objects.get()
    assert (drift.user_id, drift.frozen_percent_grade, drift.percent_grade) == (learner.pk, 0.55, 0.99)
    assert drift.freeze_date == now - timedelta(days=90) + timedelta(days=30)
    assert CourseGradeRecord.objects.get(user_id=learner.pk).percent_grade == 0.55


def test_forwarding_is_off_by_default_but_the_ledger_is_kept(server, settings):
    assert not config.forwarding_enabled("Org")
    learner = make_user("quiet")
    grade_event(learner, 0.3, at(0))
    assert CourseGradeRecord.objects.filter(user_id=learner.pk).exists()
    assert not CredentialsDelivery.objects.exists()
    assert server.requests == []


def test_enabled_without_credentials_settings_sends_nothing(server, settings):
    settings.GRADE_FREEZE_CREDENTIALS_ENABLED = True
    settings.CREDENTIALS_INTERNAL_SERVICE_URL = None
    learner = make_user("unconfigured")
    grade_event(learner, 0.3, at(0))
    assert not CredentialsDelivery.objects.exists()


def test_site_configuration_turns_forwarding_off_for_an_org(forwarding, monkeypatch):
    monkeypatch.setattr(
        site_configuration, "get_site_configuration_value",
        lambda org, name: {"CREDENTIALS_FORWARDING": False} if org == "Org" else None,
    )
    learner = make_user("site-off")
    grade_event(learner, 0.3, at(0))
    assert not CredentialsDelivery.objects.exists()
    assert forwarding.requests_to(GRADES_PATH) == []


def test_mirroring_upstream_conditions(forwarding, settings, monkeypatch):
    settings.GRADE_FREEZE_CREDENTIALS_MIRROR_UPSTREAM_CONDITIONS = True
    decisions = {"audit": {"send": False, "verified": False, "reason": "mode (audit) is not interesting"}}
    monkeypatch.setattr(
        credentials_service, "upstream_grade_send_conditions",
        lambda user_id, course_key: decisions.get(get_user_model().objects.get(pk=user_id).username,
                                                  {"send": True, "verified": False, "reason": "ok"}),
        raising=False,
    )
    auditor, other = make_user("audit"), make_user("honor")
    grade_event(auditor, 0.3, at(0))
    grade_event(other, 0.4, at(0))

    skipped = delivery_of(auditor)
    assert skipped.status == DELIVERY_SKIPPED
    assert "mode (audit) is not interesting" in skipped.last_error
    assert stored(forwarding, auditor) is None
    assert stored(forwarding, other)["verified"] is False


def test_broker_down_leaves_the_delivery_pending_for_the_drain(forwarding, monkeypatch):
    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(tasks.send_credentials_delivery, "apply_async", broker_down)
    learner = make_user("no-broker")
    grade_event(learner, 0.66, at(0))
    assert delivery_of(learner).status == DELIVERY_PENDING
    assert forwarding.requests_to(GRADES_PATH) == []

    monkeypatch.undo()
    assert tasks.drain_credentials_deliveries.delay().get() == {"sent": 1}
    assert stored(forwarding, learner)["percent_grade"] == pytest.approx(0.66)


def test_a_worker_killed_mid_send_leaves_the_delivery_to_another_after_its_lease(forwarding, settings, monkeypatch):
    settings.GRADE_FREEZE_CREDENTIALS_LEASE_SECONDS = 3600
    learner = make_user("orphan")
    monkeypatch.setattr(outbox, "queue_delivery", lambda *args, **kwargs: None)  # the task message is lost too
    grade_event(learner, 0.81, at(0))
    delivery = delivery_of(learner)
    assert leases.claim([delivery.pk]) != []
    # ...and the worker holding the claim dies here, before sending.

    assert tasks.drain_credentials_deliveries.delay().get() == {}  # leased: nobody else may send it
    # The hour's lease runs out (moved back rather than waited for, so no machine is too slow for the first drain).
    CredentialsDelivery.objects.filter(pk=delivery.pk).update(lease_expires_at=datetime.now(UTC) - timedelta(seconds=1))
    assert tasks.drain_credentials_deliveries.delay().get() == {"sent": 1}
    assert delivery_of(learner).attempts == 2
    assert stored(forwarding, learner)["percent_grade"] == pytest.approx(0.81)


def test_certificate_available_date_follows_the_course_end_from_the_first_publish(forwarding, settings):
    settings.GRADE_FREEZE_CREDENTIALS_CERTIFICATES_AVAILABLE_AT_END = ["Org"]
    first_end, new_end = datetime(2026, 6, 1, tzinfo=UTC), datetime(2026, 7, 1, tzinfo=UTC)
    publish(RUN, end=first_end, time=at(0))  # the run's first publish: its end date is the first available date
    assert forwarding.get_certificate(RUN, "verified")["certificate_available_date"] == first_end

    publish(RUN, end=new_end, time=at(1))
    certificate = forwarding.get_certificate(RUN, "verified")
    assert certificate["certificate_available_date"] == new_end
    assert certificate["is_active"] is True
    deliveries = CredentialsDelivery.objects.filter(kind=DELIVERY_CERTIFICATE_DATE)
    assert {d.status for d in deliveries} == {DELIVERY_SENT}

    publish(RUN, end=new_end + timedelta(days=1), time=at(2), pacing="self")  # self-paced: no date to send
    assert len(forwarding.requests_to(COURSE_CERTIFICATES_PATH)) == 2


def test_one_certificate_type_per_run_even_when_several_are_configured(forwarding, settings):
    settings.GRADE_FREEZE_CREDENTIALS_CERTIFICATES_AVAILABLE_AT_END = ["Org"]
    settings.GRADE_FREEZE_CREDENTIALS_CERTIFICATE_TYPES = ["verified", "professional"]  # the old docs' example
    (warning,) = [w for w in checks.run_checks() if w.id == "openedx_grade_freeze.W001"]
    assert "one certificate configuration per course run" in warning.msg

    publish(RUN, end=datetime(2026, 6, 1, tzinfo=UTC), time=at(0))
    publish(RUN, end=datetime(2026, 7, 1, tzinfo=UTC), time=at(1))
    assert [request.status for request in forwarding.requests_to(COURSE_CERTIFICATES_PATH)] == [201, 201]
    assert forwarding.get_certificate(RUN, "professional") is None
    assert {d.status for d in CredentialsDelivery.objects.all()} == {DELIVERY_SENT}


def test_a_repeated_server_error_fails_after_bounded_attempts_and_is_not_redriven(forwarding, settings):
    settings.GRADE_FREEZE_CREDENTIALS_CERTIFICATES_AVAILABLE_AT_END = ["Org"]
    settings.GRADE_FREEZE_CREDENTIALS_MAX_ATTEMPTS = 3
    forwarding.add_course_run(RUN)
    # Another type already holds the run's one certificate configuration: every post of ours answers HTTP 500.
    credentials_client.CredentialsClient(
        forwarding.url, oauth_url=forwarding.url, client_id=CLIENT_ID, client_secret=CLIENT_SECRET,
    ).send_course_certificate_available_date(RUN, "professional", None)
    publish(RUN, end=datetime(2026, 6, 1, tzinfo=UTC), time=at(0))
    delivery = CredentialsDelivery.objects.get(kind=DELIVERY_CERTIFICATE_DATE)
    for _ in range(2):
        wait_until_due(delivery)
        tasks.drain_credentials_deliveries.delay()
    delivery = CredentialsDelivery.objects.get(pk=delivery.pk)
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == (DELIVERY_FAILED, 3, None)
    assert "HTTP 500" in delivery.last_error and len(delivery.response_body) <= 300
    assert "<" not in delivery.response_body
    time.sleep(0.6)  # past FAILED_RETRY_SECONDS: a failed delivery with a next attempt would be re-driven now
    assert tasks.drain_credentials_deliveries.delay().get() == {}
    assert len(forwarding.requests_to(COURSE_CERTIFICATES_PATH)) == 1 + 3


def test_certificate_dates_are_not_sent_unless_available_at_end(forwarding):
    publish(RUN, end=datetime(2026, 6, 1, tzinfo=UTC), time=at(0))
    publish(RUN, end=datetime(2026, 7, 1, tzinfo=UTC), time=at(1))
    assert forwarding.requests_to(COURSE_CERTIFICATES_PATH) == []


def test_replay_command_sends_what_fell_through(forwarding, settings):
    settings.GRADE_FREEZE_CREDENTIALS_ENABLED = False
    learners = [make_user(f"replay{i}") for i in range(3)]
    for index, learner in enumerate(learners):
        grade_event(learner, 0.2 + index / 10, at(index))
    settings.GRADE_FREEZE_CREDENTIALS_ENABLED = True

    out = run_command("--dry-run")
    assert "Dry run: 3 grades: would send 3, sent 0, skipped 0, failed 0." in out
    assert forwarding.requests_to(GRADES_PATH) == []

    out = run_command("--rate", "50", "--user-ids", str(learners[0].pk), str(learners[1].pk))
    assert "2 grades: sent 2, skipped 0, failed 0." in out
    out = run_command("--rate", "50", "--start-date", "2026-03-01T12:02:00Z", "--end-date", "2026-03-02")
    assert "1 grades: sent 1, skipped 0, failed 0." in out
    out = run_command("--rate", "50", "--courses", RUN)
    assert "3 grades: sent 0, skipped 3, failed 0." in out
    for index, learner in enumerate(learners):
        assert stored(forwarding, learner)["percent_grade"] == pytest.approx(0.2 + index / 10)

    started = time.monotonic()
    out = run_command("--rate", "10", "--force")
    assert "3 grades: sent 3, skipped 0, failed 0." in out
    assert time.monotonic() - started >= 0.2  # 10 requests a second


def test_replay_failed_only(forwarding, settings):
    settings.GRADE_FREEZE_CREDENTIALS_MAX_ATTEMPTS = 1
    ok, broken = make_user("ok"), make_user("broken")
    grade_event(ok, 0.5, at(0))
    forwarding.fail_next(1, status=502)
    grade_event(broken, 0.6, at(0))
    assert delivery_of(broken).status == DELIVERY_FAILED

    out = run_command("--failed-only", "--rate", "50")
    assert "1 grades: sent 1, skipped 0, failed 0." in out
    assert delivery_of(broken).status == DELIVERY_SENT
    assert stored(forwarding, broken)["percent_grade"] == pytest.approx(0.6)


@pytest.mark.parametrize("args, message", [
    (("--courses", "not-a-course"), "Not a valid course key"),
    (("--rate", "0"), "--rate must be more than 0"),
    (("--start-date", "yesterday"), "--start-date must be a date"),
    (("--start-date", "2026-03-02", "--end-date", "2026-03-01"), "--start-date must be before --end-date"),
    (("--user-ids", "0"), "--user-ids must be positive"),
    (("--start-date", "2026-13-01"), r"--start-date must be a date .* not '2026-13-01' \(month must be in 1..12\)"),
    (("--end-date", "2026-02-30"), r"--end-date must be a date .* not '2026-02-30' \(day is out of range"),
    (("--start-date", "2026-03-01T25:00"), r"--start-date must be a date .*\(hour must be in 0..23\)"),
    (("--start-date", "0001-01-01T00:00+01:00"), "--start-date 0001-01-01T00:00.01:00 is before the first date"),
    (("--end-date", "9999-12-31T23:30-01:00"), "--end-date 9999-12-31T23:30-01:00 is after the last date"),
    (("--rate", "nan"), "--rate must be more than 0 and finite, not nan"),
    (("--rate", "inf"), "--rate must be more than 0 and finite, not inf"),
    (("--from-lms",), "--from-lms needs --courses"),
    (("--from-lms", "--courses", RUN, "--failed-only"), "drop --failed-only"),
])
def test_replay_command_refuses_bad_input(forwarding, args, message):
    with pytest.raises(CommandError, match=message):
        run_command(*args)


def test_replay_command_refuses_a_user_id_beyond_the_column(forwarding):
    # SQLite: 2**63 - 1 (Django before 5.0 says None: no bound), MySQL: 2**64 - 1
    _, largest = connection.ops.integer_field_range("PositiveBigIntegerField")
    largest = 2**63 - 1 if largest is None else largest
    with pytest.raises(CommandError, match=f"--user-ids must be at most {largest}, the largest user id"):
        run_command("--user-ids", "5", str(largest + 1))
    with pytest.raises(CommandError, match="--user-ids must be at most"):
        run_command("--user-ids", "1" + "0" * 40)


def test_catching_up_from_the_lms_needs_edx_platform(forwarding):
    with pytest.raises(CommandError, match="--from-lms needs edx-platform"):
        run_command("--from-lms", "--courses", RUN, "--dry-run")
    assert not CourseGradeRecord.objects.exists()


def test_replay_command_refuses_to_run_unconfigured(settings):
    settings.CREDENTIALS_INTERNAL_SERVICE_URL = None
    with pytest.raises(CommandError, match="Credentials is not configured"):
        run_command()


def run_command(*args):
    from io import StringIO  # pylint: disable=import-outside-toplevel

    out = StringIO()
    call_command("send_grades_to_credentials", *args, stdout=out)
    return out.getvalue()


def test_settings_defaults_production_tokens_and_beat_schedule(settings):
    assert settings.GRADE_FREEZE_CREDENTIALS_MAX_ATTEMPTS == 10
    assert settings.CELERY_BEAT_SCHEDULE["grade-freeze-credentials-drain"] == {
        "task": "openedx_grade_freeze.tasks.drain_credentials_deliveries", "schedule": 300.0,
    }

    class Production:
        ENV_TOKENS = {
            "GRADE_FREEZE_CREDENTIALS_URL": "http://credentials:8150", "GRADE_FREEZE_CREDENTIALS_ENABLED": True,
        }
        AUTH_TOKENS = {"GRADE_FREEZE_CREDENTIALS_CLIENT_SECRET": "from-auth-tokens"}
        CELERY_BEAT_SCHEDULE = {"grade-freeze-credentials-drain": {"task": "mine", "schedule": 60.0}}

    production.plugin_settings(Production)
    assert Production.GRADE_FREEZE_CREDENTIALS_URL == "http://credentials:8150"
    assert Production.GRADE_FREEZE_CREDENTIALS_CLIENT_SECRET == "from-auth-tokens"
    assert Production.GRADE_FREEZE_CREDENTIALS_ENABLED is True
    assert Production.CELERY_BEAT_SCHEDULE["grade-freeze-credentials-drain"]["task"] == "mine"  # kept


def test_platform_api_root_is_accepted_as_base_url(settings, monkeypatch):
    settings.GRADE_FREEZE_CREDENTIALS_URL = None
    monkeypatch.setattr(credentials_service, "get_credentials_base_url", lambda org=None: "http://cred:8150/api/v2/",
                        raising=False)
    assert config.credentials_base_url("Org") == "http://cred:8150"


def test_admin_lists_deliveries_and_resends_them(forwarding, client):
    admin_user = get_user_model().objects.create_superuser("root", "root@example.com", "pw")
    client.force_login(admin_user)
    learner = make_user("admin-listed")
    grade_event(learner, 0.5, at(0), course_id=UNKNOWN_RUN)
    delivery = delivery_of(learner, UNKNOWN_RUN)
    assert delivery.status == DELIVERY_WAITING

    for model in ("credentialsdelivery", "coursegraderecord", "frozengradedrift", "credentialspause",
                  "refusedgradevalue", "unrecordedgradeevent"):
        assert client.get(f"/admin/openedx_grade_freeze/{model}/").status_code == 200
    page = client.get("/admin/openedx_grade_freeze/credentialsdelivery/", {"status__exact": "waiting", "q": "Org"})
    assert f"Grade of user {learner.pk} in {UNKNOWN_RUN}" in page.content.decode()

    forwarding.add_course_run(UNKNOWN_RUN)  # the catalog learns about the run
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(
            "/admin/openedx_grade_freeze/credentialsdelivery/",
            {"action": "send_again", "_selected_action": [delivery.pk]},
        )
    assert response.status_code == 302
    assert delivery_of(learner, UNKNOWN_RUN).status == DELIVERY_SENT


def test_the_drain_pauses_while_credentials_is_down(forwarding):
    learners = [make_user(f"paused{i}") for i in range(7)]
    forwarding.set_down(True)
    for learner in learners:
        grade_event(learner, 0.5, at(0))
    wait_until_due(*[delivery_of(learner) for learner in learners])
    assert tasks.drain_credentials_deliveries.delay().get() == {"retry": 5}
    forwarding.set_down(False)
    wait_until_due(*[delivery_of(learner) for learner in learners])
    assert tasks.drain_credentials_deliveries.delay().get() == {"sent": 7}


def test_in_the_lms_the_runs_certificate_mode_is_sent(platform, forwarding, settings):
    settings.GRADE_FREEZE_CREDENTIALS_CERTIFICATES_AVAILABLE_AT_END = ["Org"]
    settings.GRADE_FREEZE_CREDENTIALS_CERTIFICATE_TYPES = ["verified"]  # only a fallback inside the LMS
    course_modes = importlib.import_module("common.djangoapps.course_modes.models")
    course_modes.add_mode(CourseKey.from_string(RUN), "audit")
    course_modes.add_mode(CourseKey.from_string(RUN), "professional")
    publish(RUN, end=datetime(2026, 6, 1, tzinfo=UTC), time=at(0))
    assert forwarding.get_certificate(RUN, "professional")["certificate_available_date"] == datetime(2026, 6, 1,
                                                                                                      tzinfo=UTC)
    assert forwarding.get_certificate(RUN, "verified") is None

    other = "course-v1:Org+TwoModes+2026"
    forwarding.add_course_run(other)
    course_modes.add_mode(CourseKey.from_string(other), "verified")
    course_modes.add_mode(CourseKey.from_string(other), "professional")
    publish(other, end=datetime(2026, 6, 1, tzinfo=UTC), time=at(0))  # two candidates: upstream sends none either
    assert forwarding.get_certificate(other, "verified") is None
    assert forwarding.get_certificate(other, "professional") is None


def test_a_run_without_one_certificate_mode_is_logged_once_not_on_every_change(platform, forwarding, settings, caplog):
    settings.GRADE_FREEZE_CREDENTIALS_CERTIFICATES_AVAILABLE_AT_END = ["Org"]
    course_modes = importlib.import_module("common.djangoapps.course_modes.models")
    course_modes.add_mode(CourseKey.from_string(RUN), "verified")
    course_modes.add_mode(CourseKey.from_string(RUN), "professional")
    with caplog.at_level(logging.WARNING, logger="openedx_grade_freeze"):
        for day in range(3):
            publish(RUN, end=datetime(2026, 6, 1 + day, tzinfo=UTC), time=at(day))
    warnings = [record for record in caplog.records if "certificate modes" in record.getMessage()]
    assert len(warnings) == 1 and "2 certificate modes (professional, verified)" in warnings[0].getMessage()
    assert forwarding.requests_to(COURSE_CERTIFICATES_PATH) == []


def test_a_run_whose_certificate_type_changed_is_reported_once_for_an_operator(platform, forwarding, settings, caplog):
    """Credentials keeps one certificate configuration per run: a second type answers HTTP 500, which no retry
    mends. Someone has to change the run's certificate in Credentials."""
    settings.GRADE_FREEZE_CREDENTIALS_CERTIFICATES_AVAILABLE_AT_END = ["Org"]
    course_modes = importlib.import_module("common.djangoapps.course_modes.models")
    course_modes.add_mode(CourseKey.from_string(RUN), "verified")
    publish(RUN, end=datetime(2026, 6, 1, tzinfo=UTC), time=at(0))
    assert forwarding.get_certificate(RUN, "verified") is not None

    course_modes.remove_mode(CourseKey.from_string(RUN), "verified")  # the run's paid track changes in the LMS
    course_modes.add_mode(CourseKey.from_string(RUN), "professional")
    with caplog.at_level(logging.WARNING, logger="openedx_grade_freeze"):
        publish(RUN, end=datetime(2026, 7, 1, tzinfo=UTC), time=at(1))
        publish(RUN, end=datetime(2026, 8, 1, tzinfo=UTC), time=at(2))

    delivery = CredentialsDelivery.objects.get(kind=DELIVERY_CERTIFICATE_DATE, certificate_type="professional")
    assert (delivery.status, delivery.next_attempt_at) == (DELIVERY_FAILED, None)  # not retried
    assert "already holds the 'verified' one" in delivery.last_error
    assert "in Credentials' admin, then send this delivery again" in delivery.last_error
    # One request per end-date change, each answered 500; no retry in between.
    assert [r.status for r in forwarding.requests_to(COURSE_CERTIFICATES_PATH)] == [201, 500, 500]
    reported = [record for record in caplog.records if record.levelno >= logging.WARNING]
    assert len(reported) == 1 and "needs an operator" in reported[0].getMessage()
