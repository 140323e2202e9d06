"""
Sending one leased delivery: read the newest value, post it, and record what Credentials' answer means.

Each attempt ends through a ``Recorder`` the caller hands in: it writes the outcome at once, or keeps a drain
batch's successes for one transaction, and collects the sends to queue again.
See docs/decisions/0005-credentials-outbox-and-ordering.rst and 0009-classifying-credentials-answers.rst.
"""
import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F

from openedx_grade_freeze.credentials import breaker, leases, retry_policy
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
from openedx_grade_freeze.models import (
    DELIVERY_FAILED,
    DELIVERY_GRADE,
    DELIVERY_PAUSED,
    DELIVERY_PENDING,
    DELIVERY_REJECTED,
    DELIVERY_SENT,
    DELIVERY_SKIPPED,
    DELIVERY_WAITING,
    PACING_SELF,
    CourseSchedule,
    CredentialsDelivery,
)
from openedx_grade_freeze.platform import credentials_service
from openedx_grade_freeze.toggles import GRADE_FREEZE_CREDENTIALS_MIRROR_UPSTREAM_CONDITIONS

log = logging.getLogger(__name__)

# What one delivery attempt did.
OUTCOME_SENT = "sent"
OUTCOME_SKIPPED = "skipped"
OUTCOME_RETRY = "retry"
OUTCOME_FAILED = "failed"
OUTCOME_REJECTED = "rejected"
OUTCOME_BUSY = "busy"
OUTCOME_WAITING = "waiting"    # Credentials' catalog does not know the run yet: tried again hourly for a week
OUTCOME_PAUSED = "paused"      # its Credentials URL is paused: resumes by itself after a successful probe


class Recorder:
    """
    Where senders record how each attempt ended, and which sends are to be queued again.

    With ``keep_successes`` (a drain's sender) successes wait for ``write_kept`` and go in one transaction;
    anything else is written at once.
    """

    def __init__(self, keep_successes=False):
        self.keep_successes = keep_successes
        self.kept = []
        self.requeues = []

    def finish(self, claim, fields, if_changed=None):
        """Give the lease back with ``fields`` now; returns ``leases.DONE``, ``CHANGED`` or ``LOST``."""
        release = leases.finish(claim, fields, if_changed or {})
        if release.requeue is not None:
            self.requeues.append(release.requeue)
        return release.result

    def succeeded(self, claim, fields, if_changed):
        """Record a success: at once, or kept for the batch's transaction."""
        if self.keep_successes:
            self.kept.append((claim, fields, if_changed))
        else:
            self.finish(claim, fields, if_changed)

    def requeue(self, delivery_id, countdown):
        """Ask for the send to be queued again after ``countdown`` seconds."""
        self.requeues.append((delivery_id, countdown))

    def write_kept(self):
        """Write the kept successes in one transaction (one commit for the batch instead of one each)."""
        kept, self.kept = self.kept, []
        if kept:
            with transaction.atomic():
                for claim, fields, if_changed in kept:
                    self.finish(claim, fields, if_changed)

    def take_requeues(self):
        """The sends to queue again, once: ``[(delivery id, countdown)]``."""
        requeues, self.requeues = self.requeues, []
        return requeues


def send(claim, recorder, resend=False):
    """Send a claimed delivery's newest value and record how it ended; returns the outcome."""
    try:
        if not forwarding_enabled(claim.course_key.org):
            return _skip(claim, recorder, f"Forwarding to Credentials is off for org {claim.course_key.org}.")
        if claim.kind == DELIVERY_GRADE:
            return _send_grade(claim, recorder, resend)
        return _send_certificate_date(claim, recorder, resend)
    except Exception as error:  # pylint: disable=broad-except
        log.exception("Credentials delivery %s failed unexpectedly; it will be retried.", claim.id)
        return _record_retry(claim, recorder, f"{error.__class__.__name__}: {error}", None, None)


def _client_for(claim, recorder):
    """The org's client, or None; None too when its URL is paused and this is not the interval's probe."""
    client = get_client(claim.course_key.org)
    if client is None or not breaker.is_paused(client.base_url) or breaker.take_probe(client.base_url):
        return client, None
    return None, _hold(claim, recorder, client.base_url)


