"""
The Credentials outbox keeps one delivery per subject, and the database (SQLite or MariaDB) enforces it.
"""
import ast
import threading
from pathlib import Path

import pytest
from django.db import IntegrityError, close_old_connections, transaction
from django.db.models import QuerySet
from opaque_keys.edx.keys import CourseKey

from openedx_grade_freeze.credentials import outbox
from openedx_grade_freeze.models import DELIVERY_PENDING, DELIVERY_SENT, DELIVERY_SUBJECT_FIELDS, CredentialsDelivery

RUN = CourseKey.from_string("course-v1:Org+Outbox+2026")
OTHER_RUN = CourseKey.from_string("course-v1:Org+Outbox+2027")

pytestmark = pytest.mark.django_db

SUBJECTS = {
    "grade": outbox.grade_subject(7, RUN),
    "certificate date": outbox.certificate_date_subject(RUN, "verified"),
}


def test_no_subject_column_may_be_null():
    # A unique index never treats two NULLs as equal: a nullable column would let duplicates in.
    assert [name for name in DELIVERY_SUBJECT_FIELDS if CredentialsDelivery._meta.get_field(name).null] == []


@pytest.mark.parametrize("kind", SUBJECTS)
def test_the_database_refuses_a_second_delivery_of_a_subject(kind):
    CredentialsDelivery.objects.create(**SUBJECTS[kind])

    with pytest.raises(IntegrityError), transaction.atomic():
        CredentialsDelivery.objects.create(**SUBJECTS[kind], status=DELIVERY_SENT)

    assert CredentialsDelivery.objects.count() == 1


def test_neighbouring_subjects_have_their_own_deliveries():
    subjects = [
        outbox.grade_subject(7, RUN),
        outbox.grade_subject(8, RUN),
        outbox.grade_subject(7, OTHER_RUN),
        outbox.certificate_date_subject(RUN, "verified"),
        outbox.certificate_date_subject(RUN, "professional"),
        outbox.certificate_date_subject(OTHER_RUN, "verified"),
    ]

    ids = {outbox.mark_pending(subject) for subject in subjects}

    assert len(ids) == len(subjects) == CredentialsDelivery.objects.count()
    assert outbox.mark_pending(outbox.grade_subject(7, RUN)) in ids
    assert CredentialsDelivery.objects.count() == len(subjects)


def test_marking_a_subject_again_bumps_its_one_delivery():
    first = outbox.mark_pending(SUBJECTS["grade"])
    CredentialsDelivery.objects.filter(pk=first).update(status=DELIVERY_SENT)

    assert outbox.mark_pending(SUBJECTS["grade"]) == first
    delivery = CredentialsDelivery.objects.get(**SUBJECTS["grade"])
    assert (delivery.status, delivery.generation) == (DELIVERY_PENDING, 2)


@pytest.mark.parametrize("kind", SUBJECTS)
def test_a_delivery_another_worker_inserted_meanwhile_is_marked_not_duplicated(kind, monkeypatch):
    """The insert race in order: our UPDATE finds no row, another worker inserts it, our INSERT hits the constraint."""
    subject = SUBJECTS[kind]
    update = QuerySet.update
    inserted = []

    def update_then_another_worker_inserts(queryset, **changes):
        rows = update(queryset, **changes)
        if queryset.model is CredentialsDelivery and not inserted:
            inserted.append(CredentialsDelivery.objects.create(**subject, generation=1))
        return rows

    monkeypatch.setattr(QuerySet, "update", update_then_another_worker_inserts)

    assert outbox.mark_pending(subject) == inserted[0].pk
    delivery = CredentialsDelivery.objects.get()
    assert (delivery.status, delivery.generation) == (DELIVERY_PENDING, 2)


@pytest.mark.django_db(transaction=True)
def test_two_workers_marking_a_new_subject_at_once_share_one_delivery():
    barrier = threading.Barrier(2)
    ids, errors = [], []

    def worker():
        try:
            barrier.wait()
            with transaction.atomic():
                ids.append(outbox.mark_pending(SUBJECTS["grade"]))
        except Exception as error:  # pylint: disable=broad-except  # pragma: no cover - reported below
            errors.append(error)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    delivery = CredentialsDelivery.objects.get()
    assert ids == [delivery.pk, delivery.pk]
    assert delivery.generation == 2


def test_the_label_names_the_subject():
    grade = CredentialsDelivery.objects.get(pk=outbox.mark_pending(SUBJECTS["grade"]))
    certificate_date = CredentialsDelivery.objects.get(pk=outbox.mark_pending(SUBJECTS["certificate date"]))

    assert str(grade) == f"Grade of user 7 in {RUN} [pending]"
    assert str(certificate_date) == f"verified certificate date of {RUN} [pending]"
    assert outbox.delivery_subject(certificate_date) == SUBJECTS["certificate date"]


def _callers_of(*names):
    """The package modules that call any of ``names`` (as a name or an attribute)."""
    package = Path(outbox.__file__).resolve().parent.parent
    found = set()
    for path in package.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            called = getattr(node.func, "attr", None) or getattr(node.func, "id", None) if isinstance(
                node, ast.Call) else None
            if called in names:
                found.add(str(path.relative_to(package)))
    return found


def test_submit_is_the_one_way_to_record_and_queue_a_delivery():
    assert _callers_of("mark_pending", "queue_delivery", "mark_grades_pending", "queue_deliveries") == {
        "credentials/outbox.py"}
    # Recording a grade, a certificate date, upstream's send, the snapshot agreement, a replay, the admin's re-send.
    writers = {"credentials/ledger.py", "credentials/certificate_dates.py", "credentials/upstream_sender.py",
               "credentials/snapshot_agreement.py", "credentials/replay.py", "admin/credentials.py"}
    assert writers <= _callers_of("submit", "submit_grades")
