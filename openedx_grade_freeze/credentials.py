"""
Forwarding course grades and certificate available dates to Credentials through a durable, ordered outbox.

The ledger (``CourseGradeRecord``) holds each learner's newest grade. A change marks the subject's single
``CredentialsDelivery`` row pending in the same transaction. A send leases the row, reads the newest value at that
moment, posts it and records the outcome, so one subject is sent by one worker at a time and nothing older follows
anything newer. See docs/decisions/0005-credentials-outbox-and-ordering.rst.
"""
import logging
import random
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import F, Q

from openedx_grade_freeze import platform_adapter, policy
from openedx_grade_freeze.credentials_client import REJECTED, RETRY, SENT, CredentialsClient, format_datetime
from openedx_grade_freeze.keys import as_utc, isoformat, to_course_key
from openedx_grade_freeze.models import (
    DELIVERY_CERTIFICATE_DATE,
    DELIVERY_FAILED,
    DELIVERY_GRADE,
    DELIVERY_PENDING,
    DELIVERY_REJECTED,
    DELIVERY_SENT,
    DELIVERY_SKIPPED,
    PACING_SELF,
    CourseGradeRecord,
    CourseSchedule,
    CredentialsDelivery,
    FrozenGradeDrift,
)
from openedx_grade_freeze.toggles import (
    GRADE_FREEZE_CREDENTIALS_ENABLED,
    GRADE_FREEZE_CREDENTIALS_MIRROR_UPSTREAM_CONDITIONS,
)

log = logging.getLogger(__name__)

SITE_CONFIGURATION_KEY = "GRADE_FREEZE"

# What recording a grade change did.
RECORDED = "recorded"
STALE = "stale"
UNCHANGED = "unchanged"
DRIFT = "drift"

# What one delivery attempt did (``deliver``'s answer).
OUTCOME_SENT = "sent"
OUTCOME_SKIPPED = "skipped"
OUTCOME_RETRY = "retry"
OUTCOME_FAILED = "failed"
OUTCOME_REJECTED = "rejected"
OUTCOME_BUSY = "busy"


@dataclass(frozen=True)
class GradeChange:
    """
    A learner's persisted course grade as an event reported it, with the time it was last modified.
    """

    user_id: int
    course_key: object
    percent_grade: float
    letter_grade: str
    passed_timestamp: datetime | None
    last_modified: datetime
    event_id: str = ""
    event_time: datetime | None = None


@dataclass(frozen=True)
class _Claim:
    """A leased delivery: what a sender read when it took the row."""

    id: int
    token: str
    generation: int
    attempts: int
    kind: str
    user_id: int | None
    course_key: object
    certificate_type: str
    sent_last_modified: datetime | None


def _now():
    return datetime.now(timezone.utc)


# -- configuration ------------------------------------------------------------------------------------------------


def _site_config(org):
    """The site's ``GRADE_FREEZE`` dict for ``org``, or None (a broken value is logged and ignored)."""
    try:
        value = platform_adapter.get_site_configuration_value(org, SITE_CONFIGURATION_KEY)
    except Exception:  # pylint: disable=broad-except
        log.exception("Could not read the site configuration %s of org %s", SITE_CONFIGURATION_KEY, org)
        return None
    return value if isinstance(value, dict) else None


def _oauth_settings():
    client_id = getattr(settings, "GRADE_FREEZE_CREDENTIALS_CLIENT_ID", None)
    client_secret = getattr(settings, "GRADE_FREEZE_CREDENTIALS_CLIENT_SECRET", None)
    oauth_url = (
        getattr(settings, "GRADE_FREEZE_CREDENTIALS_OAUTH_URL", None)
        or getattr(settings, "LMS_INTERNAL_ROOT_URL", None)
        or getattr(settings, "LMS_ROOT_URL", None)
    )
    if client_id and client_secret and oauth_url:
        return oauth_url, client_id, client_secret
    return None


