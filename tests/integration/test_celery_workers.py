"""
Two real celery worker processes on the Redis broker drain one Credentials outbox against the fake service:
no learner's grade ever regresses in Credentials, every newest grade arrives, and a worker killed mid-send
leaves its delivery to the other one.

The broker is ``CELERY_BROKER_URL`` (``GRADE_FREEZE_CELERY_BROKER``); every run uses its own queue and worker names,
so runs sharing a Redis database do not take each other's tasks. Without Redis the tests skip, or fail under
``CI=true``.
"""
import random
import re
import time
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs

import pytest
from django.contrib.auth import get_user_model
from opaque_keys.edx.keys import CourseKey
from openedx_events.learning.data import CourseData, PersistentCourseGradeData
from openedx_events.learning.signals import PERSISTENT_GRADE_SUMMARY_CHANGED

from openedx_grade_freeze import tasks
from openedx_grade_freeze.credentials import outbox
from openedx_grade_freeze.models import DELIVERY_SENT, CourseGradeRecord, CredentialsDelivery
from tests.credentials_server import GRADES_PATH, forwarding_settings, serving
from tests.integration.workers import Workers

RUN = "course-v1:Org+Workers+2026"
CLIENT_ID, CLIENT_SECRET = "grade-freeze-workers", "grade-freeze-workers-secret"
UTC = timezone.utc

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture(name="server")
def fixture_server():
    with serving(RUN, CLIENT_ID, CLIENT_SECRET) as fake:
        yield fake


@pytest.fixture(name="forwarding")
def fixture_forwarding(settings, server):  # pylint: disable=redefined-outer-name
    """Forwarding settings shared by this process (which records grades) and the workers (which send them)."""
    values = forwarding_settings(
        server, CLIENT_ID, CLIENT_SECRET,
        GRADE_FREEZE_CREDENTIALS_TIMEOUT=[2.0, 5.0],
        GRADE_FREEZE_CREDENTIALS_RETRY_BACKOFF_SECONDS=0.1,
        GRADE_FREEZE_CREDENTIALS_RETRY_BACKOFF_MAX_SECONDS=0.5,
        GRADE_FREEZE_CREDENTIALS_LEASE_SECONDS=3,
    )
    for name, value in values.items():
        setattr(settings, name, value)
    return values


@pytest.fixture(name="workers")
def fixture_workers(forwarding, broker):
    started = Workers(forwarding, broker)
    yield started
    started.stop()


# What a worker logs for each grade Credentials stored (by user id: no username is logged).
SENT_LINE = re.compile(r"Credentials delivery \d+ \(grade of user \d+ in \S+\) sent\.")


def send_grade_event(user_id, percent, modified):
    grade = PersistentCourseGradeData(
        user_id=user_id,
        course=CourseData(course_key=CourseKey.from_string(RUN)),
        course_edited_timestamp=modified - timedelta(days=1),
        course_version="v1",
        grading_policy_hash="hash",
        percent_grade=percent,
        letter_grade="",
        passed_timestamp=None,
    )
    PERSISTENT_GRADE_SUMMARY_CHANGED.send_event(time=modified, grade=grade)  # committed: the task is published


def wait_for(condition, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        tasks.drain_credentials_deliveries.delay()  # what celery beat does in production
        time.sleep(0.5)
    pytest.fail(f"timed out after {timeout} s waiting for {what}")


def posted_by_user(server):
    """Each learner's (lms_last_updated_at, percent) pairs in the order the fake received them."""
    sequences = {}
    for request in server.requests_to(GRADES_PATH):
        form = parse_qs(request.body.decode())
        sequences.setdefault(form["username"][0], []).append(
            (form["lms_last_updated_at"][0], form["percent_grade"][0])
        )
    return sequences


def test_two_workers_draining_one_outbox_never_regress_a_grade(server, workers):
    users = [get_user_model().objects.create(username=f"worker-learner-{i}") for i in range(8)]
    workers.start("alpha")
    workers.start("beta")
    workers.wait_ready()
    server.set_delay(0.03)  # requests overlap, so both workers hold leases at once
    server.fail_next(4, status=503)

    base = datetime.now(UTC) - timedelta(hours=1)
    events = [(number, user, step) for number, user in enumerate(users) for step in range(6)]
    random.Random(7).shuffle(events)  # out of order: older grades often arrive after newer ones
    for index, (number, user, step) in enumerate(events):
        # Each learner's grades differ from the others' (by their number: user ids grow through a MariaDB session).
        send_grade_event(user.pk, round(0.1 + step / 10 + number / 1000, 4), base + timedelta(minutes=step))
        if index % 8 == 0:
            tasks.drain_credentials_deliveries.delay()

    def all_newest_arrived():
        return all(
            (grade := server.get_grade(user.username, RUN)) is not None
            and grade["lms_last_updated_at"] == base + timedelta(minutes=5)
            for user in users
        ) and not CredentialsDelivery.objects.exclude(status=DELIVERY_SENT).exists()

    wait_for(all_newest_arrived, 40, "every learner's newest grade to reach Credentials")

    for username, sequence in posted_by_user(server).items():
        times = [sent_at for sent_at, _ in sequence]
        assert times == sorted(times), f"{username}'s grade regressed in Credentials: {sequence}"
    for user in users:
        record = CourseGradeRecord.objects.get(user_id=user.pk)
        assert float(server.get_grade(user.username, RUN)["percent_grade"]) == pytest.approx(record.percent_grade)
    for name in ("alpha", "beta"):
        assert SENT_LINE.search(workers.log(name)), f"worker {name} sent nothing"


def test_a_worker_killed_mid_send_leaves_the_delivery_to_the_other(server, workers, settings):
    user = get_user_model().objects.create(username="orphaned-learner")
    workers.start("alpha")
    workers.wait_ready()
    server.set_delay(4)  # alpha is still waiting for the answer when it dies

    send_grade_event(user.pk, 0.64, datetime.now(UTC) - timedelta(minutes=1))
    subject = outbox.grade_subject(user.pk, CourseKey.from_string(RUN))
    wait_for(lambda: server.requests_to(GRADES_PATH), 10, "alpha to start sending")
    workers.kill("alpha")
    delivery = CredentialsDelivery.objects.get(**subject)
    assert delivery.status != DELIVERY_SENT and delivery.lease_token  # leased by a dead worker

    server.set_delay(0)
    workers.start("beta")
    workers.wait_ready()
    wait_for(
        lambda: CredentialsDelivery.objects.get(**subject).status == DELIVERY_SENT,
        settings.GRADE_FREEZE_CREDENTIALS_LEASE_SECONDS + 15,
        "beta to take the delivery over once alpha's lease expired",
    )
    assert CredentialsDelivery.objects.get(**subject).attempts == 2
    assert float(server.get_grade(user.username, RUN)["percent_grade"]) == pytest.approx(0.64)
    assert SENT_LINE.search(workers.log("beta"))
