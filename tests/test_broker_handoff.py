"""
The LMS never waits on the broker: a grade write with Redis refusing connections, or accepting them and never
answering, takes at most 100 ms and 1 s longer, and the drain still sends the grade.
"""
import contextlib
import socket
import statistics
import threading
import time

import pytest
from django.test import TestCase

from openedx_grade_freeze import tasks
from openedx_grade_freeze.credentials import handoff, outbox
from openedx_grade_freeze.models import DELIVERY_PENDING
from tests.forwarding import at, delivery_of, grade_event, make_user, stored
from tests.host.celery_app import configured as celery_configured

pytestmark = pytest.mark.django_db

REFUSED_BOUND = 0.1
HUNG_BOUND = 1.0


class HungRedis:
    """A TCP server that accepts connections and never answers, like a Redis stuck in a long fork or a dead VM."""

    def __init__(self):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.accepted = []
        self.closed = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while not self.closed.is_set():
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self.accepted.append(conn)

    def close(self):
        """Stop accepting and drop every connection (clients see them reset)."""
        self.closed.set()
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()
        self.thread.join(5)
        for conn in self.accepted:
            conn.close()


def refused_port():
    """A port nobody listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def broker(url):
    """This process publishes to ``url`` instead of running tasks eagerly."""
    return celery_configured(task_always_eager=False, broker_url=url)


def timed_grade_writes(learner, first_minute, count=3):
    """The median time of ``count`` grade writes, each committed with its on-commit work."""
    durations = []
    for minute in range(first_minute, first_minute + count):
        start = time.perf_counter()
        grade_event(learner, 0.5 + minute / 100, at(minute))
        durations.append(time.perf_counter() - start)
    return statistics.median(durations)


def baseline(learner, monkeypatch):
    """The grade write's time when queueing costs nothing."""
    with monkeypatch.context() as patch:
        patch.setattr(outbox, "queue_delivery", lambda *args, **kwargs: None)
        return timed_grade_writes(learner, 0)


@pytest.mark.parametrize("kind, bound", [("refused", REFUSED_BOUND), ("hung", HUNG_BOUND)])
def test_a_grade_write_does_not_wait_on_a_broken_broker(forwarding, monkeypatch, kind, bound):
    learner = make_user(f"broker-{kind}")
    plain = baseline(learner, monkeypatch)
    hung = HungRedis() if kind == "hung" else None
    url = f"redis://127.0.0.1:{hung.port if hung else refused_port()}/0"
    with broker(url):
        try:
            slow = timed_grade_writes(learner, 10, count=2)  # each failed publish takes seconds, in the background
            assert slow - plain < bound, f"queueing added {slow - plain:.3f} s with the broker {kind}"
            assert delivery_of(learner).status == DELIVERY_PENDING
            assert forwarding.requests == []
        finally:
            if hung:
                hung.close()  # the publisher thread's connection drops; it goes on with the next publish
        assert handoff.publisher.wait_idle(30)  # every publish failed, in the background
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert tasks.drain_credentials_deliveries.delay().get() == {"sent": 1}  # nothing was lost
    assert stored(forwarding, learner)["percent_grade"] == pytest.approx(0.61)


def test_a_full_hand_off_queue_drops_the_publish_not_the_grade(forwarding, monkeypatch):
    monkeypatch.setattr(handoff, "MAX_WAITING", 1)
    monkeypatch.setattr(handoff, "publisher", handoff._Publisher())  # pylint: disable=protected-access
    release = threading.Event()
    assert handoff.hand_off(release.wait, "a publish stuck on the broker")
    time.sleep(0.05)  # the thread took it and is stuck
    assert handoff.hand_off(lambda: None, "one waiting")
    assert not handoff.hand_off(lambda: None, "one too many")
    assert handoff.publisher.dropped == 1
    release.set()
    assert handoff.publisher.wait_idle(5)
