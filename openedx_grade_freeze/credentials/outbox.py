"""
The Credentials outbox: one delivery per subject, leased by one sender at a time, which posts the newest value.

See docs/decisions/0005-credentials-outbox-and-ordering.rst.
"""
import logging
import random
import threading
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from celery import shared_task
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError
from django.db import connections as db_connections
from django.db import transaction
from django.db.models import F, OuterRef, Q, Subquery

from openedx_grade_freeze.credentials import breaker, handoff
from openedx_grade_freeze.credentials.client import (
    CONFIGURATION,
    REJECTED,
    RETRY,
    SENT,
    UNKNOWN_COURSE_RUN,
    format_datetime,
)
from openedx_grade_freeze.credentials.config import certificates_available_at_end, forwarding_enabled, get_client
from openedx_grade_freeze.dates import as_utc, isoformat
from openedx_grade_freeze.keys import to_course_key
from openedx_grade_freeze.models import (
    DELIVERY_CERTIFICATE_DATE,
    DELIVERY_FAILED,
    DELIVERY_GRADE,
    DELIVERY_PAUSED,
    DELIVERY_PENDING,
    DELIVERY_REJECTED,
    DELIVERY_SENT,
    DELIVERY_SKIPPED,
    DELIVERY_SUBJECT_FIELDS,
    DELIVERY_WAITING,
    PACING_SELF,
    CourseGradeRecord,
    CourseSchedule,
    CredentialsDelivery,
)
from openedx_grade_freeze.platform import credentials_service
from openedx_grade_freeze.toggles import GRADE_FREEZE_CREDENTIALS_MIRROR_UPSTREAM_CONDITIONS

log = logging.getLogger(__name__)

# What one delivery attempt did (``deliver``'s answer).
OUTCOME_SENT = "sent"
OUTCOME_SKIPPED = "skipped"
OUTCOME_RETRY = "retry"
OUTCOME_FAILED = "failed"
OUTCOME_REJECTED = "rejected"
OUTCOME_BUSY = "busy"
OUTCOME_WAITING = "waiting"    # Credentials' catalog does not know the run yet: tried again hourly for a week
OUTCOME_PAUSED = "paused"      # its Credentials URL is paused: resumes by itself after a successful probe

# The statuses a sender may take up: the drain sends those that are due (and one paused delivery per probe).
_SENDABLE = (DELIVERY_PENDING, DELIVERY_FAILED, DELIVERY_WAITING, DELIVERY_PAUSED)
_DUE_STATUSES = (DELIVERY_PENDING, DELIVERY_FAILED, DELIVERY_WAITING)
# 5xx answers that say "down for now" (a proxy or a restart), as opposed to an error on this payload.
_OUTAGE_STATUSES = {502, 503, 504}


@dataclass(frozen=True)
class _Claim:
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
    grade: object = None  # a grade delivery's ``_Grade``, read with the claim; None when not read
    was_paused: bool = False


@dataclass(frozen=True)
class _Grade:
    """The ledger's grade of a claimed delivery and the learner's username (read, never stored)."""

    percent_grade: float | None
    letter_grade: str
    last_modified: datetime | None
    username: str | None


def _now():
    return datetime.now(timezone.utc)


def grade_subject(user_id, course_key):
    """The outbox subject of one learner's grade in one course run: its ``DELIVERY_SUBJECT_FIELDS`` values."""
    return {"user_id": user_id, "course_key": course_key, "kind": DELIVERY_GRADE, "certificate_type": ""}


def certificate_date_subject(course_key, certificate_type):
    """The outbox subject of one course run's certificate available date for one certificate type."""
    return {"user_id": 0, "course_key": course_key, "kind": DELIVERY_CERTIFICATE_DATE,
            "certificate_type": certificate_type}


def delivery_subject(delivery):
    """The outbox subject of an existing delivery."""
    return {name: getattr(delivery, name) for name in DELIVERY_SUBJECT_FIELDS}