def credentials_base_url(org=None):
    """The Credentials API root to post to: the plugin's setting, the platform's, then the LMS's internal URL."""
    url = getattr(settings, "GRADE_FREEZE_CREDENTIALS_URL", None)
    if not url:
        platform_url = getattr(platform_adapter, "get_credentials_base_url", None)
        url = platform_url(org=org) if platform_url is not None else None
    url = url or getattr(settings, "CREDENTIALS_INTERNAL_SERVICE_URL", None)
    if not url:
        return None
    # edx-platform hands out the API root (``…/api/v2/``); the client appends the endpoint paths itself.
    url = url.rstrip("/")
    return url[: -len("/api/v2")] if url.endswith("/api/v2") else url


# One stable factory per org, so the client's pooled session is reused across deliveries.
_platform_session_factories = {}


def _platform_session_factory(org):
    """A factory of sessions carrying the LMS's JWT for its Credentials service user, inside the LMS only."""
    mint = getattr(platform_adapter, "get_credentials_api_client", None)
    if mint is None or not platform_adapter.is_platform_available():
        return None
    factory = _platform_session_factories.get(org)
    if factory is None:
        factory = _platform_session_factories.setdefault(org, lambda: mint(org=org))
    return factory


def get_client(org=None):
    """A ``CredentialsClient`` for ``org``: OAuth2 client credentials when configured, else the LMS's JWT; or None."""
    base_url = credentials_base_url(org)
    if not base_url:
        return None
    timeout = getattr(settings, "GRADE_FREEZE_CREDENTIALS_TIMEOUT", (3.05, 10.0))
    oauth = _oauth_settings()
    if oauth is not None:
        oauth_url, client_id, client_secret = oauth
        return CredentialsClient(
            base_url, oauth_url=oauth_url, client_id=client_id, client_secret=client_secret, timeout=timeout
        )
    factory = _platform_session_factory(org)
    if factory is None:
        return None
    return CredentialsClient(base_url, session_factory=factory, timeout=timeout)


def is_configured(org=None):
    """True when a Credentials URL and a way to authenticate are both known."""
    if not credentials_base_url(org):
        return False
    return _oauth_settings() is not None or _platform_session_factory(org) is not None


_warned_unconfigured = set()


def forwarding_enabled(org):
    """Whether grades of ``org`` go to Credentials: the site's ``CREDENTIALS_FORWARDING``, else the toggle."""
    site_value = (_site_config(org) or {}).get("CREDENTIALS_FORWARDING")
    enabled = site_value if isinstance(site_value, bool) else GRADE_FREEZE_CREDENTIALS_ENABLED.is_enabled()
    if not enabled:
        return False
    if not is_configured(org):
        if org not in _warned_unconfigured:
            _warned_unconfigured.add(org)
            log.error(
                "Forwarding to Credentials is on for org %s but Credentials is not configured; nothing is sent.", org
            )
        return False
    return True


def _course_or_org_match(value, course_key):
    """True/False from a boolean, or from a list of orgs and course keys; None when ``value`` says nothing."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (list, tuple, set)):
        return str(course_key) in value or course_key.org in value
    return None


def certificates_available_at_end(course_key):
    """Whether the course's certificates become available at its end date (site configuration, then settings)."""
    course_key = to_course_key(course_key)
    site_value = (_site_config(course_key.org) or {}).get("CERTIFICATES_AVAILABLE_AT_END")
    decided = _course_or_org_match(site_value, course_key)
    if decided is not None:
        return decided
    setting = getattr(settings, "GRADE_FREEZE_CREDENTIALS_CERTIFICATES_AVAILABLE_AT_END", False)
    return bool(_course_or_org_match(setting, course_key))


def certificate_types(org):
    """The Credentials certificate types whose available date is kept current for ``org``."""
    site_value = (_site_config(org) or {}).get("CERTIFICATE_TYPES")
    if isinstance(site_value, (list, tuple)):
        return list(site_value)
    return list(getattr(settings, "GRADE_FREEZE_CREDENTIALS_CERTIFICATE_TYPES", ["verified"]))


