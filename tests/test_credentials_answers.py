"""
How the forwarding ends for each kind of answer the real Credentials gave in production-like runs, against the fake
Credentials service over HTTP: each case resolves itself with no operator action.
"""
import io
import logging
import math
import re
from datetime import datetime, timedelta, timezone

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import OperationalError
from django.test import TestCase

from openedx_grade_freeze import tasks
from openedx_grade_freeze.credentials import breaker
from openedx_grade_freeze.credentials import client as credentials_client
from openedx_grade_freeze.credentials import ledger, outbox
from openedx_grade_freeze.models import (
    DELIVERY_FAILED,
    DELIVERY_PAUSED,
    DELIVERY_PENDING,
    DELIVERY_SENT,
    DELIVERY_WAITING,
    CourseGradeRecord,
    CredentialsDelivery,
    CredentialsPause,
    RefusedGradeValue,
    UnrecordedGradeEvent,
)
from tests.credentials_server import GRADES_PATH
from tests.forwarding import UNKNOWN_RUN, at, delivery_of, grade_event, make_due, make_user, stored, wait_until_due

pytestmark = pytest.mark.django_db

def drain():
    return tasks.drain_credentials_deliveries.delay().get()


def next_probe():
    """The probe interval passes for every paused URL (its next probe time moves back; nobody sleeps)."""
    CredentialsPause.objects.update(next_probe_at=datetime.now(timezone.utc) - timedelta(seconds=1))


def grade_posts(server):
    return list(server.requests_to(GRADES_PATH))


def test_a_redirect_pauses_the_url_and_every_grade_arrives_once_it_is_fixed(forwarding, caplog):
    learners = [make_user(f"redirected{i}") for i in range(3)]
    forwarding.redirect_to("https://credentials.example.com")
    with caplog.at_level(logging.ERROR, logger="openedx_grade_freeze"):
        for learner in learners:
            grade_event(learner, 0.5, at(0))
    # One request found the redirect; the others were held without a request.
    assert [(r.method, r.status) for r in forwarding.requests if r.path.startswith("/api/")] == [("POST", 301)]
    assert {delivery_of(learner).status for learner in learners} == {DELIVERY_PAUSED}
    pause = CredentialsPause.objects.get()
    assert (pause.base_url, pause.status_code) == (forwarding.url, 301)
    assert "https://credentials.example.com/api/v2/grades/" in pause.reason
    assert len([r for r in caplog.records if r.levelno == logging.ERROR]) == 1
    assert drain() == {}  # no probe before the interval

    next_probe()
    assert drain() == {"paused": 1}  # the probe still finds the redirect
    assert len(grade_posts(forwarding)) == 2

    forwarding.redirect_to(None)  # an operator fixes the proxy
    next_probe()
    assert drain() == {"sent": 1}  # the probe succeeds and resumes the others
    assert not CredentialsPause.objects.exists()
    assert drain() == {"sent": 2}
    assert all(stored(forwarding, learner)["percent_grade"] == pytest.approx(0.5) for learner in learners)


def test_a_403_pauses_until_the_service_user_is_fixed(forwarding):
    learners = [make_user(f"forbidden{i}") for i in range(2)]
    forwarding.deny("credentials_service_user")
    for learner in learners:
        grade_event(learner, 0.7, at(0))
    assert CredentialsPause.objects.get().status_code == 403
    assert {delivery_of(learner).status for learner in learners} == {DELIVERY_PAUSED}
    assert delivery_of(learners[0]).attempts == 0  # a configuration problem spends none of the data's attempts

    forwarding.deny("credentials_service_user", denied=False)
    next_probe()
    drain()
    drain()
    assert {delivery_of(learner).status for learner in learners} == {DELIVERY_SENT}
    assert [stored(forwarding, learner)["percent_grade"] for learner in learners] == [0.7, 0.7]


def test_a_404_from_a_wrong_base_url_pauses_instead_of_parking_grades(forwarding, settings):
    settings.GRADE_FREEZE_CREDENTIALS_URL = forwarding.url + "/credentials"
    learner = make_user("wrong-url")
    grade_event(learner, 0.4, at(0))
    assert delivery_of(learner).status == DELIVERY_PAUSED
    assert CredentialsPause.objects.get().status_code == 404

    settings.GRADE_FREEZE_CREDENTIALS_URL = forwarding.url
    grade_event(learner, 0.45, at(1))  # a new change is tried at once, at the fixed URL
    assert stored(forwarding, learner)["percent_grade"] == pytest.approx(0.45)


def test_a_persistent_401_gets_one_new_token_then_pauses(forwarding):
    learner = make_user("unauthorized")
    forwarding.fail_next(2, status=401, body={"detail": "Invalid token."}, path_prefix=GRADES_PATH)
    grade_event(learner, 0.3, at(0))
    assert forwarding.tokens_issued == 2
    assert CredentialsPause.objects.get().status_code == 401
    next_probe()
    drain()
    assert stored(forwarding, learner)["percent_grade"] == pytest.approx(0.3)


