"""
The LMS never waits on the broker: a grade write with Redis refusing connections, or accepting them and never
answering, commits and returns while its publish is still queued for the background thread, and the drain still
sends the grade. (How long a write takes is measured in benchmarks/, not asserted here.)
"""
import threading

import pytest
from django.test import TestCase

from openedx_grade_freeze import broker_handoff as handoff
from openedx_grade_freeze import tasks
from openedx_grade_freeze.models import DELIVERY_PENDING
from tests.broker_support import HungRedis, broker, hold_the_broker_thread, refused_port
from tests.forwarding import at, delivery_of, grade_event, make_user, stored

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("kind", ["refused", "hung"])
def test_a_grade_write_does_not_wait_on_a_broken_broker(forwarding, kind):
    learner = make_user(f"broker-{kind}")
    hung = HungRedis() if kind == "hung" else None
    url = f"redis://127.0.0.1:{hung.port if hung else refused_port()}/0"
    with broker(url):
        release = hold_the_broker_thread()
        try:
            grade_event(learner, 0.6, at(10))
            grade_event(learner, 0.61, at(11))
            # Both writes committed and returned while their publishes still wait behind the held one: the write
            # never touched the broker itself, however slow or broken it is.
            assert handoff.publisher.jobs.qsize() >= 1
            assert hung is None or hung.accepted == []
            assert delivery_of(learner).status == DELIVERY_PENDING
            assert forwarding.requests == []
        finally:
            release.set()
            if hung:
                hung.close()  # the publisher thread's connection drops; it goes on with the next publish
        assert handoff.publisher.wait_idle(30)  # every publish failed, in the background
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert tasks.drain_credentials_deliveries.delay().get() == {"sent": 1}  # nothing was lost
    assert stored(forwarding, learner)["percent_grade"] == pytest.approx(0.61)


def test_a_full_hand_off_queue_drops_the_publish_not_the_grade(forwarding, monkeypatch):
    monkeypatch.setattr(handoff, "MAX_WAITING", 1)
    monkeypatch.setattr(handoff, "publisher", handoff._Publisher())  # pylint: disable=protected-access
    release, taken = threading.Event(), threading.Event()

    def stuck_publish():
        taken.set()
        release.wait()

    assert handoff.hand_off(stuck_publish, "a publish stuck on the broker")
    assert taken.wait(30)  # the thread took it and is stuck
    assert handoff.hand_off(lambda: None, "one waiting")
    assert not handoff.hand_off(lambda: None, "one too many")
    assert handoff.publisher.dropped == 1
    release.set()
    assert handoff.publisher.wait_idle(5)
