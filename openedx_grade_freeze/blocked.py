"""
Counting refused grade updates and reporting them without flooding the tracking log (docs/decisions/0008).

Each refusal is counted in the shared Django cache; the first refusal of a course and source in an interval reports
the count so far (tracking event, and an atomic increment of the ``BlockedGradeUpdates`` total). Counts left at the
end of an interval are reported by the periodic flush. When the cache fails, each process counts and rate-limits in
memory instead.
"""
import hashlib
import logging
import threading
import time
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, OperationalError, transaction
from django.db.models import F
from django.utils import timezone
from edx_django_utils.monitoring import set_custom_attribute

from openedx_grade_freeze import tracking
from openedx_grade_freeze.dates import isoformat
from openedx_grade_freeze.models import BlockedGradeUpdates
from openedx_grade_freeze.rate_limits import first_in_interval_locally

log = logging.getLogger(__name__)


def _cache_key(kind, course_key, source):
    digest = hashlib.sha1(f"{course_key}|{source}".encode()).hexdigest()
    return f"openedx_grade_freeze.blocked.{kind}.{digest}"


def _interval():
    return settings.GRADE_FREEZE_BLOCKED_EVENT_INTERVAL_SECONDS


class _LocalCounts:
    """
    This process's counts and report times, used while the shared cache fails.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._pending = {}
        self._reported_at = {}

    def add(self, key, count, interval):
        """Count ``count`` refusals of ``key``; return the pending total when it is due for a report, else None."""
        now = time.monotonic()
        with self._lock:
            self._pending[key] = self._pending.get(key, 0) + count
            if now - self._reported_at.get(key, float("-inf")) < interval:
                return None
            self._reported_at[key] = now
            return self._pending.pop(key)

    def put_back(self, key, count):
        """Keep counts whose report failed, for the next one."""
        with self._lock:
            self._pending[key] = self._pending.get(key, 0) + count

    def take_due(self, interval):
        """Every pending count whose key has not been reported in ``interval``: ``[(key, count)]``."""
        now = time.monotonic()
        due = []
        with self._lock:
            for key in list(self._pending):
                if now - self._reported_at.get(key, float("-inf")) >= interval:
                    self._reported_at[key] = now
                    due.append((key, self._pending.pop(key)))
        return due

    def clear(self):
        """Forget everything (tests)."""
        with self._lock:
            self._pending.clear()
            self._reported_at.clear()


local_counts = _LocalCounts()


def record_blocked_update(course_key, user_id, source, freeze_date):
    """Count one refused update; report at most once per course, source and interval (``update_blocked``)."""
    set_custom_attribute("grade_freeze.blocked", True)
    set_custom_attribute("grade_freeze.course_id", str(course_key))
    source = source or "unknown"
    count_key = _cache_key("count", course_key, source)
    try:
        cache.add(count_key, 0, None)
        cache.incr(count_key)
    except Exception:  # pylint: disable=broad-except
        _cache_failed()
        count = local_counts.add((str(course_key), source), 1, _interval())
    else:
        try:
            if not cache.add(_cache_key("reported", course_key, source), 1, _interval()):
                return
            count = _take(count_key)
        except Exception:  # pylint: disable=broad-except
            # The refusal is counted in the cache already; the periodic flush reports it.
            _cache_failed()
            return
    if count:
        _report(course_key, user_id, source, freeze_date, count)


def _take(count_key):
    """Move the count out of the cache (refusals counted meanwhile stay there)."""
    count = cache.get(count_key) or 0
    if count:
        cache.decr(count_key, count)
    return count


def _cache_failed():
    """Say once per interval in this process that the cache failed; the counting goes on in memory."""
    if first_in_interval_locally("blocked.cache_failed", _interval()):
        log.warning(
            "The cache failed while counting refused grade updates; counting in this process until it is back.",
            exc_info=True,
        )


def _report(course_key, user_id, source, freeze_date, count):
    """Add ``count`` to the stored total, then emit ``update_blocked``; a failed store keeps the count for later."""
    if not _add_to_total(course_key, source, count, freeze_date):
        local_counts.put_back((str(course_key), source), count)
        return
    tracking.emit(tracking.UPDATE_BLOCKED, {
        "course_id": str(course_key),
        "user_id": user_id,
        "source": source,
        "freeze_date": isoformat(freeze_date),
        "blocked_count": count,
    })
    log.info("Grade updates blocked by the freeze: course=%s source=%s count=%s", course_key, source, count)


_ATTEMPTS = 3


def _add_to_total(course_key, source, count, freeze_date):
    """Atomically add ``count`` to the course and source's total, in savepoints of its own; False if it failed."""
    rows = BlockedGradeUpdates.objects.filter(course_key=course_key, source=source)
    # Outside a caller's transaction the row's insert and the increment are separate transactions, so two
    # processes storing a first report never hold each other's locks (MySQL would pick a deadlock victim); a
    # lock conflict is retried. Inside one, the error goes to the log and the count waits for the next report.
    retry = not transaction.get_connection().in_atomic_block
    for attempt in range(1, _ATTEMPTS + 1):
        try:
            if not rows.exists():
                try:
                    with transaction.atomic():
                        BlockedGradeUpdates.objects.create(course_key=course_key, source=source, total=0)
                except IntegrityError:
                    pass  # another process stored the first report a moment ago: add to its row
            with transaction.atomic():
                rows.update(total=F("total") + count, last_reported=timezone.now(), freeze_date=freeze_date)
            return True
        except OperationalError:
            if not retry or attempt == _ATTEMPTS:
                break
            time.sleep(0.02 * attempt)
        except Exception:  # pylint: disable=broad-except
            break
    if first_in_interval_locally(("blocked.store_failed", str(course_key), source), _interval()):
        log.exception("Could not store the blocked-update count of %s (%s); kept for the next report.",
                      course_key, source)
    return False


def flush_blocked_counts():
    """Report every count left over once its interval is over (run by celery beat); returns how many were reported."""
    interval = _interval()
    reported = 0
    for (course_key, source), count in local_counts.take_due(interval):
        _report(course_key, None, source, None, count)
        reported += count
    # Counts wait in the cache only for a course and source reported within the last interval.
    recent = timezone.now() - timedelta(seconds=2 * interval + 300)
    for row in BlockedGradeUpdates.objects.filter(last_reported__gte=recent).iterator():
        count_key = _cache_key("count", row.course_key, row.source)
        reported_key = _cache_key("reported", row.course_key, row.source)
        try:
            if not cache.get(count_key):
                continue
            if not cache.add(reported_key, 1, interval):
                continue  # reported in this interval: its next report (or this flush, later) takes the count
            count = _take(count_key)
        except Exception:  # pylint: disable=broad-except
            _cache_failed()
            break
        if count:
            _report(row.course_key, None, row.source, row.freeze_date, count)
            reported += count
    return reported


@shared_task(name="openedx_grade_freeze.tasks.flush_blocked_counts", ignore_result=True)
def flush_blocked_counts_task():
    """Periodic (celery beat): report refused updates still counted once their course's interval is over."""
    return flush_blocked_counts()
