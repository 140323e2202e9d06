"""
Counting refused grade updates and storing them without a database write per refusal (docs/decisions/0006, 0008 and
0021).

Each refusal is counted in the shared Django cache, for its course and write path and for its learner
(``pending_refusals``). The first refusal of a course and write path in an interval reports the total so far
(tracking event, and an atomic increment of the ``BlockedGradeUpdates`` total). The periodic flush stores every
learner's counts in the refused list (``refused_learners``) and reports the totals left once their interval is over.
A count whose store fails goes back to the cache, where the flush finds it; while the cache fails, each process
counts and rate-limits in memory instead, and hands its counts to the cache once it works again.
"""
import logging
import time

from celery import shared_task
from django.conf import settings
from django.db import IntegrityError, OperationalError, transaction
from django.db.models import F
from django.utils import timezone
from edx_django_utils.monitoring import set_custom_attribute

from openedx_grade_freeze import pending_refusals, refused_learners, tracking
from openedx_grade_freeze.dates import isoformat
from openedx_grade_freeze.models import BlockedGradeUpdates
from openedx_grade_freeze.pending_refusals import LocalCounts, Pending
from openedx_grade_freeze.rate_limits import first_in_interval_locally

log = logging.getLogger(__name__)

# The longest a write path's name can be stored (``BlockedGradeUpdates.source``, ``LearnerRefusals.source``).
_SOURCE_CHARS = 128
# One flush stores at most this many learners' counts and looks at this many queued pairs; the rest wait for the next.
_FLUSH_MOST_LEARNERS = 50000
_FLUSH_MOST_PAIRS = 10000
# A flush holds its lock at most this long (a flush that dies leaves it to expire).
_FLUSH_LOCK_SECONDS = 600


def _interval():
    return settings.GRADE_FREEZE_BLOCKED_EVENT_INTERVAL_SECONDS


local_counts = LocalCounts()


# The largest user id the refused list can hold (``LearnerRefusals.user_id``, a positive big integer).
_MAX_USER_ID = 2**63 - 1


def _learner_id(user_id):
    """The refused learner's user id when the write point named one (an int, or a string of ASCII digits) that the
    refused list can hold; None otherwise (the refusal then counts in the course's total only)."""
    if isinstance(user_id, str) and user_id.isascii() and user_id.isdigit():
        user_id = int(user_id)
    if isinstance(user_id, int) and not isinstance(user_id, bool) and 0 < user_id <= _MAX_USER_ID:
        return user_id
    return None


def record_blocked_update(course_key, user_id, source, freeze_date):
    """Count one refused update; report at most once per course, source and interval (``update_blocked``)."""
    set_custom_attribute("grade_freeze.blocked", True)
    set_custom_attribute("grade_freeze.course_id", str(course_key))
    pair = (str(course_key), (source or "unknown")[:_SOURCE_CHARS])
    learner = _learner_id(user_id)
    now = timezone.now()
    try:
        pending_refusals.count(pair, learner, freeze_date, now)
    except Exception:  # pylint: disable=broad-except
        _cache_failed()
        due = local_counts.add(pair, learner, freeze_date, now, _interval())
        if due:
            _report(pair, user_id, due)
        return
    if local_counts:
        _hand_local_counts_to_cache()
    try:
        if not pending_refusals.claim_report(pair, _interval()):
            return
        total = pending_refusals.take_total(pair, freeze_date)
    except Exception:  # pylint: disable=broad-except
        # The refusal is counted in the cache already; the periodic flush reports it.
        _cache_failed()
        return
    if total:
        _report(pair, user_id, Pending(total=total, freeze_date=freeze_date))


def _hand_local_counts_to_cache():
    """The cache works again: move what this process counted meanwhile there, for the flush to store."""
    for pair, pending in local_counts.take_all():
        _keep_for_later(pair, pending)


def _cache_failed():
    """Say once per interval in this process that the cache failed; the counting goes on in memory."""
    if first_in_interval_locally("blocked.cache_failed", _interval()):
        log.warning(
            "The cache failed while counting refused grade updates; counting in this process until it is back.",
            exc_info=True,
        )


def _keep_for_later(pair, pending):
    """Counts not stored: back to the shared cache, where any process's flush finds them; in memory if it fails."""
    try:
        pending_refusals.put_back(pair, pending)
    except Exception:  # pylint: disable=broad-except
        _cache_failed()
        local_counts.put_back(pair, pending)


def _report(pair, user_id, pending):
    """Store ``pending`` (the total, then each learner's counts) and emit ``update_blocked`` for the total; what
    could not be stored is kept for later."""
    course_key, source = pair
    left = Pending(freeze_date=pending.freeze_date)
    if pending.total and not _add_to_total(course_key, source, pending.total, pending.freeze_date):
        left.total = pending.total
    if pending.learners and not _store(pair, lambda: refused_learners.add(course_key, source, pending.learners)):
        left.learners = pending.learners
    if left:
        _keep_for_later(pair, left)
    if pending.total and not left.total:
        tracking.emit(tracking.UPDATE_BLOCKED, {
            "course_id": course_key,
            "user_id": user_id,
            "source": source,
            "freeze_date": isoformat(pending.freeze_date),
            "blocked_count": pending.total,
        })
        log.info("Grade updates blocked by the freeze: course=%s source=%s count=%s", course_key, source,
                 pending.total)


