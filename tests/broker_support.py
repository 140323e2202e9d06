"""
Brokers that fail as a real one can (refusing connections, or accepting them and never answering) and a hand-off
thread held busy, for the tests that show nothing waits on the broker.
"""
import contextlib
import socket
import threading

from openedx_grade_freeze import broker_handoff as handoff
from tests.host.celery_app import configured as celery_configured


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


def hold_the_broker_thread():
    """Keep the hand-off thread busy until the returned event is set (it holds a publish queued ahead)."""
    release, taken = threading.Event(), threading.Event()

    def held_publish():
        taken.set()
        release.wait()

    assert handoff.hand_off(held_publish, "a publish ahead of the grade's")
    assert taken.wait(30)
    return release
