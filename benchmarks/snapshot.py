#!/usr/bin/env python
"""
Benchmark of a final-grade snapshot at MOOC scale: 100,000 learners on MariaDB, frozen by a real celery worker on
Redis in chunks, against a naive one-learner-at-a-time loop measured on a sample in the same run.

Run with ``make benchmark`` (needs MariaDB at 127.0.0.1:3306 and Redis at 127.0.0.1:6379). It uses a throwaway
database and its own queue, and prints: the end-to-end time (from asking for the run to its completion), learners
per second, the naive loop's projected time for the same course, their ratio, and the worker's peak memory after a
10,000-learner run and after the 100,000-learner run (bounded by the chunk size, not the course size).
``GRADE_FREEZE_BENCH_WORKERS`` starts more workers, ``GRADE_FREEZE_BENCH_CHUNK_SIZE`` changes the chunk size.
"""
import hashlib
import json
import os
import subprocess
import sys
import time
import uuid
from datetime import datetime, timezone

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LEARNERS = int(os.environ.get("GRADE_FREEZE_BENCH_LEARNERS", "100000"))
WARM_UP_LEARNERS = 10000
NAIVE_SAMPLE = 1000
CHUNK_SIZE = int(os.environ.get("GRADE_FREEZE_BENCH_CHUNK_SIZE", "1000"))
WORKERS = int(os.environ.get("GRADE_FREEZE_BENCH_WORKERS", "1"))
TARGET_SECONDS = 60.0
TARGET_RATIO = 20.0
RUN_ID = uuid.uuid4().hex[:8]
QUEUE = f"grade-freeze-bench-{RUN_ID}"
DB_NAME = "grade_freeze_bench_" + hashlib.sha1(REPO.encode()).hexdigest()[:8]
BROKER = os.environ.get("GRADE_FREEZE_CELERY_BROKER", "redis://127.0.0.1:6379/5")
WORKER_SETTINGS = {"GRADE_FREEZE_STANDINS_IN_DATABASE": True, "GRADE_FREEZE_SNAPSHOT_CHUNK_SIZE": CHUNK_SIZE}
UTC = timezone.utc


def recreate_database():
    import MySQLdb

    connection = MySQLdb.connect(host="127.0.0.1", port=3306, user="root", password="")
    cursor = connection.cursor()
    cursor.execute(f"DROP DATABASE IF EXISTS {DB_NAME}")
    cursor.execute(f"CREATE DATABASE {DB_NAME} CHARACTER SET utf8mb4")
    connection.close()


def drop_database():
    import MySQLdb

    connection = MySQLdb.connect(host="127.0.0.1", port=3306, user="root", password="")
    connection.cursor().execute(f"DROP DATABASE IF EXISTS {DB_NAME}")
    connection.close()


def setup_django():
    """The host project on a fresh MariaDB database, migrated, the stand-ins backed by its tables."""
    var = os.path.join(REPO, "var")
    os.environ.update({
        "DJANGO_SETTINGS_MODULE": "tests.host.settings",
        "GRADE_FREEZE_TEST_DB": "mysql",
        "GRADE_FREEZE_DB_NAME": DB_NAME,
        "GRADE_FREEZE_TRACKING_LOG": os.path.join(var, f"bench-tracking-{RUN_ID}.log"),
    })
    sys.path.insert(0, REPO)
    import django

    django.setup()
    import logging

    logging.getLogger("openedx_grade_freeze").setLevel(logging.WARNING)
    from django.core.management import call_command

    call_command("migrate", verbosity=0, run_syncdb=True)
    from django.conf import settings

    settings.GRADE_FREEZE_SNAPSHOT_CHUNK_SIZE = CHUNK_SIZE
    sys.path.insert(0, os.path.join(REPO, "tests", "platform_standins"))
    from tests.platform_store import store

    store.attach()
    from tests.host.celery_app import app

    app.conf.task_always_eager = False
    app.conf.broker_url = BROKER
    app.conf.task_default_queue = QUEUE
    return app


def seed(course_id, learners):
    """``learners`` active enrollments; nine in ten have a stored grade."""
    from tests.snapshot_support import enroll, past_freeze_date, store_grades

    past_freeze_date(course_id)
    for start in range(1, learners + 1, 20000):
        ids = range(start, min(start + 20000, learners + 1))
        enroll(course_id, ids)
        store_grades(course_id, {
            user_id: (round((user_id % 100) / 100, 2), "Pass" if user_id % 100 >= 50 else "", user_id % 100 >= 50)
            for user_id in ids if user_id % 10
        })


def start_worker(index):
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="tests.integration.worker_settings",
        GRADE_FREEZE_CELERY_BROKER=BROKER,
        GRADE_FREEZE_CELERY_QUEUE=QUEUE,
        GRADE_FREEZE_WORKER_DB_NAME=DB_NAME,
        GRADE_FREEZE_WORKER_SETTINGS=json.dumps(WORKER_SETTINGS),
        PYTHONPATH=REPO,
    )
    log = open(os.path.join(REPO, "var", f"bench-worker-{RUN_ID}-{index}.log"), "w", encoding="utf-8")
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "tests.host.celery_app", "worker", "--pool=solo", "--loglevel=WARNING",
         "-Q", QUEUE, "-n", f"bench-{RUN_ID}-{index}@%h",
         "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
    )


