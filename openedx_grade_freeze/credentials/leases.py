"""
Leasing outbox deliveries: one conditional UPDATE takes a batch for one sender, another gives each back with its
outcome, or pending again when its subject changed meanwhile.

See docs/decisions/0005-credentials-outbox-and-ordering.rst.
"""
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import F, OuterRef, Q, Subquery

from openedx_grade_freeze.dates import as_utc
from openedx_grade_freeze.keys import to_course_key
from openedx_grade_freeze.models import (
    DELIVERY_FAILED,
    DELIVERY_GRADE,
    DELIVERY_PAUSED,
    DELIVERY_PENDING,
    DELIVERY_WAITING,
    CourseGradeRecord,
    CredentialsDelivery,
)

log = logging.getLogger(__name__)

# The statuses a sender may take up: the drain sends those that are due (and one paused delivery per probe).
SENDABLE = (DELIVERY_PENDING, DELIVERY_FAILED, DELIVERY_WAITING, DELIVERY_PAUSED)
DUE_STATUSES = (DELIVERY_PENDING, DELIVERY_FAILED, DELIVERY_WAITING)

# What giving a lease back did.
DONE = "done"          # the outcome is recorded
CHANGED = "changed"    # the subject changed while it was sent: pending again, to be queued
LOST = "lost"          # another sender took it over after the lease ran out: pending again, to be queued


@dataclass(frozen=True)
class Claim:
    """A leased delivery: what a sender read when it took the row."""

    id: int
    token: str
    generation: int
    attempts: int
    kind: str
    user_id: int
    course_key: object
    certificate_type: str
    sent_last_modified: datetime | None
    grade: object = None  # a grade delivery's ``LedgerGrade``, read with the claim; None when not read
    was_paused: bool = False


@dataclass(frozen=True)
class LedgerGrade:
    """The ledger's grade of a claimed delivery and the learner's username (read, never stored)."""

    percent_grade: float | None
    letter_grade: str
    last_modified: datetime | None
    username: str | None


@dataclass(frozen=True)
class Release:
    """What giving a lease back did (``DONE``, ``CHANGED``, ``LOST``) and, unless done, the send to queue again."""

    result: str
    requeue: tuple | None = None  # (delivery id, countdown in seconds or None)


def now():
    """The current time, tz-aware UTC."""
    return datetime.now(timezone.utc)


def due(at):
    """Deliveries whose next attempt is due at ``at``."""
    # A failed delivery without a next attempt is final: only an operator (replay, admin) sends it again.
    return Q(next_attempt_at__lte=at) | Q(status=DELIVERY_PENDING, next_attempt_at__isnull=True)


def free(at):
    """Deliveries no sender holds at ``at``."""
    return Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lte=at)


def claim(delivery_ids, ignore_schedule=False):
    """Lease the sendable deliveries among ``delivery_ids`` with one UPDATE; read them back with one query.

    A grade delivery's claim carries the ledger's grade and the learner's username, so sending it needs no other
    read: the drain's cost per delivery is this pair of queries shared by a batch, the request and one UPDATE.
    """
    at = now()
    token = uuid.uuid4().hex
    lease = timedelta(seconds=settings.GRADE_FREEZE_CREDENTIALS_LEASE_SECONDS)
    rows = CredentialsDelivery.objects.filter(pk__in=delivery_ids, status__in=SENDABLE)
    rows = rows.filter(free(at))
    if not ignore_schedule:
        rows = rows.filter(due(at) | Q(status=DELIVERY_PAUSED))
    if not rows.update(lease_token=token, lease_expires_at=at + lease, attempts=F("attempts") + 1, modified=at):
        return []
    record = CourseGradeRecord.objects.filter(user_id=OuterRef("user_id"), course_key=OuterRef("course_key"))
    username = get_user_model().objects.filter(pk=OuterRef("user_id")).values("username")[:1]
    claimed = (
        CredentialsDelivery.objects.filter(pk__in=delivery_ids, lease_token=token)
        .annotate(
            grade_percent=Subquery(record.values("percent_grade")[:1]),
            grade_letter=Subquery(record.values("letter_grade")[:1]),
            grade_modified=Subquery(record.values("last_modified")[:1]),
            username=Subquery(username),
        )
        .order_by("pk")
        .values("pk", "generation", "attempts", "kind", "user_id", "course_key", "certificate_type", "status",
                "sent_last_modified", "grade_percent", "grade_letter", "grade_modified", "username")
    )
    return [
        Claim(
            id=row["pk"], token=token, generation=row["generation"], attempts=row["attempts"], kind=row["kind"],
            user_id=row["user_id"], course_key=to_course_key(str(row["course_key"])),
            certificate_type=row["certificate_type"], sent_last_modified=as_utc(row["sent_last_modified"]),
            grade=LedgerGrade(row["grade_percent"], row["grade_letter"] or "", as_utc(row["grade_modified"]),
                              row["username"]) if row["kind"] == DELIVERY_GRADE else None,
            was_paused=row["status"] == DELIVERY_PAUSED,
        )
        for row in claimed
    ]


def release_unsent(claims):
    """Give back claims a stopped drain did not send: due as they were, the attempt not counted."""
    for unsent in claims:
        CredentialsDelivery.objects.filter(pk=unsent.id, lease_token=unsent.token).update(
            lease_token="", lease_expires_at=None, attempts=F("attempts") - 1, modified=now(),
        )


def finish(leased, fields, if_changed):
    """Give the lease back with ``fields``, or pending again with ``if_changed`` when the subject changed meanwhile.

    Returns a ``Release``: its ``requeue`` is the send the caller queues (after its own commit, if any).
    """
    at = now()
    fields = dict(fields, lease_token="", lease_expires_at=None, modified=at)
    mine = CredentialsDelivery.objects.filter(pk=leased.id, lease_token=leased.token)
    if mine.filter(generation=leased.generation).update(**fields):
        return Release(DONE)
    changed = {**fields, "next_attempt_at": at, **if_changed, "status": DELIVERY_PENDING}
    changed.pop("sent_last_modified", None)  # the newer change has not been delivered
    if mine.update(**changed):
        return Release(CHANGED, (leased.id, countdown(changed["next_attempt_at"], at)))
    return _lease_lost(leased)


def _lease_lost(leased):
    """Another worker took the delivery over after our lease expired: make sure the newest value is sent again."""
    log.error(
        "Credentials delivery %s outlived its lease of %s s while sending; queueing the newest value again.",
        leased.id, settings.GRADE_FREEZE_CREDENTIALS_LEASE_SECONDS,
    )
    at = now()
    CredentialsDelivery.objects.filter(pk=leased.id).update(
        status=DELIVERY_PENDING, generation=F("generation") + 1, sent_last_modified=None, next_attempt_at=at,
        modified=at,
    )
    return Release(LOST, (leased.id, None))


def countdown(when, at):
    """Seconds from ``at`` until ``when``, or None when it is due already."""
    return max(0.0, (when - at).total_seconds()) or None