def mark_pending(subject):
    """Mark a subject's delivery pending now (creating it if needed) and return its id, in the change's transaction.

    ``subject`` is what ``grade_subject``, ``certificate_date_subject`` or ``delivery_subject`` return.
    """
    now = _now()
    changes = {
        "status": DELIVERY_PENDING,
        "generation": F("generation") + 1,
        "attempts": 0,
        "next_attempt_at": now,
        "last_error": "",
        "modified": now,
    }
    delivery = CredentialsDelivery.objects.filter(**subject)
    if not delivery.update(**changes):
        try:
            with transaction.atomic():
                CredentialsDelivery.objects.create(**subject, generation=1, next_attempt_at=now)
        except IntegrityError:
            # Another worker created this subject's delivery a moment ago (the unique constraint): mark that one.
            delivery.update(**changes)
    return delivery.values_list("pk", flat=True).get()


def mark_grades_pending(course_key, user_ids, forget_sent=False):
    """``mark_pending`` for the grades of many learners of one course run, in a few queries; returns the ids.

    With ``forget_sent`` each is sent even if it is not newer than what was last sent to Credentials.
    """
    now = _now()
    changes = {
        "status": DELIVERY_PENDING, "generation": F("generation") + 1, "attempts": 0, "next_attempt_at": now,
        "last_error": "", "modified": now, **({"sent_last_modified": None} if forget_sent else {}),
    }
    deliveries = CredentialsDelivery.objects.filter(
        kind=DELIVERY_GRADE, course_key=course_key, certificate_type="", user_id__in=user_ids)
    deliveries.update(**changes)
    existing = set(deliveries.values_list("user_id", flat=True))
    missing = [user_id for user_id in user_ids if user_id not in existing]
    try:
        with transaction.atomic():
            CredentialsDelivery.objects.bulk_create([
                CredentialsDelivery(**grade_subject(user_id, course_key), generation=1, next_attempt_at=now)
                for user_id in missing
            ])
    except IntegrityError:
        # Another worker created some of them a moment ago (the unique constraint): one at a time, then.
        for user_id in missing:
            mark_pending(grade_subject(user_id, course_key))
        if forget_sent:
            deliveries.update(sent_last_modified=None)
    return list(deliveries.order_by("user_id").values_list("pk", flat=True))


def queue_delivery(delivery_id, countdown=None):
    """Queue the send task without waiting on the broker; if it is unreachable the periodic drain sends the row."""
    handoff.publish(send_credentials_delivery, [((delivery_id,), countdown)], f"Credentials delivery {delivery_id}")


def queue_deliveries(delivery_ids):
    """Queue the send tasks of many deliveries with one hand-off (they never crowd other publishes out)."""
    if delivery_ids:
        handoff.publish(send_credentials_delivery, [((delivery_id,), None) for delivery_id in delivery_ids],
                        f"{len(delivery_ids)} Credentials deliveries (first {delivery_ids[0]})")


def _due(now):
    # A failed delivery without a next attempt is final: only an operator (replay, admin) sends it again.
    return Q(next_attempt_at__lte=now) | Q(status=DELIVERY_PENDING, next_attempt_at__isnull=True)


def _free(now):
    return Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lte=now)


def _claim(delivery_id, ignore_schedule):
    """Lease a pending or failed delivery with one conditional UPDATE; None when it is leased, not due or done."""
    claims = _claim_many([delivery_id], ignore_schedule)
    return claims[0] if claims else None


