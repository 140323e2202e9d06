"""
Shared pytest fixtures: a real event-tracking backend, a clean policy cache, and the plugin loaded by the host.
"""
import pytest
from django.core.cache import cache
from eventtracking import tracker
from eventtracking.backends.tests import InMemoryBackend

from openedx_grade_freeze.policy import policy_cache


@pytest.fixture
def tracking_events():
    """Events emitted through the real tracker, captured by event-tracking's own in-memory backend."""
    backend = InMemoryBackend()
    backends = tracker.get_tracker().backends
    backends["grade_freeze_test"] = backend
    yield backend.events
    backends.pop("grade_freeze_test", None)


@pytest.fixture(autouse=True)
def fresh_caches():
    """Each test starts with an empty Django cache and policy cache."""
    cache.clear()
    policy_cache.clear()
    yield
    cache.clear()
    policy_cache.clear()


def events_named(events, name):
    """The data of the captured tracking events called ``name``."""
    return [event["data"] for event in events if event["name"] == name]