_ATTEMPTS = 3


def _store(pair, write):
    """Run ``write`` in a savepoint of its own, retrying a lock conflict outside a caller's transaction; False if it
    failed (logged once per pair and interval)."""
    # Outside a caller's transaction each write is its own transaction, so two processes never hold each other's
    # locks for long (MySQL would pick a deadlock victim); a lock conflict is retried. Inside one, the error goes to
    # the log and the counts wait for the next report.
    retry = not transaction.get_connection().in_atomic_block
    for attempt in range(1, _ATTEMPTS + 1):
        try:
            write()
            return True
        except OperationalError as error:
            failure = error
            if not retry or attempt == _ATTEMPTS:
                break
            time.sleep(0.02 * attempt)
        except Exception as error:  # pylint: disable=broad-except
            failure = error
            break
    if first_in_interval_locally(("blocked.store_failed", *pair), _interval()):
        log.error("Could not store the refused updates of %s (%s); kept for the next report.", *pair,
                  exc_info=failure)
    return False


def _add_to_total(course_key, source, count, freeze_date):
    """Atomically add ``count`` to the course and source's total; False if it failed."""
    rows = BlockedGradeUpdates.objects.filter(course_key=course_key, source=source)
    changes = {"total": F("total") + count, "last_reported": timezone.now()}
    if freeze_date is not None:
        changes["freeze_date"] = freeze_date

    def write():
        if not rows.exists():
            try:
                with transaction.atomic():
                    BlockedGradeUpdates.objects.create(course_key=course_key, source=source, total=0)
            except IntegrityError:
                pass  # another process stored the first report a moment ago: add to its row
        with transaction.atomic():
            rows.update(**changes)

    return _store((str(course_key), source), write)


def flush_blocked_counts():
    """Store every learner's counted refusals and report each total left once its interval is over (run by celery
    beat); returns how many refusals' totals were reported."""
    interval = _interval()
    reported = 0
    try:
        token = pending_refusals.claim_flush(_FLUSH_LOCK_SECONDS)
    except Exception:  # pylint: disable=broad-except
        _cache_failed()
        for pair, pending in local_counts.take_due(interval):
            _report(pair, None, pending)
            reported += pending.total
        return reported
    if token is None:
        log.info("Another flush of refused grade updates is running; this one does nothing.")
        return 0
    try:
        if local_counts:
            _hand_local_counts_to_cache()
        reported = _flush_queued(interval)
    except Exception:  # pylint: disable=broad-except
        _cache_failed()
    finally:
        try:
            pending_refusals.release_flush(token)
        except Exception:  # pylint: disable=broad-except
            pass  # the lock expires on its own
    return reported


def _flush_queued(interval):
    """Store what the queued pairs hold; pairs with counts left (a total within its interval, more learners) are
    queued again, and so are the pairs not reached when the cache fails on the way."""
    reported, learners_left = 0, _FLUSH_MOST_LEARNERS
    pairs = list(pending_refusals.take_pairs(_FLUSH_MOST_PAIRS).items())
    for done, (pair, freeze_date) in enumerate(pairs):
        pending = Pending(freeze_date=freeze_date)
        try:
            if pending_refusals.has_total(pair) and pending_refusals.claim_report(pair, interval):
                pending.total = pending_refusals.take_total(pair, freeze_date)
            if learners_left:
                pending.learners = pending_refusals.take_learners(pair, learners_left)
                learners_left -= len(pending.learners)
        except Exception as error:  # pylint: disable=broad-except
            _cache_failed()
            # What was taken is stored; the pairs not done are queued again (the cache allowing).
            pending.learners = getattr(error, "tallies", {})
            if pending:
                _report(pair, None, pending)
            for later, later_freeze_date in pairs[done:]:
                try:
                    pending_refusals.requeue_pair(later, later_freeze_date)
                except Exception:  # pylint: disable=broad-except
                    break  # the next refusal of such a course queues it again
            return reported + pending.total
        if pending:
            _report(pair, None, pending)
            reported += pending.total
        if pending_refusals.has_total(pair) or pending_refusals.learners_waiting(pair):
            pending_refusals.requeue_pair(pair, freeze_date)
    return reported


def forget_learner(user_id):
    """A retired learner leaves the refused list: their rows, and their counts not stored yet."""
    local_counts.forget_learner(user_id)
    try:
        pending_refusals.forget_learner(user_id)
    except Exception:  # pylint: disable=broad-except
        log.warning("The cache failed while retiring user %s: refusals of theirs counted there before the "
                    "retirement may be listed again.", user_id, exc_info=True)
    return refused_learners.forget(user_id)


@shared_task(name="openedx_grade_freeze.tasks.flush_blocked_counts", ignore_result=True)
def flush_blocked_counts_task():
    """Periodic (celery beat): store learners' counted refusals, and report totals whose interval is over."""
    return flush_blocked_counts()
