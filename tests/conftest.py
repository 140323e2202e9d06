"""
Shared pytest fixtures: a real event-tracking backend, a clean policy cache, the edx-platform stand-ins, and
forwarding to the fake Credentials server.
"""
import os
import sys

import pytest
from django.core.cache import cache, caches
from eventtracking import tracker
from eventtracking.backends.tests import InMemoryBackend

from openedx_grade_freeze import rate_limits
from openedx_grade_freeze.policy import policy_cache
from tests.credentials_server import serving
from tests.forwarding import CLIENT_ID, CLIENT_SECRET, RUN, SHORT_DELAYS, DelayedSends, forwarding_to


@pytest.fixture
def tracking_events():
    """Events emitted through the real tracker, captured by event-tracking's own in-memory backend."""
    backend = InMemoryBackend()
    backends = tracker.get_tracker().backends
    backends["grade_freeze_test"] = backend
    yield backend.events
    backends.pop("grade_freeze_test", None)


class FailingCache:
    """A cache backend that is down: every call raises."""

    def __getattr__(self, name):
        def fail(*args, **kwargs):
            raise ConnectionError("cache backend unreachable")
        return fail


class CacheSwitch:
    """Takes the shared cache down for everything in this thread (the policy's version checks too), and back up."""

    def __init__(self):
        self.working = caches["default"]

    def down(self):
        caches["default"] = FailingCache()

    def up(self):
        caches["default"] = self.working


@pytest.fixture(name="cache_down")
def fixture_cache_down():
    """The shared cache is down (a ``CacheSwitch``: ``up()`` brings it back); up again after the test."""
    switch = CacheSwitch()
    switch.down()
    yield switch
    switch.up()


@pytest.fixture(autouse=True)
def fresh_caches():
    """Each test starts with an empty Django cache, policy cache and in-process "once per interval" memory."""
    cache.clear()
    policy_cache.clear()
    rate_limits.forget_local()
    yield
    cache.clear()
    policy_cache.clear()
    rate_limits.forget_local()


def events_named(events, name):
    """The data of the captured tracking events called ``name``."""
    return [event["data"] for event in events if event["name"] == name]


STANDINS_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "platform_standins")
_STANDIN_ROOTS = ("lms", "openedx", "common", "standin_support")


def _purge_standin_modules():
    for name in list(sys.modules):
        if name.split(".")[0] in _STANDIN_ROOTS:
            del sys.modules[name]


@pytest.fixture
def platform_standins():
    """Put the edx-platform stand-ins on ``sys.path`` (as if running in the LMS); removed again afterwards."""
    from openedx_grade_freeze.platform import modules  # pylint: disable=import-outside-toplevel

    sys.path.insert(0, STANDINS_PATH)
    modules.forget_imports()
    import standin_support  # pylint: disable=import-outside-toplevel

    standin_support.reset_all()
    yield standin_support
    standin_support.reset_all()
    sys.path.remove(STANDINS_PATH)
    _purge_standin_modules()
    modules.forget_imports()


@pytest.fixture
def platform(platform_standins):  # pylint: disable=redefined-outer-name
    """The stand-ins freshly imported and the adapter off; the adapter is deactivated and the stand-ins reset after."""
    import importlib  # pylint: disable=import-outside-toplevel

    from openedx_grade_freeze.platform import modules, wiring  # pylint: disable=import-outside-toplevel

    _purge_standin_modules()
    modules.forget_imports()
    standins = importlib.import_module("standin_support")
    yield standins
    wiring.deactivate()
    standins.reset_all()


@pytest.fixture
def newest_upstream(platform):  # pylint: disable=redefined-outer-name
    """The stand-ins in the newest upstream's shape, with the Grades REST API v2, whatever release a run mimics.

    For tests of the v2 points, which Teak, Ulmo and Verawood do not have (``make test-releases`` runs each release's
    shape). Request it before anything imports a stand-in module.
    """
    platform.use_variant("upstream")
    yield platform


@pytest.fixture
def lms(platform, db):  # pylint: disable=redefined-outer-name,unused-argument
    """The stand-ins with stored course grades and enrollments in database tables (tests/platform_store)."""
    from tests.platform_store import store  # pylint: disable=import-outside-toplevel

    store.attach()
    yield platform
    store.detach()


@pytest.fixture
def break_site_configuration(platform_standins, monkeypatch):  # pylint: disable=redefined-outer-name
    """Make the Site Configuration of the given orgs unreadable, so their freeze policy cannot be evaluated."""
    from openedx.core.djangoapps.site_configuration import helpers  # pylint: disable=import-outside-toplevel

    readable = helpers.get_value_for_org

    def breaker(*orgs):
        def get_value_for_org(org, name, default=None):
            if org in orgs:
                raise RuntimeError(f"site configuration of {org} unreadable")
            return readable(org, name, default)

        monkeypatch.setattr(helpers, "get_value_for_org", get_value_for_org)
        policy_cache.clear()

    return breaker


@pytest.fixture(name="server")
def fixture_server():
    """The fake Credentials service over HTTP, knowing ``tests.forwarding.RUN``."""
    with serving(RUN, CLIENT_ID, CLIENT_SECRET) as fake:
        yield fake


@pytest.fixture(name="delayed_sends")
def fixture_delayed_sends():
    """The sends queued with a countdown while forwarding (see ``tests.forwarding.DelayedSends``)."""
    return DelayedSends()


@pytest.fixture(name="forwarding")
def fixture_forwarding(settings, server, monkeypatch, delayed_sends):  # pylint: disable=redefined-outer-name
    """Forwarding on, pointed at the fake, with retry delays short enough for tests; yields the fake."""
    with forwarding_to(server, settings, monkeypatch, CLIENT_ID, CLIENT_SECRET, delayed=delayed_sends,
                       **SHORT_DELAYS):
        yield server