# -- the ledger ---------------------------------------------------------------------------------------------------


def grade_change_from_event(grade, metadata):
    """A ``GradeChange`` from a ``PERSISTENT_GRADE_SUMMARY_CHANGED`` payload, last-modified from the LMS if known."""
    if grade is None or getattr(grade, "course", None) is None:
        raise ValueError(f"PERSISTENT_GRADE_SUMMARY_CHANGED without a grade: {grade!r}")
    course_key = to_course_key(grade.course.course_key)
    event_time = as_utc(metadata.time) if metadata is not None and metadata.time is not None else None
    last_modified = _platform_last_modified(grade.user_id, course_key) or event_time or _now()
    return GradeChange(
        user_id=int(grade.user_id),
        course_key=course_key,
        percent_grade=float(grade.percent_grade),
        letter_grade=grade.letter_grade or "",
        passed_timestamp=as_utc(grade.passed_timestamp),
        last_modified=last_modified,
        event_id=str(metadata.id) if metadata is not None else "",
        event_time=event_time,
    )


def _platform_last_modified(user_id, course_key):
    """The ``modified`` of the LMS's PersistentCourseGrade, read through the platform adapter, or None."""
    read = getattr(platform_adapter, "get_grade_last_modified", None)
    if read is None:
        return None
    try:
        return as_utc(read(user_id, course_key))
    except Exception:  # pylint: disable=broad-except
        log.exception("Could not read the last-modified time of user %s's grade in %s", user_id, course_key)
        return None


def _freeze_state(course_key, at):
    try:
        return policy.get_freeze_state(course_key, at=at)
    except Exception:  # pylint: disable=broad-except
        log.exception("Could not evaluate the freeze of %s; forwarding the grade change as usual.", course_key)
        return None


def _same_grade(change, record):
    return (
        record is not None
        and record.percent_grade == change.percent_grade
        and record.letter_grade == change.letter_grade
        and record.passed == (change.passed_timestamp is not None)
    )


def record_grade_change(change):
    """Store a grade in the ledger unless an equal or newer one is there, and queue its delivery.

    A change to a course past its freeze date is recorded as drift instead, and not forwarded.
    """
    with transaction.atomic():
        record = _locked_record(change)
        if record is not None and change.last_modified <= as_utc(record.last_modified):
            log.info(
                "Ignored an out-of-date grade of user %s in %s: modified %s, stored %s (event %s).",
                change.user_id, change.course_key, isoformat(change.last_modified),
                isoformat(record.last_modified), change.event_id,
            )
            return STALE
        state = _freeze_state(change.course_key, change.last_modified)
        if state is not None and state.frozen:
            if _same_grade(change, record):
                return UNCHANGED
            _record_drift(change, record, state)
            return DRIFT
        fields = {
            "percent_grade": change.percent_grade,
            "letter_grade": change.letter_grade,
            "passed": change.passed_timestamp is not None,
            "passed_timestamp": change.passed_timestamp,
            "last_modified": change.last_modified,
            "source_event_id": change.event_id,
            "source_event_time": change.event_time,
        }
        if record is None:
            try:
                with transaction.atomic():
                    CourseGradeRecord.objects.create(user_id=change.user_id, course_key=change.course_key, **fields)
            except IntegrityError:
                # Another worker stored this learner's first grade a moment ago: compare with it instead.
                record = _locked_record(change)
                if change.last_modified <= as_utc(record.last_modified):
                    return STALE
        if record is not None:
            for name, value in fields.items():
                setattr(record, name, value)
            record.save()
        if forwarding_enabled(change.course_key.org):
            delivery_id = mark_pending(
                DELIVERY_GRADE, grade_subject(change.user_id, change.course_key), change.course_key,
                user_id=change.user_id,
            )
            transaction.on_commit(lambda: queue_delivery(delivery_id))
    return RECORDED