def _send_grade(claim, recorder, resend):
    record = claim.grade
    if record is None or record.last_modified is None:
        return _skip(claim, recorder, "No grade recorded for this learner and course run.")
    last_modified = as_utc(record.last_modified)
    if not resend and claim.sent_last_modified is not None and last_modified <= claim.sent_last_modified:
        return _up_to_date(claim, recorder)
    conditions = _upstream_conditions(claim.user_id, claim.course_key)
    if conditions is not None and not conditions.get("send"):
        return _skip(claim, recorder, f"edx-platform would not send this grade: {conditions.get('reason', '')}")
    verified = bool(conditions.get("verified", True)) if conditions is not None else True
    if not record.username:
        return _skip(claim, recorder, f"No user with id {claim.user_id}.")
    client, held = _client_for(claim, recorder)
    if held is not None:
        return held
    if client is None:
        return _record_retry(claim, recorder, "Credentials is not configured.", None, None)
    try:
        result = client.send_grade(
            record.username, claim.course_key, record.letter_grade, record.percent_grade, verified, last_modified
        )
    except (TypeError, ValueError) as error:
        # A value recorded before values were checked: no later attempt can send it.
        reason = f"The ledger's grade cannot be sent ({error}); a newer grade replaces it."
        log.error("Credentials delivery %s of user %s in %s: %s", claim.id, claim.user_id, claim.course_key, reason)
        recorder.finish(claim, {"status": DELIVERY_REJECTED, "last_error": reason, "next_attempt_at": None})
        return OUTCOME_REJECTED
    payload = {
        "percent_grade": record.percent_grade,
        "letter_grade": record.letter_grade,
        "verified": verified,
        "lms_last_updated_at": format_datetime(last_modified),
    }
    return _complete(claim, recorder, result, last_modified, payload, client.base_url)


def _send_certificate_date(claim, recorder, resend):
    schedule = CourseSchedule.objects.filter(course_key=claim.course_key).first()
    if schedule is None:
        return _skip(claim, recorder, "No schedule recorded for this course run.")
    if schedule.pacing == PACING_SELF or not certificates_available_at_end(claim.course_key):
        return _skip(claim, recorder, "Certificates of this course run do not become available at its end.")
    version = as_utc(schedule.source_event_time or schedule.modified)
    if not resend and claim.sent_last_modified is not None and version <= claim.sent_last_modified:
        return _up_to_date(claim, recorder)
    client, held = _client_for(claim, recorder)
    if held is not None:
        return held
    if client is None:
        return _record_retry(claim, recorder, "Credentials is not configured.", None, None)
    result = client.send_course_certificate_available_date(claim.course_key, claim.certificate_type, schedule.end)
    payload = {"certificate_available_date": format_datetime(schedule.end), "certificate_type": claim.certificate_type}
    return _complete(claim, recorder, result, version, payload, client.base_url)


def _upstream_conditions(user_id, course_key):
    """edx-platform's own send conditions, when mirroring them is on and the adapter can tell; else None."""
    if not GRADE_FREEZE_CREDENTIALS_MIRROR_UPSTREAM_CONDITIONS.is_enabled():
        return None
    return credentials_service.upstream_grade_send_conditions(user_id, course_key)


def _skip(claim, recorder, reason):
    log.info("Credentials delivery %s skipped: %s", claim.id, reason)
    recorder.finish(claim, {"status": DELIVERY_SKIPPED, "last_error": reason, "next_attempt_at": None})
    return OUTCOME_SKIPPED


def _up_to_date(claim, recorder):
    log.info("Credentials delivery %s skipped: Credentials already has this value or a newer one.", claim.id)
    recorder.finish(claim, {"status": DELIVERY_SENT, "last_error": "", "next_attempt_at": None})
    return OUTCOME_SKIPPED


def _hold(claim, recorder, base_url):
    """Park a delivery while its Credentials URL is paused; this attempt does not count."""
    reason = f"Paused: Credentials at {base_url} answers as if misconfigured (see the paused Credentials URLs)."
    recorder.finish(claim, {"status": DELIVERY_PAUSED, "last_error": reason, "next_attempt_at": None,
                            "attempts": F("attempts") - 1})
    return OUTCOME_PAUSED


