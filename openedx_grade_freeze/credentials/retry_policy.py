"""
When a delivery that did not get through is tried again: exponential backoff with jitter, ``Retry-After``, and when
it is failed (re-driven by the drain hourly) or final (only an operator sends it again).

See docs/decisions/0005-credentials-outbox-and-ordering.rst and 0009-classifying-credentials-answers.rst.
"""
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings

# 5xx answers that say "down for now" (a proxy or a restart), as opposed to an error on this payload.
OUTAGE_STATUSES = {502, 503, 504}


@dataclass(frozen=True)
class NextAttempt:
    """When to try again after ``attempts`` attempts: ``exhausted`` marks the delivery failed, ``final`` for good."""

    at: datetime | None
    delay: float | None
    exhausted: bool
    final: bool


def retry_delay(attempts, retry_after):
    """Exponential backoff with jitter (half to all of the step), never shorter than ``Retry-After``."""
    base = float(settings.GRADE_FREEZE_CREDENTIALS_RETRY_BACKOFF_SECONDS)
    ceiling = float(settings.GRADE_FREEZE_CREDENTIALS_RETRY_BACKOFF_MAX_SECONDS)
    step = min(ceiling, base * 2 ** max(0, attempts - 1))
    delay = random.uniform(step / 2, step)
    if retry_after:
        delay = max(delay, float(retry_after))
    return delay


def is_server_error(result):
    """A 5xx that is not an outage: Credentials fails on this payload, and will again."""
    status = result.status_code if result is not None else None
    return status is not None and status >= 500 and status not in OUTAGE_STATUSES


def next_attempt(attempts, result, now):
    """The ``NextAttempt`` of a delivery whose attempt number ``attempts`` ended in ``result`` (None: no answer)."""
    retry_after = result.retry_after_seconds if result is not None else None
    exhausted = attempts >= settings.GRADE_FREEZE_CREDENTIALS_MAX_ATTEMPTS
    if exhausted and is_server_error(result):
        return NextAttempt(None, None, exhausted=True, final=True)
    if exhausted:
        delay = max(float(settings.GRADE_FREEZE_CREDENTIALS_FAILED_RETRY_SECONDS), float(retry_after or 0))
    else:
        delay = retry_delay(attempts, retry_after)
    return NextAttempt(now + timedelta(seconds=delay), delay, exhausted=exhausted, final=False)