def test_an_html_200_is_not_taken_for_delivered(forwarding):
    learner = make_user("waiting-learner")
    forwarding.set_maintenance()
    grade_event(learner, 0.66, at(0))
    delivery = delivery_of(learner)
    assert (delivery.status, delivery.response_status) == (DELIVERY_PENDING, 200)
    assert "maintenance" in delivery.last_error
    assert "<" not in delivery.response_body and len(delivery.response_body) <= credentials_client.MAX_BODY_CHARS

    forwarding.set_maintenance(False)
    wait_until_due(delivery)
    drain()
    assert delivery_of(learner).status == DELIVERY_SENT
    assert stored(forwarding, learner)["percent_grade"] == pytest.approx(0.66)


def test_an_unknown_run_waits_for_the_catalog_then_arrives(forwarding, settings):
    settings.GRADE_FREEZE_CREDENTIALS_UNKNOWN_RUN_RETRY_SECONDS = 3600  # make_due lets the wait pass
    learner = make_user("early")
    grade_event(learner, 0.9, at(0), course_id=UNKNOWN_RUN)
    delivery = delivery_of(learner, UNKNOWN_RUN)
    assert delivery.status == DELIVERY_WAITING
    assert "catalog" in delivery.last_error
    assert delivery.waiting_since is not None
    assert drain() == {}  # not before the next hourly try

    make_due(delivery)
    assert drain() == {"waiting": 1}
    assert delivery_of(learner, UNKNOWN_RUN).waiting_since == delivery.waiting_since

    forwarding.add_course_run(UNKNOWN_RUN)  # Credentials' catalog copies the run
    make_due(delivery_of(learner, UNKNOWN_RUN))
    assert drain() == {"sent": 1}
    assert stored(forwarding, learner, UNKNOWN_RUN)["percent_grade"] == pytest.approx(0.9)


def test_an_unknown_run_fails_visibly_after_the_longest_wait(forwarding, settings):
    settings.GRADE_FREEZE_CREDENTIALS_UNKNOWN_RUN_MAX_WAIT_SECONDS = 0.2
    learner = make_user("never-in-catalog")
    grade_event(learner, 0.9, at(0), course_id=UNKNOWN_RUN)
    wait_until_due(delivery_of(learner, UNKNOWN_RUN))
    assert drain() == {"failed": 1}
    delivery = delivery_of(learner, UNKNOWN_RUN)
    assert (delivery.status, delivery.next_attempt_at) == (DELIVERY_FAILED, None)
    assert "still does not know" in delivery.last_error


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, 10.0, 1.5, -0.1])
def test_impossible_grade_values_are_refused_when_recorded(forwarding, value, caplog):
    learner = make_user("impossible")
    grade_event(learner, value, at(0))
    refused = RefusedGradeValue.objects.get()
    assert (refused.user_id, refused.percent_grade) == (learner.pk, repr(value))
    assert refused.event_id and refused.event_id in caplog.text
    assert not CourseGradeRecord.objects.exists()
    assert not CredentialsDelivery.objects.exists()
    assert forwarding.requests == []


def test_a_database_error_while_recording_still_delivers_the_grade(forwarding, monkeypatch):
    learner = make_user("unlucky")
    real = ledger._locked_record  # pylint: disable=protected-access
    failures = []

    def lock_wait_timeout(change):
        if not failures:
            failures.append(change)
            raise OperationalError(1205, "Lock wait timeout exceeded; try restarting transaction")
        return real(change)

    monkeypatch.setattr(ledger, "_locked_record", lock_wait_timeout)
    grade_event(learner, 0.81, at(0))
    assert failures and not CourseGradeRecord.objects.exists()
    kept = UnrecordedGradeEvent.objects.get()
    assert "Lock wait timeout" in kept.error

    grade_event(learner, 0.82, at(1))  # a later change arrives meanwhile; order must hold
    assert drain() == {}  # the kept older grade is recorded as stale: nothing older is sent
    assert not UnrecordedGradeEvent.objects.exists()
    assert stored(forwarding, learner)["percent_grade"] == pytest.approx(0.82)
    assert len(forwarding.requests_to(GRADES_PATH)) == 1


def test_a_kept_grade_event_is_sent_by_the_next_drain(forwarding, monkeypatch):
    learner = make_user("kept")
    monkeypatch.setattr(ledger, "_locked_record", _raise_deadlock)
    grade_event(learner, 0.71, at(0))
    monkeypatch.undo()
    assert UnrecordedGradeEvent.objects.count() == 1 and forwarding.requests == []
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert drain() == {"sent": 1}
    assert stored(forwarding, learner)["percent_grade"] == pytest.approx(0.71)
    assert not UnrecordedGradeEvent.objects.exists()