def wait_ready(app, workers):
    deadline = time.monotonic() + 60
    expected = {f"bench-{RUN_ID}-{index}" for index in range(len(workers))}
    while time.monotonic() < deadline:
        for worker in workers:
            if worker.poll() is not None:
                raise SystemExit(f"A celery worker exited ({worker.returncode}); see var/bench-worker-{RUN_ID}-*.log")
        replies = app.control.ping(timeout=0.5) or []
        if expected <= {list(reply)[0].split("@")[0] for reply in replies}:
            return
    raise SystemExit("The celery workers did not answer a ping in 60 s.")


def peak_memory_mb(pid):
    """The process's peak resident memory (VmHWM), in MB."""
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def freeze_and_time(course_id):
    """Ask for the run and wait for it to complete; returns (seconds, run)."""
    from openedx_grade_freeze.models import RUN_COMPLETE, FreezeRun
    from openedx_grade_freeze.snapshots import runs

    start = time.perf_counter()
    run_id = runs.freeze_course(course_id).run_id
    while True:
        run = FreezeRun.objects.get(pk=run_id)
        if run.status == RUN_COMPLETE:
            return time.perf_counter() - start, run
        if time.perf_counter() - start > 600:
            raise SystemExit(f"Run {run_id} not complete after 600 s.")
        time.sleep(0.05)


def naive_per_learner(course_id, rounds=3):
    """Seconds per learner of the naive way (one stored-grade read and one insert per learner, as MicroMasters
    does), the best of ``rounds`` rounds: the machine is shared, and the best round makes the ratio a lower bound."""
    return min(_naive_round(course_id) for _ in range(rounds))


def _naive_round(course_id):
    from openedx_grade_freeze.models import RUN_COMPLETE, FreezeRun, FrozenGrade
    from openedx_grade_freeze.platform import grades

    run = FreezeRun.objects.create(course_key=course_id, status=RUN_COMPLETE, retired="superseded")
    start = time.perf_counter()
    for user_id in range(1, NAIVE_SAMPLE + 1):
        grade = grades.get_persisted_course_grade(user_id, course_id)
        now = datetime.now(UTC)
        if grade is None:
            FrozenGrade.objects.create(run=run, course_key=course_id, user_id=user_id, has_grade=False,
                                       percent_grade=0.0, frozen_at=now)
        else:
            FrozenGrade.objects.create(
                run=run, course_key=course_id, user_id=user_id, has_grade=True, percent_grade=grade.percent_grade,
                letter_grade=grade.letter_grade, passed=grade.passed, passed_timestamp=grade.passed_timestamp,
                grade_modified=grade.modified, frozen_at=now,
            )
    return (time.perf_counter() - start) / NAIVE_SAMPLE


def main():
    recreate_database()
    workers = []
    try:
        app = setup_django()
        warm_course, course = "course-v1:Bench+Warm+2026", "course-v1:Bench+Mooc+2026"
        started = time.perf_counter()
        seed(warm_course, WARM_UP_LEARNERS)
        seed(course, LEARNERS)
        print(f"Seeded {WARM_UP_LEARNERS + LEARNERS:,} enrollments in {time.perf_counter() - started:.1f} s "
              f"(not measured). Chunks of {CHUNK_SIZE}; {WORKERS} celery worker(s) (--pool=solo) on Redis; MariaDB.")
        workers = [start_worker(index) for index in range(WORKERS)]
        wait_ready(app, workers)

        warm_seconds, warm_run = freeze_and_time(warm_course)
        warm_memory = max(peak_memory_mb(worker.pid) for worker in workers)
        seconds, run = freeze_and_time(course)
        memory = max(peak_memory_mb(worker.pid) for worker in workers)
        naive = naive_per_learner(course)
        projected = naive * LEARNERS
        ratio = projected / seconds

        print(f"{'measurement':58} {'value':>14}")
        print(f"{'warm-up run: learners (frozen / no grade)':58} "
              f"{warm_run.learners:>7,} ({warm_run.frozen:,}/{warm_run.no_grade:,})")
        print(f"{'warm-up run: seconds end to end':58} {warm_seconds:14.2f}")
        print(f"{'run: learners (frozen / no grade)':58} {run.learners:>7,} ({run.frozen:,}/{run.no_grade:,})")
        print(f"{'run: seconds end to end (target < 60)':58} {seconds:14.2f}")
        print(f"{'run: learners per second':58} {run.learners / seconds:14,.0f}")
        print(f"{'naive loop: ms per learner (best of 3 x ' + format(NAIVE_SAMPLE, ',') + ')':58} {naive * 1000:14.3f}")
        print(f"{'naive loop: projected seconds for the same course':58} {projected:14.1f}")
        print(f"{'ratio: naive / chunked (target >= 20)':58} {ratio:14.1f}")
        print(f"{'worker peak memory after the 10,000-learner run (MB)':58} {warm_memory:14.1f}")
        print(f"{'worker peak memory after the 100,000-learner run (MB)':58} {memory:14.1f}")
        verdicts = []
        if run.learners != LEARNERS:
            verdicts.append(f"counted {run.learners} learners, expected {LEARNERS}")
        if seconds >= TARGET_SECONDS:
            verdicts.append(f"{seconds:.1f} s is NOT under the {TARGET_SECONDS:.0f} s target")
        if ratio < TARGET_RATIO:
            verdicts.append(f"{ratio:.1f}x is NOT the {TARGET_RATIO:.0f}x target")
        print("Targets met." if not verdicts else "Targets missed: " + "; ".join(verdicts) + ".")
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(timeout=30)
        drop_database()


if __name__ == "__main__":
    main()