def _claim_many(delivery_ids, ignore_schedule=False):
    """Lease the sendable deliveries among ``delivery_ids`` with one UPDATE; read them back with one query.

    A grade delivery's claim carries the ledger's grade and the learner's username, so sending it needs no other
    read: the drain's cost per delivery is this pair of queries shared by a batch, the request and one UPDATE.
    """
    now = _now()
    token = uuid.uuid4().hex
    lease = timedelta(seconds=settings.GRADE_FREEZE_CREDENTIALS_LEASE_SECONDS)
    rows = CredentialsDelivery.objects.filter(pk__in=delivery_ids, status__in=_SENDABLE)
    rows = rows.filter(_free(now))
    if not ignore_schedule:
        rows = rows.filter(_due(now) | Q(status=DELIVERY_PAUSED))
    if not rows.update(lease_token=token, lease_expires_at=now + lease, attempts=F("attempts") + 1, modified=now):
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
        _Claim(
            id=row["pk"], token=token, generation=row["generation"], attempts=row["attempts"], kind=row["kind"],
            user_id=row["user_id"], course_key=to_course_key(str(row["course_key"])),
            certificate_type=row["certificate_type"], sent_last_modified=as_utc(row["sent_last_modified"]),
            grade=_Grade(row["grade_percent"], row["grade_letter"] or "", as_utc(row["grade_modified"]),
                         row["username"]) if row["kind"] == DELIVERY_GRADE else None,
            was_paused=row["status"] == DELIVERY_PAUSED,
        )
        for row in claimed
    ]


def _release(claims):
    """Give back claims a stopped drain did not send: due as they were, the attempt not counted."""
    for claim in claims:
        CredentialsDelivery.objects.filter(pk=claim.id, lease_token=claim.token).update(
            lease_token="", lease_expires_at=None, attempts=F("attempts") - 1, modified=_now(),
        )


def deliver(delivery_id, ignore_schedule=False, resend=False):
    """Send one delivery's newest value if no other worker holds it; returns the outcome (``sent``, ``skipped``…)."""
    claim = _claim(delivery_id, ignore_schedule)
    if claim is None:
        return OUTCOME_BUSY
    return _send(claim, resend)


def _send(claim, resend=False):
    """Send a claimed delivery; its outcome."""
    try:
        if not forwarding_enabled(claim.course_key.org):
            return _skip(claim, f"Forwarding to Credentials is off for org {claim.course_key.org}.")
        if claim.kind == DELIVERY_GRADE:
            return _deliver_grade(claim, resend)
        return _deliver_certificate_date(claim, resend)
    except Exception as error:  # pylint: disable=broad-except
        log.exception("Credentials delivery %s failed unexpectedly; it will be retried.", claim.id)
        return _record_retry(claim, f"{error.__class__.__name__}: {error}", None, None)


def _client_for(claim):
    """The org's client, or None; None too when its URL is paused and this is not the interval's probe."""
    client = get_client(claim.course_key.org)
    if client is None or not breaker.is_paused(client.base_url) or breaker.take_probe(client.base_url):
        return client, None
    return None, _hold(claim, client.base_url)


def _deliver_grade(claim, resend):
    record = claim.grade
    if record is None or record.last_modified is None:
        return _skip(claim, "No grade recorded for this learner and course run.")
    last_modified = as_utc(record.last_modified)
    if not resend and claim.sent_last_modified is not None and last_modified <= claim.sent_last_modified:
        return _up_to_date(claim)
    conditions = _upstream_conditions(claim.user_id, claim.course_key)
    if conditions is not None and not conditions.get("send"):
        return _skip(claim, f"edx-platform would not send this grade: {conditions.get('reason', '')}")
    verified = bool(conditions.get("verified", True)) if conditions is not None else True
    if not record.username:
        return _skip(claim, f"No user with id {claim.user_id}.")
    client, held = _client_for(claim)
    if held is not None:
        return held
    if client is None:
        return _record_retry(claim, "Credentials is not configured.", None, None)
    try:
        result = client.send_grade(
            record.username, claim.course_key, record.letter_grade, record.percent_grade, verified, last_modified
        )
    except (TypeError, ValueError) as error:
        # A value recorded before values were checked: no later attempt can send it.
        reason = f"The ledger's grade cannot be sent ({error}); a newer grade replaces it."
        log.error("Credentials delivery %s of user %s in %s: %s", claim.id, claim.user_id, claim.course_key, reason)
        _finish(claim, {"status": DELIVERY_REJECTED, "last_error": reason, "next_attempt_at": None}, {})
        return OUTCOME_REJECTED
    payload = {
        "percent_grade": record.percent_grade,
        "letter_grade": record.letter_grade,
        "verified": verified,
        "lms_last_updated_at": format_datetime(last_modified),
    }
    return _complete(claim, result, last_modified, payload, client.base_url)


