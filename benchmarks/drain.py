"""
Throughput of the Credentials outbox drain against upstream's shape (one request per grade on a fresh connection),
both posting to the same fake Credentials, run in its own process, twice: once answering every request after a fixed
5 ms wait, and once spending about 14 ms of CPU on every answer as the real service does (measured against
Credentials on gunicorn on this kind of machine: /work/shared/CREDENTIALS_PEER.md). Waiting answers show what the
drain itself can do; CPU-costing ones what a site will see, where the service's own ceiling (one core's worth of
answers) caps both shapes.

``run.py`` calls ``measure``; ``python benchmarks/drain.py --serve delay|cpu`` is the server process.
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
# CPU the real Credentials spends on one grade answer on this kind of machine (gunicorn, its database on the host).
ANSWER_CPU = 0.014
DELIVERIES = 2000
# How each server answers, and how the report names it.
ANSWERS = {
    "delay": f"answers after a {ANSWER_DELAY * 1000:.0f} ms wait",
    "cpu": f"answers costing {ANSWER_CPU * 1000:.0f} ms of CPU each, like the real service's",
}


def serve(answers):
    """Serve the fake Credentials until stdin closes; print its URL first. ``answers``: "delay" or "cpu"."""
    sys.path.insert(0, REPO)
    from django.conf import settings

    settings.configure(USE_TZ=True)
    from tests.credentials_server import FakeCredentialsServer

    server = FakeCredentialsServer(token_lifetime=36000)
    server.add_course_run(RUN)
    server.add_oauth_client(CLIENT_ID, CLIENT_SECRET, username=SERVICE_USER, administrator=True)
    server.start()
    if answers == "cpu":
        server.set_cpu_cost(ANSWER_CPU)
    else:
        server.set_delay(ANSWER_DELAY)
    print(server.url, flush=True)
    sys.stdin.read()
    server.stop()


class _Server:
    def __init__(self, answers):
        self.answers = answers

    def __enter__(self):
        self.process = subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), "--serve", self.answers], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, text=True, cwd=REPO,
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

    def uninstall(self):
        from django.db import connection
        from django.db.backends.signals import connection_created

        connection_created.disconnect(self._on_connection)
        if self in connection.execute_wrappers:
            connection.execute_wrappers.remove(self)


class _ClientTimer:
    """CPU time spent inside the HTTP client (requests, urllib3, the JSON answer), summed over sender threads."""

    def __init__(self):
        self.seconds = 0.0
        self.lock = threading.Lock()

    def install(self):
        from openedx_grade_freeze.credentials.client import CredentialsClient

        post = self.original = CredentialsClient._post  # pylint: disable=protected-access
        timer = self

        def timed_post(client, *args, **kwargs):
            start = time.thread_time()
            try:
                return post(client, *args, **kwargs)
            finally:
                with timer.lock:
                    timer.seconds += time.thread_time() - start

        CredentialsClient._post = timed_post  # pylint: disable=protected-access

    def uninstall(self):
        from openedx_grade_freeze.credentials.client import CredentialsClient

        CredentialsClient._post = self.original  # pylint: disable=protected-access


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
    """Drain ``DELIVERIES`` grades and post a quarter as many the upstream way, against each kind of server; returns
    the printed rows."""
    rows = []
    grades = None
    for answers in ANSWERS:
        grades = _again(grades) if grades else _seed(DELIVERIES)
        rows += _measure_against(answers, grades)
    return rows


def _again(grades):
    """Every delivery pending again, as if never sent (for the next server)."""
    from openedx_grade_freeze.models import DELIVERY_PENDING, CredentialsDelivery

    modified = grades[0][1]
    CredentialsDelivery.objects.update(status=DELIVERY_PENDING, sent_last_modified=None, sent_at=None, attempts=0,
                                       next_attempt_at=modified, lease_token="", lease_expires_at=None)
    return grades


def _measure_against(answers, grades):
    from django.conf import settings

    from openedx_grade_freeze.credentials import ledger
    from openedx_grade_freeze.credentials.client import CredentialsClient
    from openedx_grade_freeze.models import DELIVERY_SENT, CredentialsDelivery

    with _Server(answers) as server:
        for name, value in {
            "GRADE_FREEZE_CREDENTIALS_ENABLED": True,
            "GRADE_FREEZE_CREDENTIALS_URL": server.url,
            "GRADE_FREEZE_CREDENTIALS_OAUTH_URL": server.url,
            "GRADE_FREEZE_CREDENTIALS_CLIENT_ID": CLIENT_ID,
            "GRADE_FREEZE_CREDENTIALS_CLIENT_SECRET": CLIENT_SECRET,
            "GRADE_FREEZE_CREDENTIALS_DRAIN_BATCH_SIZE": DELIVERIES,
        }.items():
            setattr(settings, name, value)
        upstream = _upstream_shape(server.url, grades[: DELIVERIES // 4])

        counter = _QueryCounter()
        counter.install()
        client_timer = _ClientTimer()
        client_timer.install()
        cpu, wall = time.process_time(), time.perf_counter()
        counts = ledger.drain(DELIVERIES)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        counter.uninstall()
        client_timer.uninstall()
        CredentialsClient(server.url, oauth_url=server.url, client_id=CLIENT_ID, client_secret=CLIENT_SECRET).close()
        sent = CredentialsDelivery.objects.filter(status=DELIVERY_SENT).count()
        if sent != DELIVERIES:
            raise RuntimeError(f"the drain sent {sent} of {DELIVERIES}: {counts}")
        drained = DELIVERIES / wall
        threads = settings.GRADE_FREEZE_CREDENTIALS_DRAIN_THREADS
        return [
            f"Credentials drain, {DELIVERIES} grades, {ANSWERS[answers]}:",
            f"  upstream's shape (a fresh connection per grade) {upstream:8.1f} grades/s",
            f"  outbox drain ({threads} threads, pooled connections) {drained:8.1f} grades/s",
            f"  ratio {drained / upstream:.2f}x" + (" (target >= 2x)" if answers == "delay" else
                                                   " (the service's own ceiling caps both)"),
            f"  per delivery: {cpu / DELIVERIES * 1000:.2f} ms CPU in all: the plugin's own "
            f"{(cpu - client_timer.seconds - counter.seconds) / DELIVERIES * 1000:.2f} ms (target <= 1 ms), "
            f"the HTTP client {client_timer.seconds / DELIVERIES * 1000:.2f} ms, "
            f"executing its SQL {counter.seconds / DELIVERIES * 1000:.2f} ms (SQLite's engine runs in-process)",
            f"  database round trips per delivery: {counter.count / DELIVERIES:.2f} (target <= 4)",
        ]


if __name__ == "__main__" and "--serve" in sys.argv:
    serve(sys.argv[sys.argv.index("--serve") + 1])
