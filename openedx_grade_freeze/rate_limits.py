"""
"Once per key and interval" decisions, shared through the Django cache, with an in-process fallback when it fails.
"""
import hashlib
import threading
import time

from django.core.cache import cache

# The in-process fallback forgets its oldest keys beyond this many, so a failing cache cannot grow memory forever.
_LOCAL_MAX_KEYS = 10000
_local_lock = threading.Lock()
_local_until = {}


def _cache_key(key):
    return "openedx_grade_freeze.once." + hashlib.sha1(str(key).encode()).hexdigest()


def first_in_interval(key, seconds):
    """True for the first call with ``key`` in ``seconds`` across processes (per process while the cache fails)."""
    try:
        return bool(cache.add(_cache_key(key), 1, seconds))
    except Exception:  # pylint: disable=broad-except
        return first_in_interval_locally(key, seconds)


def first_in_interval_locally(key, seconds):
    """True for the first call with ``key`` in ``seconds`` in this process."""
    now = time.monotonic()
    with _local_lock:
        if _local_until.get(key, float("-inf")) > now:
            return False
        if len(_local_until) >= _LOCAL_MAX_KEYS:
            for expired in [k for k, until in _local_until.items() if until <= now] or list(_local_until)[:1]:
                del _local_until[expired]
        _local_until[key] = now + seconds
        return True


def forget_local():
    """Forget every in-process decision (tests)."""
    with _local_lock:
        _local_until.clear()