def _deliver_certificate_date(claim, resend):
    schedule = CourseSchedule.objects.filter(course_key=claim.course_key).first()
    if schedule is None:
        return _skip(claim, "No schedule recorded for this course run.")
    if schedule.pacing == PACING_SELF or not certificates_available_at_end(claim.course_key):
        return _skip(claim, "Certificates of this course run do not become available at its end.")
    version = as_utc(schedule.source_event_time or schedule.modified)
    if not resend and claim.sent_last_modified is not None and version <= claim.sent_last_modified:
        return _up_to_date(claim)
    client, held = _client_for(claim)
    if held is not None:
        return held
    if client is None:
        return _record_retry(claim, "Credentials is not configured.", None, None)
    result = client.send_course_certificate_available_date(claim.course_key, claim.certificate_type, schedule.end)
    payload = {"certificate_available_date": format_datetime(schedule.end), "certificate_type": claim.certificate_type}
    return _complete(claim, result, version, payload, client.base_url)


def _upstream_conditions(user_id, course_key):
    """edx-platform's own send conditions, when mirroring them is on and the adapter can tell; else None."""
    if not GRADE_FREEZE_CREDENTIALS_MIRROR_UPSTREAM_CONDITIONS.is_enabled():
        return None
    return credentials_service.upstream_grade_send_conditions(user_id, course_key)


_DONE = "done"
_CHANGED = "changed"
_LOST = "lost"


def _finish(claim, fields, if_changed, follow_up=None):
    """Release the lease with ``fields``, or pending again with ``if_changed`` when the subject changed meanwhile.

    A delivery to queue again is queued now, or appended to ``follow_up`` for the caller to queue after its commit.
    """
    now = _now()
    fields = dict(fields, lease_token="", lease_expires_at=None, modified=now)
    mine = CredentialsDelivery.objects.filter(pk=claim.id, lease_token=claim.token)
    if mine.filter(generation=claim.generation).update(**fields):
        return _DONE
    changed = {**fields, "next_attempt_at": now, **if_changed, "status": DELIVERY_PENDING}
    changed.pop("sent_last_modified", None)  # the newer change has not been delivered
    if mine.update(**changed):
        _queue_again(claim.id, _countdown(changed["next_attempt_at"], now), follow_up)
        return _CHANGED
    _lease_lost(claim, follow_up)
    return _LOST


def _queue_again(delivery_id, countdown, follow_up):
    if follow_up is None:
        queue_delivery(delivery_id, countdown=countdown)
    else:
        follow_up.append((delivery_id, countdown))


def _lease_lost(claim, follow_up=None):
    """Another worker took the delivery over after our lease expired: make sure the newest value is sent again."""
    log.error(
        "Credentials delivery %s outlived its lease of %s s while sending; queueing the newest value again.",
        claim.id, settings.GRADE_FREEZE_CREDENTIALS_LEASE_SECONDS,
    )
    now = _now()
    CredentialsDelivery.objects.filter(pk=claim.id).update(
        status=DELIVERY_PENDING, generation=F("generation") + 1, sent_last_modified=None, next_attempt_at=now,
        modified=now,
    )
    _queue_again(claim.id, None, follow_up)


# A drain sender records its batch's successes together, in one transaction (one commit instead of one each).
_batch = threading.local()


def _record_sent(claim, fields, if_changed):
    writes = getattr(_batch, "sent", None)
    if writes is None:
        _finish(claim, fields, if_changed)
    else:
        writes.append((claim, fields, if_changed))


def _record_batch_sent():
    """Write the successes a drain sender kept back, then queue any that changed meanwhile."""
    writes, _batch.sent = _batch.sent, []
    if not writes:
        return
    follow_up = []
    with transaction.atomic():
        for claim, fields, if_changed in writes:
            _finish(claim, fields, if_changed, follow_up)
    for delivery_id, countdown in follow_up:
        queue_delivery(delivery_id, countdown=countdown)


