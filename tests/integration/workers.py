"""
Real celery worker processes for the integration tests: started on this run's own queue of the Redis broker, with
the test database and the settings a test gives them.
"""
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection

from tests.host.celery_app import app as celery_app

RUN_ID = uuid.uuid4().hex[:8]
QUEUE = f"grade-freeze-test-{RUN_ID}"
REPO = Path(__file__).resolve().parents[2]


def require_redis(broker):
    """A client of the Redis broker; the test skips without it (fails under ``CI=true``)."""
    try:
        client = redis.Redis.from_url(broker, socket_connect_timeout=1)
        client.ping()
    except redis.RedisError as error:
        message = f"Redis is not reachable at {broker} ({error}): the celery worker tests need it."
        if os.environ.get("CI") == "true":
            pytest.fail(message + " It is required under CI=true (.ci/run starts it).")
        pytest.skip(message)
    return client


class Workers:
    """Celery worker processes started with ``celery -A tests.host.celery_app worker --pool=solo``."""

    def __init__(self, forwarding, broker):
        self.forwarding = forwarding
        self.broker = broker
        self.processes = {}
        self.logs = {}

    def start(self, name):
        db_name = connection.settings_dict["NAME"]
        env = dict(
            os.environ,
            DJANGO_SETTINGS_MODULE="tests.integration.worker_settings",
            GRADE_FREEZE_CELERY_BROKER=self.broker,
            GRADE_FREEZE_CELERY_QUEUE=QUEUE,
            GRADE_FREEZE_WORKER_DB_NAME=str(db_name),
            GRADE_FREEZE_WORKER_SETTINGS=json.dumps(self.forwarding),
            PYTHONPATH=str(REPO),
        )
        log_path = Path(settings.VAR_DIR) / f"celery-{name}-{RUN_ID}.log"
        log_file = open(log_path, "w", encoding="utf-8")  # pylint: disable=consider-using-with
        self.logs[name] = log_path
        self.processes[name] = subprocess.Popen(  # pylint: disable=consider-using-with
            [
                sys.executable, "-m", "celery", "-A", "tests.host.celery_app", "worker", "--pool=solo",
                "--loglevel=INFO", "-Q", QUEUE, "-n", f"{name}-{RUN_ID}@%h",
                "--without-gossip", "--without-mingle", "--without-heartbeat",
            ],
            cwd=REPO, env=env, stdout=log_file, stderr=subprocess.STDOUT,
        )

    def wait_ready(self, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for name, process in self.processes.items():
                if process.poll() is not None:
                    pytest.fail(f"celery worker {name} exited with {process.returncode}:\n{self.log(name)[-3000:]}")
            replies = celery_app.control.ping(timeout=0.5) or []
            answered = {list(reply)[0].split("@")[0] for reply in replies}
            if {f"{name}-{RUN_ID}" for name in self.processes} <= answered:
                return
        pytest.fail(f"celery workers {sorted(self.processes)} did not answer a ping in {timeout} s")

    def log(self, name):
        return self.logs[name].read_text(encoding="utf-8", errors="replace")

    def kill(self, name):
        process = self.processes.pop(name)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)

    def stop(self):
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