def _locked_record(change):
    return (
        CourseGradeRecord.objects.select_for_update()
        .filter(user_id=change.user_id, course_key=change.course_key)
        .first()
    )


def _record_drift(change, record, state):
    FrozenGradeDrift.objects.create(
        user_id=change.user_id,
        course_key=change.course_key,
        percent_grade=change.percent_grade,
        letter_grade=change.letter_grade,
        passed=change.passed_timestamp is not None,
        last_modified=change.last_modified,
        frozen_percent_grade=record.percent_grade if record is not None else None,
        frozen_letter_grade=record.letter_grade if record is not None else "",
        freeze_date=state.freeze_date,
        source_event_id=change.event_id,
    )
    log.warning(
        "Grade of user %s in %s changed after its freeze date %s (%s -> %s, event %s): drift, not forwarded.",
        change.user_id, change.course_key, isoformat(state.freeze_date),
        record.percent_grade if record is not None else None, change.percent_grade, change.event_id,
    )


# -- the outbox ---------------------------------------------------------------------------------------------------


def grade_subject(user_id, course_key):
    """The outbox subject of one learner's grade in one course run."""
    return f"{DELIVERY_GRADE}:{user_id}:{course_key}"


def certificate_date_subject(course_key, certificate_type):
    """The outbox subject of one course run's certificate available date for one certificate type."""
    return f"{DELIVERY_CERTIFICATE_DATE}:{course_key}:{certificate_type}"


def mark_pending(kind, subject, course_key, user_id=None, certificate_type=""):
    """Mark a subject's delivery pending now (creating it if needed) and return its id, in the change's transaction."""
    now = _now()
    changes = {
        "status": DELIVERY_PENDING,
        "generation": F("generation") + 1,
        "attempts": 0,
        "next_attempt_at": now,
        "last_error": "",
        "modified": now,
    }
    if not CredentialsDelivery.objects.filter(subject=subject).update(**changes):
        try:
            with transaction.atomic():
                CredentialsDelivery.objects.create(
                    kind=kind, subject=subject, course_key=course_key, user_id=user_id,
                    certificate_type=certificate_type, generation=1, next_attempt_at=now,
                )
        except IntegrityError:
            CredentialsDelivery.objects.filter(subject=subject).update(**changes)
    return CredentialsDelivery.objects.filter(subject=subject).values_list("pk", flat=True).get()


def queue_delivery(delivery_id, countdown=None):
    """Queue the send task; if the broker is unreachable the row stays due and the periodic drain sends it."""
    from openedx_grade_freeze import tasks  # pylint: disable=import-outside-toplevel

    try:
        tasks.send_credentials_delivery.apply_async((delivery_id,), countdown=countdown, retry=False)
    except Exception:  # pylint: disable=broad-except
        log.warning(
            "Could not queue Credentials delivery %s; the periodic drain will send it.", delivery_id, exc_info=True
        )


def _due(now):
    return Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)


def _free(now):
    return Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lte=now)


def _claim(delivery_id, ignore_schedule):
    """Lease a pending or failed delivery with one conditional UPDATE; None when it is leased, not due or done."""
    now = _now()
    token = uuid.uuid4().hex
    lease = timedelta(seconds=settings.GRADE_FREEZE_CREDENTIALS_LEASE_SECONDS)
    rows = CredentialsDelivery.objects.filter(pk=delivery_id, status__in=(DELIVERY_PENDING, DELIVERY_FAILED))
    rows = rows.filter(_free(now))
    if not ignore_schedule:
        rows = rows.filter(_due(now))
    if not rows.update(lease_token=token, lease_expires_at=now + lease, attempts=F("attempts") + 1, modified=now):
        return None
    row = CredentialsDelivery.objects.filter(pk=delivery_id, lease_token=token).first()
    if row is None:  # pragma: no cover - the lease outlived a whole request
        return None
    return _Claim(
        id=row.pk, token=token, generation=row.generation, attempts=row.attempts, kind=row.kind,
        user_id=row.user_id, course_key=to_course_key(str(row.course_key)), certificate_type=row.certificate_type,
        sent_last_modified=as_utc(row.sent_last_modified),
    )