def _countdown(when, now):
    return max(0.0, (when - now).total_seconds()) or None


def _skip(claim, reason):
    log.info("Credentials delivery %s skipped: %s", claim.id, reason)
    _finish(claim, {"status": DELIVERY_SKIPPED, "last_error": reason, "next_attempt_at": None}, {})
    return OUTCOME_SKIPPED


def _up_to_date(claim):
    log.info("Credentials delivery %s skipped: Credentials already has this value or a newer one.", claim.id)
    _finish(claim, {"status": DELIVERY_SENT, "last_error": "", "next_attempt_at": None}, {})
    return OUTCOME_SKIPPED


def _hold(claim, base_url):
    """Park a delivery while its Credentials URL is paused; this attempt does not count."""
    reason = f"Paused: Credentials at {base_url} answers as if misconfigured (see the paused Credentials URLs)."
    _finish(claim, {"status": DELIVERY_PAUSED, "last_error": reason, "next_attempt_at": None,
                    "attempts": F("attempts") - 1}, {})
    return OUTCOME_PAUSED


def resume_paused():
    """Make every paused delivery due now (its URL answered a probe); returns how many."""
    now = _now()
    count = CredentialsDelivery.objects.filter(status=DELIVERY_PAUSED).update(
        status=DELIVERY_PENDING, next_attempt_at=now, attempts=0, last_error="", modified=now,
    )
    if count:
        log.info("%s paused Credentials deliveries resume.", count)
    return count


def _complete(claim, result, last_modified, payload, base_url):
    now = _now()
    response = {"response_status": result.status_code, "response_body": result.body}
    if result.outcome == CONFIGURATION:
        breaker.pause(base_url, result.status_code, result.detail)
        _finish(claim, dict(response, status=DELIVERY_PAUSED, last_error=result.detail, next_attempt_at=None,
                            attempts=0), {})
        return OUTCOME_PAUSED
    if result.outcome != RETRY:
        # Credentials answered as a configured service does: a paused URL works again, or deliveries paused for a
        # URL no longer configured go to this one.
        resumed = breaker.is_paused(base_url) and breaker.resume(base_url)
        if resumed or claim.was_paused:
            resume_paused()
    if result.outcome == SENT:
        log.info("Credentials delivery %s (%s of user %s in %s) sent.", claim.id, claim.kind, claim.user_id,
                 claim.course_key)
        _record_sent(
            claim,
            dict(response, status=DELIVERY_SENT, last_error="", next_attempt_at=None, sent_at=now,
                 sent_last_modified=last_modified, sent_payload=payload, waiting_since=None),
            {"sent_at": now, "sent_payload": payload},
        )
        return OUTCOME_SENT
    if result.outcome == UNKNOWN_COURSE_RUN:
        return _wait_for_catalog(claim, result, response)
    if result.outcome == REJECTED:
        _finish(claim, dict(response, status=DELIVERY_REJECTED, last_error=result.detail, next_attempt_at=None), {})
        return OUTCOME_REJECTED
    if result.outcome == RETRY:
        error = result.detail or result.body
        return _record_retry(claim, error, result, response)
    raise ValueError(f"Unknown delivery outcome {result.outcome!r}")


