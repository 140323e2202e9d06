"""
The circuit breaker of the Credentials outbox: a URL that answers as if misconfigured is paused, in the database, so
every process stops sending there; one probe an interval tells when it is fixed.

See docs/decisions/0009-classifying-credentials-answers.rst.
"""
import logging
import time
from datetime import datetime, timedelta, timezone

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F

from openedx_grade_freeze.dates import isoformat
from openedx_grade_freeze.models import CredentialsPause

log = logging.getLogger(__name__)

# How long a process trusts its copy of the pauses table: pauses made elsewhere are seen within this time.
_LOCAL_SECONDS = 5.0
_local = {"read_at": None, "pauses": {}}


def _now():
    return datetime.now(timezone.utc)


def _interval():
    return timedelta(seconds=float(settings.GRADE_FREEZE_CREDENTIALS_PAUSE_PROBE_SECONDS))


def forget():
    """Drop this process's copy of the pauses (the next check reads the database)."""
    _local["read_at"] = None


def is_paused(base_url):
    """True when sending to ``base_url`` is paused; read from the database at most every few seconds."""
    read_at = _local["read_at"]
    if read_at is None or time.monotonic() - read_at > _LOCAL_SECONDS:
        _local["pauses"] = dict(CredentialsPause.objects.values_list("base_url", "next_probe_at"))
        _local["read_at"] = time.monotonic()
    return base_url in _local["pauses"]


def take_probe(base_url):
    """True when this caller may send one request to a paused URL now (one probe an interval, across processes)."""
    now = _now()
    taken = CredentialsPause.objects.filter(base_url=base_url, next_probe_at__lte=now).update(
        next_probe_at=now + _interval(), modified=now,
    )
    return bool(taken)


def pause(base_url, status_code, reason):
    """Pause ``base_url``; an ERROR is logged when the pause begins and after each failed probe (one an interval)."""
    now = _now()
    with transaction.atomic():
        updated = CredentialsPause.objects.filter(base_url=base_url).update(
            status_code=status_code, reason=reason, probes=F("probes") + 1, modified=now,
        )
        if not updated:
            try:
                with transaction.atomic():
                    CredentialsPause.objects.create(
                        base_url=base_url, status_code=status_code, reason=reason, next_probe_at=now + _interval(),
                    )
            except IntegrityError:  # another process paused it a moment ago
                updated = 1
    _local["pauses"][base_url] = now + _interval()
    log.error(
        "Credentials at %s %s: %s Deliveries there are paused; one is tried again every %s s and all resume when "
        "one succeeds.", base_url, "is still misconfigured" if updated else "is paused", reason,
        settings.GRADE_FREEZE_CREDENTIALS_PAUSE_PROBE_SECONDS,
    )


def resume(base_url):
    """Lift the pause of ``base_url``; True when there was one."""
    deleted, _ = CredentialsPause.objects.filter(base_url=base_url).delete()
    _local["pauses"].pop(base_url, None)
    if deleted:
        log.warning("Credentials at %s answered a probe: sending there again, paused deliveries resume.", base_url)
    return bool(deleted)


def due_probes():
    """The paused URLs whose next probe is due."""
    return list(CredentialsPause.objects.filter(next_probe_at__lte=_now()).values_list("base_url", flat=True))


def describe():
    """One line per paused URL, for status output."""
    return [
        f"{pause.base_url}: paused since {isoformat(pause.created)} (HTTP {pause.status_code}; "
        f"{pause.probes} failed probes; next probe {isoformat(pause.next_probe_at)}): {pause.reason}"
        for pause in CredentialsPause.objects.order_by("base_url")
    ]
