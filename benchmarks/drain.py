"""
Throughput of the Credentials outbox drain against upstream's shape (one request per grade on a fresh connection),
both posting to the same fake Credentials that answers every request after a fixed 5 ms, run in its own process.

``run.py`` calls ``measure``; ``python benchmarks/drain.py --serve`` is the server process.
"""
import os
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RUN = "course-v1:BenchX+Drain+2026"
CLIENT_ID, CLIENT_SECRET = "bench-client", "bench-secret"
SERVICE_USER = "credentials_service_user"
ANSWER_DELAY = 0.005
DELIVERIES = 2000


def serve():
    """Serve the fake Credentials until stdin closes; print its URL first."""
    sys.path.insert(0, REPO)
    from django.conf import settings

    settings.configure(USE_TZ=True)
    from tests.credentials_server import FakeCredentialsServer

    server = FakeCredentialsServer(token_lifetime=36000)
    server.add_course_run(RUN)
    server.add_oauth_client(CLIENT_ID, CLIENT_SECRET, username=SERVICE_USER, administrator=True)
    server.start()
    server.set_delay(ANSWER_DELAY)
    print(server.url, flush=True)
    sys.stdin.read()
    server.stop()


class _Server:
    def __enter__(self):
        self.process = subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), "--serve"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            text=True, cwd=REPO,
        )
        self.url = self.process.stdout.readline().strip()
        return self

    def __exit__(self, *exc_info):
        self.process.stdin.close()
        self.process.wait(10)


def _seed(count):
    """``count`` learners, each with a ledger grade and a pending delivery."""
    from django.contrib.auth import get_user_model
    from opaque_keys.edx.keys import CourseKey

    from openedx_grade_freeze.credentials import outbox
    from openedx_grade_freeze.models import CourseGradeRecord, CredentialsDelivery

    course_key = CourseKey.from_string(RUN)
    users = get_user_model().objects.bulk_create(
        [get_user_model()(username=f"bench-learner-{n}") for n in range(count)]
    )
    modified = datetime.now(timezone.utc) - timedelta(minutes=5)
    CourseGradeRecord.objects.bulk_create([
        CourseGradeRecord(user_id=user.pk, course_key=course_key, percent_grade=0.5 + (n % 50) / 100,
                          letter_grade="Pass", passed=True, last_modified=modified)
        for n, user in enumerate(users)
    ])
    CredentialsDelivery.objects.bulk_create([
        CredentialsDelivery(**outbox.grade_subject(user.pk, course_key), generation=1, next_attempt_at=modified)
        for user in users
    ])
    return [(user.username, modified) for user in users]


class _QueryCounter:
    """Counts the database round trips of every connection opened while it is installed, and their CPU time
    (with SQLite that is the database engine itself, which runs in this process; MySQL's runs in its server)."""

    def __init__(self):
        self.count = 0
        self.seconds = 0.0
        self.lock = threading.Lock()

    def __call__(self, execute, sql, params, many, context):
        start = time.thread_time()
        try:
            return execute(sql, params, many, context)
        finally:
            with self.lock:
                self.count += 1
                self.seconds += time.thread_time() - start

    def install(self):
        from django.db import connection
        from django.db.backends.signals import connection_created

        connection_created.connect(self._on_connection, weak=False)
        connection.execute_wrappers.append(self)

    def _on_connection(self, sender, connection, **kwargs):  # pylint: disable=unused-argument
        if self not in connection.execute_wrappers:
            connection.execute_wrappers.append(self)


class _ClientTimer:
    """CPU time spent inside the HTTP client (requests, urllib3, the JSON answer), summed over sender threads."""

    def __init__(self):
        self.seconds = 0.0
        self.lock = threading.Lock()

    def install(self):
        from openedx_grade_freeze.credentials.client import CredentialsClient

        post = CredentialsClient._post  # pylint: disable=protected-access
        timer = self

        def timed_post(client, *args, **kwargs):
            start = time.thread_time()
            try:
                return post(client, *args, **kwargs)
            finally:
                with timer.lock:
                    timer.seconds += time.thread_time() - start

        CredentialsClient._post = timed_post  # pylint: disable=protected-access


def _upstream_shape(url, grades):
    """One request per grade, each on a new session (a new connection), as upstream's task does: grades a second."""
    import requests
    from edx_rest_api_client.client import get_oauth_access_token

    token, _ = get_oauth_access_token(url, CLIENT_ID, CLIENT_SECRET, token_type="jwt")
    start = time.perf_counter()
    for username, modified in grades:
        with requests.Session() as session:
            response = session.post(
                f"{url}/api/v2/grades/",
                data={"username": username, "course_run": RUN, "letter_grade": "Pass", "percent_grade": "0.5000",
                      "verified": "true", "lms_last_updated_at": modified.isoformat()},
                headers={"Authorization": f"JWT {token}"},
            )
            response.raise_for_status()
    return len(grades) / (time.perf_counter() - start)


def measure():
    """Drain ``DELIVERIES`` grades and post as many the upstream way; returns the printed rows."""
    from django.conf import settings

    from openedx_grade_freeze.credentials import ledger
    from openedx_grade_freeze.models import DELIVERY_SENT, CredentialsDelivery

    with _Server() as server:
        for name, value in {
            "GRADE_FREEZE_CREDENTIALS_ENABLED": True,
            "GRADE_FREEZE_CREDENTIALS_URL": server.url,
            "GRADE_FREEZE_CREDENTIALS_OAUTH_URL": server.url,
            "GRADE_FREEZE_CREDENTIALS_CLIENT_ID": CLIENT_ID,
            "GRADE_FREEZE_CREDENTIALS_CLIENT_SECRET": CLIENT_SECRET,
            "GRADE_FREEZE_CREDENTIALS_DRAIN_BATCH_SIZE": DELIVERIES,
        }.items():
            setattr(settings, name, value)
        grades = _seed(DELIVERIES)
        upstream = _upstream_shape(server.url, grades[: DELIVERIES // 4])

        counter = _QueryCounter()
        counter.install()
        client_timer = _ClientTimer()
        client_timer.install()
        cpu, wall = time.process_time(), time.perf_counter()
        counts = ledger.drain(DELIVERIES)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        sent = CredentialsDelivery.objects.filter(status=DELIVERY_SENT).count()
        if sent != DELIVERIES:
            raise RuntimeError(f"the drain sent {sent} of {DELIVERIES}: {counts}")
        drained = DELIVERIES / wall
        threads = settings.GRADE_FREEZE_CREDENTIALS_DRAIN_THREADS
        return [
            f"Credentials drain, {DELIVERIES} grades, answers after {ANSWER_DELAY * 1000:.0f} ms:",
            f"  upstream's shape (a fresh connection per grade) {upstream:8.1f} grades/s",
            f"  outbox drain ({threads} threads, pooled connections) {drained:8.1f} grades/s",
            f"  ratio {drained / upstream:.2f}x (target >= 2x)",
            f"  per delivery: {cpu / DELIVERIES * 1000:.2f} ms CPU in all: the plugin's own "
            f"{(cpu - client_timer.seconds - counter.seconds) / DELIVERIES * 1000:.2f} ms (target <= 1 ms), "
            f"the HTTP client {client_timer.seconds / DELIVERIES * 1000:.2f} ms, "
            f"executing its SQL {counter.seconds / DELIVERIES * 1000:.2f} ms (SQLite's engine runs in-process)",
            f"  database round trips per delivery: {counter.count / DELIVERIES:.2f} (target <= 4)",
        ]


if __name__ == "__main__" and "--serve" in sys.argv:
    serve()
