"""
Counting refused grade updates and reporting them without flooding the tracking log.
"""
import hashlib
import logging

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from edx_django_utils.monitoring import set_custom_attribute

from openedx_grade_freeze import tracking
from openedx_grade_freeze.dates import isoformat
from openedx_grade_freeze.models import BlockedGradeUpdates

log = logging.getLogger(__name__)


def _cache_key(kind, course_key, source):
    digest = hashlib.sha1(f"{course_key}|{source}".encode()).hexdigest()
    return f"openedx_grade_freeze.blocked.{kind}.{digest}"


def record_blocked_update(course_key, user_id, source, freeze_date):
    """Count one refused update; report it at most once per course, source and interval (``update_blocked``)."""
    set_custom_attribute("grade_freeze.blocked", True)
    set_custom_attribute("grade_freeze.course_id", str(course_key))
    source = source or "unknown"
    count_key = _cache_key("count", course_key, source)
    try:
        cache.add(count_key, 0, None)
        cache.incr(count_key)
        interval = settings.GRADE_FREEZE_BLOCKED_EVENT_INTERVAL_SECONDS
        if not cache.add(_cache_key("reported", course_key, source), 1, interval):
            return
        count = cache.get(count_key) or 1
        cache.decr(count_key, count)
    except Exception:  # pylint: disable=broad-except
        log.exception("Could not count a blocked grade update for %s; reporting it alone.", course_key)
        count = 1
    _report(course_key, user_id, source, freeze_date, count)


def _report(course_key, user_id, source, freeze_date, count):
    tracking.emit(tracking.UPDATE_BLOCKED, {
        "course_id": str(course_key),
        "user_id": user_id,
        "source": source,
        "freeze_date": isoformat(freeze_date),
        "blocked_count": count,
    })
    log.info("Grade updates blocked by the freeze: course=%s source=%s count=%s", course_key, source, count)
    try:
        with transaction.atomic():
            updated = BlockedGradeUpdates.objects.filter(course_key=course_key, source=source).update(
                total=F("total") + count, last_reported=timezone.now()
            )
            if not updated:
                BlockedGradeUpdates.objects.create(
                    course_key=course_key, source=source, total=count, last_reported=timezone.now()
                )
    except Exception:  # pylint: disable=broad-except
        log.exception("Could not store the blocked-update count of %s (%s).", course_key, source)