def _wait_for_catalog(claim, result, response):
    """Credentials' catalog has not copied the run yet: try again hourly, then fail visibly after a week."""
    now = _now()
    since = CredentialsDelivery.objects.filter(pk=claim.id).values_list("waiting_since", flat=True).first() or now
    waited = (now - as_utc(since)).total_seconds()
    if waited >= float(settings.GRADE_FREEZE_CREDENTIALS_UNKNOWN_RUN_MAX_WAIT_SECONDS):
        error = (f"Credentials' catalog still does not know {claim.course_key} after {waited / 86400:.1f} days: "
                 "add the run to the catalog (or to a program), then send again.")
        log.error("Credentials delivery %s failed: %s", claim.id, error)
        _finish(claim, dict(response, status=DELIVERY_FAILED, last_error=error, next_attempt_at=None), {})
        return OUTCOME_FAILED
    next_attempt_at = now + timedelta(seconds=float(settings.GRADE_FREEZE_CREDENTIALS_UNKNOWN_RUN_RETRY_SECONDS))
    log.warning("Credentials delivery %s waits for Credentials' catalog to know %s (since %s); next try %s.",
                claim.id, claim.course_key, isoformat(since), isoformat(next_attempt_at))
    _finish(claim, dict(response, status=DELIVERY_WAITING, last_error=result.detail, waiting_since=since,
                        next_attempt_at=next_attempt_at, attempts=0), {"next_attempt_at": next_attempt_at})
    return OUTCOME_WAITING


def _retry_delay(attempts, retry_after):
    """Exponential backoff with jitter (half to all of the step), never shorter than ``Retry-After``."""
    base = float(settings.GRADE_FREEZE_CREDENTIALS_RETRY_BACKOFF_SECONDS)
    ceiling = float(settings.GRADE_FREEZE_CREDENTIALS_RETRY_BACKOFF_MAX_SECONDS)
    step = min(ceiling, base * 2 ** max(0, attempts - 1))
    delay = random.uniform(step / 2, step)
    if retry_after:
        delay = max(delay, float(retry_after))
    return delay


def _is_server_error(result):
    """A 5xx that is not an outage: Credentials fails on this payload, and will again."""
    status = result.status_code if result is not None else None
    return status is not None and status >= 500 and status not in _OUTAGE_STATUSES


def _record_retry(claim, error, result, response):
    now = _now()
    retry_after = result.retry_after_seconds if result is not None else None
    exhausted = claim.attempts >= settings.GRADE_FREEZE_CREDENTIALS_MAX_ATTEMPTS
    final = exhausted and _is_server_error(result)
    if final:
        next_attempt_at = None
    elif exhausted:
        delay = max(float(settings.GRADE_FREEZE_CREDENTIALS_FAILED_RETRY_SECONDS), float(retry_after or 0))
        next_attempt_at = now + timedelta(seconds=delay)
    else:
        delay = _retry_delay(claim.attempts, retry_after)
        next_attempt_at = now + timedelta(seconds=delay)
    fields = dict(response or {}, status=DELIVERY_FAILED if exhausted else DELIVERY_PENDING,
                  last_error=error[:2000], next_attempt_at=next_attempt_at)
    if final:
        log.error("Credentials delivery %s failed: HTTP %s on each of %s attempts (%s); not tried again until an "
                  "operator sends it.", claim.id, result.status_code, claim.attempts, error)
    elif exhausted:
        log.error(
            "Credentials delivery %s failed after %s attempts (%s); the periodic drain tries again at %s.",
            claim.id, claim.attempts, error, isoformat(next_attempt_at),
        )
    if _finish(claim, fields, {"next_attempt_at": next_attempt_at or now}) == _DONE and not exhausted:
        queue_delivery(claim.id, countdown=delay)
    return OUTCOME_FAILED if exhausted else OUTCOME_RETRY


_DRAIN_FAILURES_BEFORE_PAUSE = 5