def deliver(delivery_id, ignore_schedule=False, resend=False):
    """Send one delivery's newest value if no other worker holds it; returns the outcome (``sent``, ``skipped``…)."""
    claim = _claim(delivery_id, ignore_schedule)
    if claim is None:
        return OUTCOME_BUSY
    try:
        if not forwarding_enabled(claim.course_key.org):
            return _skip(claim, f"Forwarding to Credentials is off for org {claim.course_key.org}.")
        if claim.kind == DELIVERY_GRADE:
            return _deliver_grade(claim, resend)
        return _deliver_certificate_date(claim, resend)
    except Exception as error:  # pylint: disable=broad-except
        log.exception("Credentials delivery %s failed unexpectedly; it will be retried.", claim.id)
        return _record_retry(claim, f"{error.__class__.__name__}: {error}", None, None)


def _deliver_grade(claim, resend):
    record = CourseGradeRecord.objects.filter(user_id=claim.user_id, course_key=claim.course_key).first()
    if record is None:
        return _skip(claim, "No grade recorded for this learner and course run.")
    last_modified = as_utc(record.last_modified)
    if not resend and claim.sent_last_modified is not None and last_modified <= claim.sent_last_modified:
        return _up_to_date(claim)
    conditions = _upstream_conditions(claim.user_id, claim.course_key)
    if conditions is not None and not conditions.get("send"):
        return _skip(claim, f"edx-platform would not send this grade: {conditions.get('reason', '')}")
    verified = bool(conditions.get("verified", True)) if conditions is not None else True
    username = get_user_model().objects.filter(pk=claim.user_id).values_list("username", flat=True).first()
    if not username:
        return _skip(claim, f"No user with id {claim.user_id}.")
    client = get_client(claim.course_key.org)
    if client is None:
        return _record_retry(claim, "Credentials is not configured.", None, None)
    result = client.send_grade(
        username, claim.course_key, record.letter_grade, record.percent_grade, verified, last_modified
    )
    payload = {
        "percent_grade": record.percent_grade,
        "letter_grade": record.letter_grade,
        "verified": verified,
        "lms_last_updated_at": format_datetime(last_modified),
    }
    return _complete(claim, result, last_modified, payload)


def _deliver_certificate_date(claim, resend):
    schedule = CourseSchedule.objects.filter(course_key=claim.course_key).first()
    if schedule is None:
        return _skip(claim, "No schedule recorded for this course run.")
    if schedule.pacing == PACING_SELF or not certificates_available_at_end(claim.course_key):
        return _skip(claim, "Certificates of this course run do not become available at its end.")
    version = as_utc(schedule.source_event_time or schedule.modified)
    if not resend and claim.sent_last_modified is not None and version <= claim.sent_last_modified:
        return _up_to_date(claim)
    client = get_client(claim.course_key.org)
    if client is None:
        return _record_retry(claim, "Credentials is not configured.", None, None)
    result = client.send_course_certificate_available_date(claim.course_key, claim.certificate_type, schedule.end)
    payload = {"certificate_available_date": format_datetime(schedule.end), "certificate_type": claim.certificate_type}
    return _complete(claim, result, version, payload)


def _upstream_conditions(user_id, course_key):
    """edx-platform's own send conditions, when mirroring them is on and the adapter can tell; else None."""
    if not GRADE_FREEZE_CREDENTIALS_MIRROR_UPSTREAM_CONDITIONS.is_enabled():
        return None
    read = getattr(platform_adapter, "upstream_grade_send_conditions", None)
    if read is None:
        return None
    return read(user_id, course_key)


_DONE = "done"
_CHANGED = "changed"
_LOST = "lost"