def _raise_deadlock(change):
    raise OperationalError(1213, "Deadlock found when trying to get lock")


def test_the_status_output_shows_paused_urls_and_waiting_deliveries(forwarding):
    forwarding.deny("credentials_service_user")
    grade_event(make_user("status-paused"), 0.5, at(0))
    forwarding.deny("credentials_service_user", denied=False)
    breaker.forget()
    grade_event(make_user("status-waiting"), 0.5, at(0), course_id=UNKNOWN_RUN)  # held: the URL is still paused
    out = io.StringIO()
    call_command("send_grades_to_credentials", "--status", stdout=out)
    text = out.getvalue()
    assert re.search(r"^  paused +2 ", text, re.MULTILINE)
    assert f"{forwarding.url}: paused since" in text and "HTTP 403" in text
    assert "refused the service user" in text

    next_probe()
    drain()  # the probe resumes everything; the unknown run then waits for the catalog
    drain()
    out = io.StringIO()
    call_command("send_grades_to_credentials", "--status", stdout=out)
    assert "Paused Credentials URLs: none" in out.getvalue()
    assert re.search(r"^  waiting +1 ", out.getvalue(), re.MULTILINE)
    assert re.search(r"^  sent +1 ", out.getvalue(), re.MULTILINE)


@pytest.mark.django_db(transaction=True)
def test_the_drain_sends_learners_in_parallel_and_each_learners_newest_grade(forwarding, settings, monkeypatch):
    settings.GRADE_FREEZE_CREDENTIALS_DRAIN_THREADS = 4
    monkeypatch.setattr(outbox, "queue_delivery", lambda *args, **kwargs: None)  # everything waits for the drain
    learners = [make_user(f"parallel{i}") for i in range(30)]
    for learner in learners:
        for minute in range(3):  # each learner's grade changes three times before the drain runs
            grade_event(learner, 0.1 * minute + 0.01 * (learner.pk % 10), at(minute))
    forwarding.hold_until_in_flight(2)  # the first request is answered only once a second one is being handled
    assert ledger.drain() == {"sent": 30}  # what the periodic task runs
    assert forwarding.most_in_flight >= 2  # senders in parallel: one alone would never have two requests open
    for learner in learners:
        assert stored(forwarding, learner)["percent_grade"] == pytest.approx(0.2 + 0.01 * (learner.pk % 10))
        assert stored(forwarding, learner)["lms_last_updated_at"] == at(2)
    assert len(forwarding.requests_to(GRADES_PATH)) == 30


def test_an_impossible_value_already_in_the_ledger_is_rejected_not_retried(forwarding):
    learner = make_user("legacy-value")
    grade_event(learner, 0.5, at(0))
    CourseGradeRecord.objects.filter(user_id=learner.pk).update(percent_grade=12.5, last_modified=at(1))  # older
    outbox.mark_pending(outbox.grade_subject(learner.pk, delivery_of(learner).course_key))
    assert drain() == {"rejected": 1}
    assert "cannot be sent" in delivery_of(learner).last_error
    assert len(forwarding.requests_to(GRADES_PATH)) == 1


def test_deliveries_paused_for_a_url_no_longer_configured_resume_at_the_new_one(forwarding, settings):
    settings.GRADE_FREEZE_CREDENTIALS_URL = forwarding.url + "/old-proxy"
    learners = [make_user(f"moved{i}") for i in range(3)]
    for learner in learners:
        grade_event(learner, 0.5, at(0))
    assert {delivery_of(learner).status for learner in learners} == {DELIVERY_PAUSED}

    settings.GRADE_FREEZE_CREDENTIALS_URL = forwarding.url  # the operator points the plugin elsewhere
    next_probe()
    assert drain() == {"sent": 1}  # a probe of the old URL's deliveries, sent to the new one
    assert drain() == {"sent": 2}
    assert {delivery_of(learner).status for learner in learners} == {DELIVERY_SENT}


def test_an_operator_can_resume_a_pause_from_admin(forwarding, client):
    admin_user = get_user_model().objects.create_superuser("root", "root@example.com", "pw")
    client.force_login(admin_user)
    forwarding.deny("credentials_service_user")
    learner = make_user("admin-resumed")
    grade_event(learner, 0.5, at(0))
    forwarding.deny("credentials_service_user", denied=False)
    pause = CredentialsPause.objects.get()
    response = client.post("/admin/openedx_grade_freeze/credentialspause/",
                           {"action": "resume_now", "_selected_action": [pause.pk]})
    assert response.status_code == 302
    assert not CredentialsPause.objects.exists()
    assert drain() == {"sent": 1}