def resume_paused():
    """Make every paused delivery due now (its URL answered a probe); returns how many."""
    at = leases.now()
    count = CredentialsDelivery.objects.filter(status=DELIVERY_PAUSED).update(
        status=DELIVERY_PENDING, next_attempt_at=at, attempts=0, last_error="", modified=at,
    )
    if count:
        log.info("%s paused Credentials deliveries resume.", count)
    return count


def _complete(claim, recorder, result, last_modified, payload, base_url):
    at = leases.now()
    response = {"response_status": result.status_code, "response_body": result.body}
    if result.outcome == CONFIGURATION:
        breaker.pause(base_url, result.status_code, result.detail)
        recorder.finish(claim, dict(response, status=DELIVERY_PAUSED, last_error=result.detail, next_attempt_at=None,
                                    attempts=0))
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
        recorder.succeeded(
            claim,
            dict(response, status=DELIVERY_SENT, last_error="", next_attempt_at=None, sent_at=at,
                 sent_last_modified=last_modified, sent_payload=payload, waiting_since=None),
            {"sent_at": at, "sent_payload": payload},
        )
        return OUTCOME_SENT
    if result.outcome == UNKNOWN_COURSE_RUN:
        return _wait_for_catalog(claim, recorder, result, response)
    if result.outcome == REJECTED:
        recorder.finish(claim, dict(response, status=DELIVERY_REJECTED, last_error=result.detail,
                                    next_attempt_at=None))
        return OUTCOME_REJECTED
    if result.outcome == RETRY:
        return _record_retry(claim, recorder, result.detail or result.body, result, response)
    raise ValueError(f"Unknown delivery outcome {result.outcome!r}")


def _wait_for_catalog(claim, recorder, result, response):
    """Credentials' catalog has not copied the run yet: try again hourly, then fail visibly after a week."""
    at = leases.now()
    since = CredentialsDelivery.objects.filter(pk=claim.id).values_list("waiting_since", flat=True).first() or at
    waited = (at - as_utc(since)).total_seconds()
    if waited >= float(settings.GRADE_FREEZE_CREDENTIALS_UNKNOWN_RUN_MAX_WAIT_SECONDS):
        error = (f"Credentials' catalog still does not know {claim.course_key} after {waited / 86400:.1f} days: "
                 "add the run to the catalog (or to a program), then send again.")
        log.error("Credentials delivery %s failed: %s", claim.id, error)
        recorder.finish(claim, dict(response, status=DELIVERY_FAILED, last_error=error, next_attempt_at=None))
        return OUTCOME_FAILED
    next_attempt_at = at + timedelta(seconds=float(settings.GRADE_FREEZE_CREDENTIALS_UNKNOWN_RUN_RETRY_SECONDS))
    log.warning("Credentials delivery %s waits for Credentials' catalog to know %s (since %s); next try %s.",
                claim.id, claim.course_key, isoformat(since), isoformat(next_attempt_at))
    recorder.finish(claim, dict(response, status=DELIVERY_WAITING, last_error=result.detail, waiting_since=since,
                                next_attempt_at=next_attempt_at, attempts=0), {"next_attempt_at": next_attempt_at})
    return OUTCOME_WAITING


def _record_retry(claim, recorder, error, result, response):
    """Record an attempt that did not get through: pending with a backoff (queued again), or failed."""
    at = leases.now()
    attempt = retry_policy.next_attempt(claim.attempts, result, at)
    fields = dict(response or {}, status=DELIVERY_FAILED if attempt.exhausted else DELIVERY_PENDING,
                  last_error=error[:2000], next_attempt_at=attempt.at)
    if attempt.final:
        log.error("Credentials delivery %s failed: HTTP %s on each of %s attempts (%s); not tried again until an "
                  "operator sends it.", claim.id, result.status_code, claim.attempts, error)
    elif attempt.exhausted:
        log.error(
            "Credentials delivery %s failed after %s attempts (%s); the periodic drain tries again at %s.",
            claim.id, claim.attempts, error, isoformat(attempt.at),
        )
    released = recorder.finish(claim, fields, {"next_attempt_at": attempt.at or at})
    if released == leases.DONE and not attempt.exhausted:
        recorder.requeue(claim.id, attempt.delay)
    return OUTCOME_FAILED if attempt.exhausted else OUTCOME_RETRY
