"""
Counters and a queue in the shared Django cache, built on ``add``, ``incr`` and ``get_many`` alone, so they work on
every cache an LMS runs (Redis, memcached, local memory). Callers handle the cache's failures.
"""
import hashlib

from django.core.cache import cache

_PREFIX = "openedx_grade_freeze.queue"
# A slot still empty when it is read is closed with this mark: its writer, late or gone, then takes another slot.
_CLOSED = "closed"
_PUT_ATTEMPTS = 5


def counter_add(key, timeout, delta=1):
    """Add ``delta`` to the counter at ``key``, created (with ``timeout``) when missing; returns the new value."""
    try:
        return cache.incr(key, delta)
    except ValueError:
        if cache.add(key, delta, timeout):
            return delta
        return cache.incr(key, delta)


def counter_take(key):
    """Move the counter's value out (what is added meanwhile stays); returns ``(taken, left)``."""
    taken = cache.get(key) or 0
    if taken <= 0:
        return 0, 0
    return taken, cache.decr(key, taken)


class CacheQueue:
    """
    Items any process puts, read in order by one taker at a time (its caller makes sure of that).

    Each item gets a numbered slot (an ``incr`` of the tail, then an ``add``); a take reads the slots past the head
    in one ``get_many`` and deletes them. An item can come out more than once: takers must not mind.
    """

    def __init__(self, name, timeout):
        stem = f"{_PREFIX}.{hashlib.sha1(name.encode()).hexdigest()}"
        self._tail = f"{stem}.tail"
        self._head = f"{stem}.head"
        self._slot_stem = f"{stem}.slot."
        self.timeout = timeout

    def _slot(self, number):
        return f"{self._slot_stem}{number}"

    def put(self, item):
        """Append ``item`` (anything the cache can store, but not the string ``"closed"``)."""
        for _ in range(_PUT_ATTEMPTS):
            if cache.add(self._slot(counter_add(self._tail, None)), item, self.timeout):
                return
        raise RuntimeError(f"No free slot in the cache queue {self._tail} after {_PUT_ATTEMPTS} attempts")

    def waiting(self):
        """About how many items wait (slots put since the last take)."""
        tail, head = self._ends()
        return max(tail - head, 0)

    def _ends(self):
        found = cache.get_many([self._tail, self._head])
        tail, head = found.get(self._tail) or 0, found.get(self._head) or 0
        # A tail below the head: the cache lost the tail, and numbering started again from 1.
        return tail, (head if head <= tail else 0)

    def take(self, most):
        """Up to ``most`` items put since the last take, oldest first."""
        tail, head = self._ends()
        last = min(tail, head + most)
        if last <= head:
            return []
        keys = [self._slot(number) for number in range(head + 1, last + 1)]
        found = cache.get_many(keys)
        items = []
        for key in keys:
            if key not in found and not cache.add(key, _CLOSED, self.timeout):
                found[key] = cache.get(key)  # its writer filled it a moment ago
            item = found.get(key)
            if item is not None and item != _CLOSED:
                items.append(item)
        cache.set(self._head, last, None)
        # Closed slots stay until they expire, so a late writer cannot fill them.
        cache.delete_many([key for key in keys if found.get(key) not in (None, _CLOSED)])
        return items