def _finish(claim, fields, if_changed):
    """Release the lease with ``fields``, or pending again with ``if_changed`` when the subject changed meanwhile."""
    now = _now()
    fields = dict(fields, lease_token="", lease_expires_at=None, modified=now)
    mine = CredentialsDelivery.objects.filter(pk=claim.id, lease_token=claim.token)
    if mine.filter(generation=claim.generation).update(**fields):
        return _DONE
    changed = {**fields, "next_attempt_at": now, **if_changed, "status": DELIVERY_PENDING}
    changed.pop("sent_last_modified", None)  # the newer change has not been delivered
    if mine.update(**changed):
        queue_delivery(claim.id, countdown=_countdown(changed["next_attempt_at"], now))
        return _CHANGED
    _lease_lost(claim)
    return _LOST


def _lease_lost(claim):
    """Another worker took the delivery over after our lease expired: make sure the newest value is sent again."""
    log.error(
        "Credentials delivery %s outlived its lease of %s s while sending; queueing the newest value again.",
        claim.id, settings.GRADE_FREEZE_CREDENTIALS_LEASE_SECONDS,
    )
    CredentialsDelivery.objects.filter(pk=claim.id).update(
        status=DELIVERY_PENDING, generation=F("generation") + 1, sent_last_modified=None, next_attempt_at=_now(),
    )
    queue_delivery(claim.id)


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


def _complete(claim, result, last_modified, payload):
    now = _now()
    response = {"response_status": result.status_code, "response_body": result.body}
    if result.outcome == SENT:
        _finish(
            claim,
            dict(response, status=DELIVERY_SENT, last_error="", next_attempt_at=None, sent_at=now,
                 sent_last_modified=last_modified, sent_payload=payload),
            {"sent_at": now, "sent_payload": payload},
        )
        return OUTCOME_SENT
    if result.outcome == REJECTED:
        error = f"Credentials rejected the request (HTTP {result.status_code})."
        _finish(claim, dict(response, status=DELIVERY_REJECTED, last_error=error, next_attempt_at=None), {})
        return OUTCOME_REJECTED
    if result.outcome == RETRY:
        error = f"HTTP {result.status_code}: {result.body}" if result.status_code else result.body
        return _record_retry(claim, error, result, response)
    raise ValueError(f"Unknown delivery outcome {result.outcome!r}")


def _retry_delay(attempts, retry_after):
    """Exponential backoff with jitter (half to all of the step), never shorter than ``Retry-After``."""
    base = float(settings.GRADE_FREEZE_CREDENTIALS_RETRY_BACKOFF_SECONDS)
    ceiling = float(settings.GRADE_FREEZE_CREDENTIALS_RETRY_BACKOFF_MAX_SECONDS)
    step = min(ceiling, base * 2 ** max(0, attempts - 1))
    delay = random.uniform(step / 2, step)
    if retry_after:
        delay = max(delay, float(retry_after))
    return delay


def _record_retry(claim, error, result, response):
    now = _now()
    retry_after = result.retry_after_seconds if result is not None else None
    exhausted = claim.attempts >= settings.GRADE_FREEZE_CREDENTIALS_MAX_ATTEMPTS
    if exhausted:
        delay = max(float(settings.GRADE_FREEZE_CREDENTIALS_FAILED_RETRY_SECONDS), float(retry_after or 0))
    else:
        delay = _retry_delay(claim.attempts, retry_after)
    next_attempt_at = now + timedelta(seconds=delay)
    fields = dict(response or {}, status=DELIVERY_FAILED if exhausted else DELIVERY_PENDING,
                  last_error=error[:2000], next_attempt_at=next_attempt_at)
    if exhausted:
        log.error(
            "Credentials delivery %s failed after %s attempts (%s); the periodic drain tries again at %s.",
            claim.id, claim.attempts, error, isoformat(next_attempt_at),
        )
    if _finish(claim, fields, {"next_attempt_at": next_attempt_at}) == _DONE and not exhausted:
        queue_delivery(claim.id, countdown=delay)
    return OUTCOME_FAILED if exhausted else OUTCOME_RETRY


