"""
Refused grade updates counted and not stored yet (docs/decisions/0006, 0008 and 0021).

In the shared cache each course and write path (a "pair") has a total, and each learner in it a count and the time
of their last refusal. A pair is queued when its total leaves zero, a learner when their count does; whoever
reports takes from those queues, so nothing is looked up in the database to find what waits. While the cache fails,
each process keeps the same in its memory (``LocalCounts``).
"""
import hashlib
import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime

from django.core.cache import cache

from openedx_grade_freeze.cache_queue import CacheQueue, counter_add, counter_take
from openedx_grade_freeze.rate_limits import first_in_interval_locally

log = logging.getLogger(__name__)

# Learners' counts, their last times and the queues' items expire this long after they were last taken; the periodic
# flush takes them every minute, so only counts nobody flushes for a day are lost.
LEARNER_SECONDS = 24 * 3600
# A retired learner's counts still in the cache are dropped for this long after the retirement.
RETIRED_SECONDS = 30 * 24 * 3600
# While the cache fails, one process keeps at most this many learners' counts; beyond, it counts the totals only.
LOCAL_MAX_LEARNERS = 20000

_PAIRS = CacheQueue("blocked.pairs", LEARNER_SECONDS)


@dataclass(frozen=True)
class LearnerTally:
    """One learner's refusals on one write path of a course, counted and not stored yet."""

    count: int
    first: datetime
    last: datetime

    def merged(self, other):
        """Both tallies in one."""
        return LearnerTally(self.count + other.count, min(self.first, other.first), max(self.last, other.last))


@dataclass
class Pending:
    """Refusals of one pair not stored yet: how many, each learner's share, and the freeze date they met."""

    total: int = 0
    learners: dict = field(default_factory=dict)
    freeze_date: datetime | None = None

    def __bool__(self):
        return bool(self.total or self.learners)

    def count(self, user_id, now):
        """Count one refusal (of ``user_id`` when known)."""
        self.total += 1
        if user_id is not None:
            self.add_learner(user_id, LearnerTally(1, now, now))

    def add_learner(self, user_id, tally):
        """Add a learner's tally to theirs."""
        held = self.learners.get(user_id)
        self.learners[user_id] = tally if held is None else held.merged(tally)

    def merge(self, other):
        """Add ``other``'s counts to these."""
        self.total += other.total
        for user_id, tally in other.learners.items():
            self.add_learner(user_id, tally)
        self.freeze_date = other.freeze_date or self.freeze_date


def _key(kind, *parts):
    digest = hashlib.sha1("|".join(str(part) for part in parts).encode()).hexdigest()
    return f"openedx_grade_freeze.blocked.{kind}.{digest}"


def _learners_queue(pair):
    return CacheQueue("blocked.learners|" + "|".join(pair), LEARNER_SECONDS)


def _queues_again(value):
    """Queue again when a count reaches a power of two: a queue item lost with a cache eviction is made again."""
    return value > 0 and value & (value - 1) == 0


# -- The shared cache: every call may raise what the cache raises ---------------------------------------------------

def count(pair, user_id, freeze_date, now):
    """Count one refusal of ``pair`` (``(course id, source)``), of ``user_id`` when known, in the shared cache."""
    if _queues_again(counter_add(_key("count", *pair), None)):
        _PAIRS.put((*pair, freeze_date))
    if user_id is None:
        return
    cache.set(_key("last", *pair, user_id), now, LEARNER_SECONDS)
    if _queues_again(counter_add(_key("learner", *pair, user_id), LEARNER_SECONDS)):
        _learners_queue(pair).put((user_id, now))


def claim_report(pair, interval):
    """Whether this caller reports the pair's total now: the first to ask in ``interval`` seconds."""
    return bool(cache.add(_key("reported", *pair), 1, interval))


def has_total(pair):
    """Whether refusals of the pair wait in the cache's total."""
    return (cache.get(_key("count", *pair)) or 0) > 0


def take_total(pair, freeze_date):
    """Move the pair's total out of the cache; refusals counted meanwhile stay, and the pair stays queued."""
    taken, left = counter_take(_key("count", *pair))
    if left > 0:
        try:
            _PAIRS.put((*pair, freeze_date))
        except Exception:  # pylint: disable=broad-except
            pass  # what is left is taken by the pair's next report
    return taken


def take_pairs(most):
    """Up to ``most`` queued pairs, each once: ``{pair: freeze date}``. Callers take one at a time (the flush lock)."""
    pairs = {}
    for course_id, source, freeze_date in _PAIRS.take(most):
        pairs[(course_id, source)] = freeze_date or pairs.get((course_id, source))
    return pairs


def requeue_pair(pair, freeze_date):
    """Queue the pair again (what it holds waits for a later flush)."""
    _PAIRS.put((*pair, freeze_date))


def learners_waiting(pair):
    """Whether learners of the pair wait in the cache."""
    return _learners_queue(pair).waiting() > 0