def drain(limit=None):
    """Send due deliveries (pending, waiting or failed, not leased), oldest due first, and probe paused URLs.

    Deliveries go out on ``GRADE_FREEZE_CREDENTIALS_DRAIN_THREADS`` threads: each is one learner's grade in one run
    (or one run's date), leased by one sender, so a learner's grade is never sent twice at once. It stops after a
    run of failures, leaving the rest for the next run. Returns outcome counts.
    """
    now = _now()
    limit = limit or settings.GRADE_FREEZE_CREDENTIALS_DRAIN_BATCH_SIZE
    due = (
        CredentialsDelivery.objects.filter(status__in=_DUE_STATUSES)
        .filter(_due(now))
        .filter(_free(now))
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    ids = list(due)
    probes = len(breaker.due_probes())
    if probes:
        # One paused delivery per due probe: its send tells whether the URL works again.
        paused = CredentialsDelivery.objects.filter(status=DELIVERY_PAUSED).filter(_free(now)).order_by("pk")
        ids.extend(paused.values_list("pk", flat=True)[:probes])
    threads = int(getattr(settings, "GRADE_FREEZE_CREDENTIALS_DRAIN_THREADS", 1) or 1)
    ids = list(dict.fromkeys(ids))  # a paused delivery may also be due
    # Inside a transaction (a test, a caller's atomic block) other connections would not see its rows.
    if threads > 1 and len(ids) > 1 and not transaction.get_connection().in_atomic_block:
        counts = _drain_in_threads(ids, threads)
    else:
        counts = _drain_in_order(ids)
    if counts:
        log.info("Credentials outbox drained: %s", dict(counts))
    return dict(counts)


class _FailureRun:
    """Counts failures in a row across senders; past the limit the drain stops taking new deliveries."""

    def __init__(self):
        self.lock = threading.Lock()
        self.in_a_row = 0
        self.stopped = False

    def add(self, outcome):
        with self.lock:
            self.in_a_row = self.in_a_row + 1 if outcome in (OUTCOME_RETRY, OUTCOME_FAILED) else 0
            if self.in_a_row >= _DRAIN_FAILURES_BEFORE_PAUSE and not self.stopped:
                # Credentials is probably down: stop rather than hold workers for a timeout per delivery.
                log.warning("Credentials outbox drain paused after %s failures in a row.", self.in_a_row)
                self.stopped = True
            return self.stopped


# Deliveries one sender leases at once: two queries for the batch instead of two per delivery.
_CLAIM_BATCH = 20


class _Batches:
    """Hands out the drain's delivery ids a batch at a time, to one or several senders."""

    def __init__(self, ids):
        self.ids = list(ids)
        self.lock = threading.Lock()
        self.counts = Counter()
        self.failures = _FailureRun()

    def next(self):
        with self.lock:
            if self.failures.stopped or not self.ids:
                return []
            batch, self.ids = self.ids[:_CLAIM_BATCH], self.ids[_CLAIM_BATCH:]
            return batch

    def send_all(self):
        """Claim and send batches until none is left or the drain stops."""
        _batch.sent = []
        try:
            while True:
                batch = self.next()
                if not batch:
                    return
                claims = _claim_many(batch)
                with self.lock:
                    self.counts[OUTCOME_BUSY] += len(batch) - len(claims)
                try:
                    for index, claim in enumerate(claims):
                        if self.failures.stopped:
                            _release(claims[index:])
                            return
                        outcome = _send(claim)
                        with self.lock:
                            self.counts[outcome] += 1
                        self.failures.add(outcome)
                finally:
                    _record_batch_sent()
        finally:
            _batch.sent = None


def _drain_in_order(ids):
    batches = _Batches(ids)
    batches.send_all()
    return _without_busy(batches.counts)


def _drain_in_threads(ids, threads):
    batches = _Batches(ids)

    def sender():
        try:
            batches.send_all()
        finally:
            db_connections.close_all()  # this thread's own connections

    count = min(threads, -(-len(ids) // _CLAIM_BATCH))
    workers = [threading.Thread(target=sender, name=f"grade-freeze-drain-{n}") for n in range(count)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return _without_busy(batches.counts)


def _without_busy(counts):
    return Counter({outcome: count for outcome, count in counts.items() if outcome != OUTCOME_BUSY or count})


# The celery tasks live beside what they run (``openedx_grade_freeze.tasks`` re-exports them for autodiscovery);
# their names are fixed, so queued messages survive the move.
@shared_task(name="openedx_grade_freeze.tasks.send_credentials_delivery", ignore_result=True)
def send_credentials_delivery(delivery_id):
    """Send one outbox delivery if it is due and no other worker holds it; a duplicate message does nothing."""
    outcome = deliver(int(delivery_id))
    log.debug("Credentials delivery %s: %s", delivery_id, outcome)
    return outcome