_DRAIN_FAILURES_BEFORE_PAUSE = 5


def drain(limit=None):
    """Send due deliveries (pending or failed, not leased), oldest due first; returns outcome counts.

    It pauses after a run of failures, leaving the rest for the next run.
    """
    now = _now()
    limit = limit or settings.GRADE_FREEZE_CREDENTIALS_DRAIN_BATCH_SIZE
    due = (
        CredentialsDelivery.objects.filter(status__in=(DELIVERY_PENDING, DELIVERY_FAILED))
        .filter(_due(now))
        .filter(_free(now))
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    counts = Counter()
    failures_in_a_row = 0
    for delivery_id in list(due):
        outcome = deliver(delivery_id)
        counts[outcome] += 1
        failures_in_a_row = failures_in_a_row + 1 if outcome in (OUTCOME_RETRY, OUTCOME_FAILED) else 0
        if failures_in_a_row >= _DRAIN_FAILURES_BEFORE_PAUSE:
            # Credentials is probably down: stop rather than hold this worker for a timeout per delivery.
            log.warning("Credentials outbox drain paused after %s failures in a row.", failures_in_a_row)
            break
    if counts:
        log.info("Credentials outbox drained: %s", dict(counts))
    return dict(counts)


# -- certificate available dates ----------------------------------------------------------------------------------


def on_course_end_changed(change):
    """Queue the new certificate available date of a course whose certificates become available at its end."""
    course_key = to_course_key(change.course_key)
    if change.pacing == PACING_SELF or not forwarding_enabled(course_key.org):
        return []
    if not certificates_available_at_end(course_key):
        return []
    ids = []
    with transaction.atomic():
        for certificate_type in certificate_types(course_key.org):
            ids.append(mark_pending(
                DELIVERY_CERTIFICATE_DATE, certificate_date_subject(course_key, certificate_type), course_key,
                certificate_type=certificate_type,
            ))
        for delivery_id in ids:
            transaction.on_commit(lambda delivery_id=delivery_id: queue_delivery(delivery_id))
    return ids


# -- replay -------------------------------------------------------------------------------------------------------


def grade_records_for_replay(course_keys=None, user_ids=None, start=None, end=None, failed_only=False):
    """The ledger rows a replay covers, oldest change first."""
    records = CourseGradeRecord.objects.all()
    if course_keys:
        records = records.filter(course_key__in=course_keys)
    if user_ids:
        records = records.filter(user_id__in=user_ids)
    if start is not None:
        records = records.filter(last_modified__gte=start)
    if end is not None:
        records = records.filter(last_modified__lt=end)
    if failed_only:
        failed = CredentialsDelivery.objects.filter(kind=DELIVERY_GRADE, status=DELIVERY_FAILED)
        pairs = set(failed.values_list("user_id", "course_key"))
        records = [record for record in records.order_by("last_modified", "pk")
                   if (record.user_id, record.course_key) in pairs]
        return records
    return records.order_by("last_modified", "pk")


def needs_sending(record):
    """True when Credentials has not stored this ledger grade (or a newer one) yet."""
    subject = grade_subject(record.user_id, record.course_key)
    sent = (
        CredentialsDelivery.objects.filter(subject=subject, status=DELIVERY_SENT)
        .values_list("sent_last_modified", flat=True)
        .first()
    )
    return sent is None or as_utc(record.last_modified) > as_utc(sent)


def replay_grade(record, resend=False):
    """Send one ledger grade now (ordered like any other delivery); returns the outcome."""
    with transaction.atomic():
        delivery_id = mark_pending(
            DELIVERY_GRADE, grade_subject(record.user_id, record.course_key), record.course_key,
            user_id=record.user_id,
        )
    return deliver(delivery_id, ignore_schedule=True, resend=resend)