def take_learners(pair, most):
    """Move up to ``most`` queued learners' counts out of the cache: ``{user_id: LearnerTally}``.

    Retired learners' counts are taken and dropped. Callers take one at a time (the flush lock).
    """
    queue = _learners_queue(pair)
    firsts = {}
    for user_id, first in queue.take(most):
        firsts[user_id] = min(first, firsts.get(user_id, first))
    if not firsts:
        return {}
    counters = {user_id: _key("learner", *pair, user_id) for user_id in firsts}
    lasts = {user_id: _key("last", *pair, user_id) for user_id in firsts}
    retired = {user_id: _key("retired", user_id) for user_id in firsts}
    found = cache.get_many([*counters.values(), *lasts.values(), *retired.values()])
    tallies, untaken = {}, list(firsts.items())
    try:
        while untaken:
            user_id, first = untaken[0]
            taken = found.get(counters[user_id]) or 0
            try:
                left = cache.decr(counters[user_id], taken) if taken > 0 else 0
            except ValueError:
                taken = left = 0  # the counter expired a moment ago, with what it held
            untaken.pop(0)
            if taken > 0 and retired[user_id] not in found:
                tallies[user_id] = LearnerTally(taken, first, max(found.get(lasts[user_id]) or first, first))
            if taken > 0:
                cache.touch(counters[user_id], LEARNER_SECONDS)
            if left > 0:
                queue.put((user_id, found.get(lasts[user_id]) or first))
    except Exception as error:
        for user_id, first in untaken:  # queued again, the cache allowing
            try:
                queue.put((user_id, first))
            except Exception:  # pylint: disable=broad-except
                break
        raise PartialTake(tallies) from error
    return tallies


class PartialTake(Exception):
    """The cache failed while learners' counts were being taken: ``tallies`` holds those taken before."""

    def __init__(self, tallies):
        super().__init__(f"the cache failed after {len(tallies)} learners' counts were taken")
        self.tallies = tallies


def put_back(pair, pending):
    """Return counts whose store failed to the cache, queued, for the next report or flush."""
    if pending.total:
        counter_add(_key("count", *pair), None, pending.total)
    for user_id, tally in pending.learners.items():
        cache.add(_key("last", *pair, user_id), tally.last, LEARNER_SECONDS)
        counter_add(_key("learner", *pair, user_id), LEARNER_SECONDS, tally.count)
        _learners_queue(pair).put((user_id, tally.first))
    _PAIRS.put((*pair, pending.freeze_date))


def forget_learner(user_id):
    """Drop a retired learner's counts still in the cache, from every pair, when they are taken."""
    cache.set(_key("retired", user_id), 1, RETIRED_SECONDS)


def claim_flush(seconds):
    """A token when this caller may flush now (no other flush holds the lock, for at most ``seconds``), else None."""
    token = f"{time.time()}-{threading.get_ident()}"
    return token if cache.add(_key("flush", "lock"), token, seconds) else None


def release_flush(token):
    """Let the next flush run."""
    if cache.get(_key("flush", "lock")) == token:
        cache.delete(_key("flush", "lock"))


# -- This process's memory, while the cache fails -------------------------------------------------------------------

class LocalCounts:
    """This process's counts and report times, used while the shared cache fails."""

    def __init__(self):
        self._lock = threading.Lock()
        self._pending = {}
        self._reported_at = {}
        self._learners = 0

    def __bool__(self):
        return bool(self._pending)

    def add(self, pair, user_id, freeze_date, now, interval):
        """Count one refusal; returns the pair's ``Pending`` when it is due for a report (and forgets it), else None.

        Beyond ``LOCAL_MAX_LEARNERS`` learners, a new learner is counted in the total only.
        """
        with self._lock:
            pending = self._pending.setdefault(pair, Pending())
            if user_id is not None and user_id not in pending.learners and self._learners >= LOCAL_MAX_LEARNERS:
                user_id = None
                if first_in_interval_locally("blocked.local_learners_full", interval):
                    log.warning("This process holds %s learners' refused updates while the cache fails; further "
                                "learners are counted in the course's total only.", self._learners)
            self._learners += user_id is not None and user_id not in pending.learners
            pending.count(user_id, now)
            pending.freeze_date = freeze_date or pending.freeze_date
            if time.monotonic() - self._reported_at.get(pair, float("-inf")) < interval:
                return None
            self._reported_at[pair] = time.monotonic()
            return self._pop(pair)

    def _pop(self, pair):
        pending = self._pending.pop(pair)
        self._learners -= len(pending.learners)
        return pending

    def put_back(self, pair, pending):
        """Keep counts whose report failed, for the next one."""
        with self._lock:
            held = self._pending.setdefault(pair, Pending())
            before = len(held.learners)
            held.merge(pending)
            self._learners += len(held.learners) - before

    def take_due(self, interval):
        """Every pending pair not reported in ``interval``: ``[(pair, Pending)]``."""
        now = time.monotonic()
        due = []
        with self._lock:
            for pair in list(self._pending):
                if now - self._reported_at.get(pair, float("-inf")) >= interval:
                    self._reported_at[pair] = now
                    due.append((pair, self._pop(pair)))
        return due

    def take_all(self):
        """Every pending pair: ``[(pair, Pending)]`` (to hand to the cache once it works again)."""
        with self._lock:
            return [(pair, self._pop(pair)) for pair in list(self._pending)]

    def forget_learner(self, user_id):
        """Drop a retired learner's counts."""
        with self._lock:
            for pending in self._pending.values():
                if pending.learners.pop(user_id, None) is not None:
                    self._learners -= 1

    def clear(self):
        """Forget everything (tests)."""
        with self._lock:
            self._pending.clear()
            self._reported_at.clear()
            self._learners = 0
