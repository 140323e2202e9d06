"""
Pointing the plugin's Credentials forwarding at a fake Credentials server for one test, and cleaning up after it.
"""
import contextlib

from edx_django_utils.cache import RequestCache

from openedx_grade_freeze.credentials import breaker
from openedx_grade_freeze.credentials import client as credentials_client
from openedx_grade_freeze.credentials import outbox
from tests.credentials_server import forwarding_settings


def close_sessions():
    """Close and forget the client's pooled HTTP sessions (each test starts without them)."""
    for session in list(credentials_client._sessions.values()):  # pylint: disable=protected-access
        session.close()
    credentials_client._sessions.clear()  # pylint: disable=protected-access


@contextlib.contextmanager
def forwarding_to(server, settings, monkeypatch, client_id, client_secret, **overrides):
    """Forwarding on and pointed at ``server``; a first send is queued eagerly, a delayed retry left to the drain.

    Eager tasks ignore countdowns, so a delayed retry's message is left "in flight" and the drain sends it when due.
    """
    for name, value in forwarding_settings(server, client_id, client_secret, **overrides).items():
        setattr(settings, name, value)
    RequestCache.clear_all_namespaces()
    breaker.forget()
    queue_now = outbox.queue_delivery
    monkeypatch.setattr(
        outbox, "queue_delivery", lambda delivery_id, countdown=None: None if countdown else queue_now(delivery_id)
    )
    try:
        yield server
    finally:
        close_sessions()
        breaker.forget()
