"""
Forwarding to a fake Credentials server in tests: pointing the plugin at it for one test and cleaning up, the sends
queued with a countdown kept as a broker keeps them, and the helpers the Credentials tests share.
"""
import contextlib
import time
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs

from django.contrib.auth import get_user_model
from django.test import TestCase
from edx_django_utils.cache import RequestCache
from opaque_keys.edx.keys import CourseKey
from openedx_events.learning.data import CourseData, PersistentCourseGradeData
from openedx_events.learning.signals import PERSISTENT_GRADE_SUMMARY_CHANGED

from openedx_grade_freeze.credentials import breaker
from openedx_grade_freeze.credentials import client as credentials_client
from openedx_grade_freeze.credentials import outbox
from openedx_grade_freeze.models import CredentialsDelivery
from tests.credentials_server import GRADES_PATH, forwarding_settings, serving

RUN = "course-v1:Org+Forward+2026"
UNKNOWN_RUN = "course-v1:Org+NotInCatalog+2026"
CLIENT_ID = "grade-freeze-forwarding"
CLIENT_SECRET = "grade-freeze-forwarding-secret"
UTC = timezone.utc

# Retry delays short enough for tests (the ``forwarding`` fixture's).
SHORT_DELAYS = {
    "GRADE_FREEZE_CREDENTIALS_TIMEOUT": (1.0, 1.0),
    "GRADE_FREEZE_CREDENTIALS_RETRY_BACKOFF_SECONDS": 0.05,
    "GRADE_FREEZE_CREDENTIALS_RETRY_BACKOFF_MAX_SECONDS": 0.2,
    "GRADE_FREEZE_CREDENTIALS_FAILED_RETRY_SECONDS": 0.5,
    "GRADE_FREEZE_CREDENTIALS_MAX_ATTEMPTS": 10,
    # Probes are made due by moving their time back (``next_probe`` in test_credentials_answers), never waited for:
    # "no probe before the interval" then holds on any machine.
    "GRADE_FREEZE_CREDENTIALS_PAUSE_PROBE_SECONDS": 3600,
    "GRADE_FREEZE_CREDENTIALS_UNKNOWN_RUN_RETRY_SECONDS": 0.3,
}


def close_sessions():
    """Close and forget the client's pooled HTTP sessions (each test starts without them)."""
    for session in list(credentials_client._sessions.values()):  # pylint: disable=protected-access
        session.close()
    credentials_client._sessions.clear()  # pylint: disable=protected-access


class DelayedSends:
    """
    The sends queued with a countdown (retries): eager tasks would run them at once, so they are kept here, as a
    broker keeps a delayed message, until a test delivers the due ones. Left alone, the drain sends them when due.
    """

    def __init__(self):
        self.messages = []  # (delivery id, countdown, monotonic time it is due)

    def add(self, delivery_id, countdown):
        """Keep one delayed send."""
        self.messages.append((delivery_id, countdown, time.monotonic() + countdown))

    def deliver_when_due(self):
        """Wait until every kept message's countdown is over, then run their send tasks; returns their ids."""
        if self.messages:
            time.sleep(max(0.0, max(due for _, _, due in self.messages) - time.monotonic()))
        return self.deliver_due()

    def deliver_due(self):
        """Run the send task of each kept message whose countdown is over, as a worker would; returns their ids."""
        now = time.monotonic()
        due = [message for message in self.messages if message[2] <= now]
        self.messages = [message for message in self.messages if message[2] > now]
        for delivery_id, _, _ in due:
            outbox.send_credentials_delivery.delay(delivery_id)
        return [delivery_id for delivery_id, _, _ in due]


@contextlib.contextmanager
def forwarding_to(server, settings, monkeypatch, client_id, client_secret, delayed=None, **overrides):
    """Forwarding on and pointed at ``server``; a first send is queued eagerly, a delayed one kept in ``delayed``.

    Eager tasks ignore countdowns, so a delayed send goes to ``delayed`` (a ``DelayedSends``; without one it is
    dropped) and the drain, or ``delayed.deliver_due()``, sends it when due.
    """
    for name, value in forwarding_settings(server, client_id, client_secret, **overrides).items():
        setattr(settings, name, value)
    RequestCache.clear_all_namespaces()
    breaker.forget()
    queue_now = outbox.queue_delivery

    def queue_delivery(delivery_id, countdown=None):
        if not countdown:
            queue_now(delivery_id)
        elif delayed is not None:
            delayed.add(delivery_id, countdown)

    monkeypatch.setattr(outbox, "queue_delivery", queue_delivery)
    try:
        yield server
    finally:
        close_sessions()
        breaker.forget()



@contextlib.contextmanager
def forwarding_to_fake(course_run, client_id, client_secret, settings, monkeypatch):
    """A started fake Credentials service knowing ``course_run``; forwarding on and pointed at it (1 s timeouts)."""
    with serving(course_run, client_id, client_secret) as server, forwarding_to(
        server, settings, monkeypatch, client_id, client_secret, GRADE_FREEZE_CREDENTIALS_TIMEOUT=(1.0, 1.0),
    ):
        yield server

def make_user(name):
    """A real user: Credentials identifies learners by username."""
    return get_user_model().objects.create(username=name)


def grade_event(user, percent, modified, course_id=RUN, letter="", passed=False):
    """Send PERSISTENT_GRADE_SUMMARY_CHANGED as the LMS does after persisting a course grade at ``modified``."""
    grade = PersistentCourseGradeData(
        user_id=user.pk,
        course=CourseData(course_key=CourseKey.from_string(course_id)),
        course_edited_timestamp=modified - timedelta(days=3),
        course_version="v1",
        grading_policy_hash="hash",
        percent_grade=percent,
        letter_grade=letter,
        passed_timestamp=modified if passed else None,
    )
    with TestCase.captureOnCommitCallbacks(execute=True):
        PERSISTENT_GRADE_SUMMARY_CHANGED.send_event(time=modified, grade=grade)


def delivery_of(user, course_id=RUN):
    """The learner's grade delivery in the course run."""
    return CredentialsDelivery.objects.get(**outbox.grade_subject(user.pk, CourseKey.from_string(course_id)))


def stored(server, user, course_id=RUN):
    """The grade row Credentials holds, with its percent as a float."""
    grade = server.get_grade(user.username, course_id)
    return None if grade is None else dict(grade, percent_grade=float(grade["percent_grade"]))


def posted(server, field="percent_grade"):
    """One form field of every grade request the fake received, in order (faults included)."""
    return [parse_qs(request.body.decode())[field][0] for request in server.requests_to(GRADES_PATH)]


def wait_until_due(*deliveries):
    """Sleep until every delivery's next attempt is due."""
    latest = max(CredentialsDelivery.objects.get(pk=d.pk).next_attempt_at for d in deliveries)
    time.sleep(max(0.0, (latest - datetime.now(UTC)).total_seconds()) + 0.01)


def make_due(*deliveries):
    """Make each delivery's next attempt due now (its time moves back; nobody sleeps).

    For tests that also check that nothing happens before then, with intervals long enough for any machine's speed.
    """
    CredentialsDelivery.objects.filter(pk__in=[d.pk for d in deliveries]).update(
        next_attempt_at=datetime.now(UTC) - timedelta(milliseconds=10))


def at(minutes):
    """A fixed moment plus ``minutes``: the grade times of the forwarding tests."""
    return datetime(2026, 3, 1, 12, 0, tzinfo=UTC) + timedelta(minutes=minutes)
