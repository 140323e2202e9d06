"""
Warning ahead of a freeze: ``edx.grades.freeze.upcoming``, once per course and freeze date, from a periodic task.
"""
import logging
from datetime import datetime, timedelta, timezone

from celery import shared_task
from django.conf import settings
from django.db import transaction

from openedx_grade_freeze import tracking
from openedx_grade_freeze.dates import as_utc, days_until, isoformat
from openedx_grade_freeze.models import CourseSchedule, UpcomingFreezeNotice
from openedx_grade_freeze.policy import get_freeze_state

log = logging.getLogger(__name__)


def announce_upcoming_freezes(days=None, at=None):
    """Announce each course freezing within ``days`` (default ``GRADE_FREEZE_UPCOMING_WARNING_DAYS``) whose freeze
    date was not announced yet; returns the course keys announced."""
    days = settings.GRADE_FREEZE_UPCOMING_WARNING_DAYS if days is None else days
    at = as_utc(at) if at is not None else datetime.now(timezone.utc)
    horizon = at + timedelta(days=days)
    announced = []
    for course_key in CourseSchedule.objects.order_by("course_key").values_list("course_key", flat=True).iterator():
        state = get_freeze_state(course_key, at=at)
        if state.error:
            # GRADE_FREEZE_ON_ERROR decided, not the course's configuration: its date is no promise to announce.
            continue
        if not state.enabled or state.frozen or state.freeze_date is None or state.freeze_date > horizon:
            continue
        try:
            if _announce(state, at):
                announced.append(course_key)
        except Exception:  # pylint: disable=broad-except
            # E.g. a deadlock with another worker announcing the same course: it announced it, or the next run will.
            log.exception("Could not record the upcoming-freeze warning of %s; the next run tries again.", course_key)
    log.info("Upcoming-freeze warning: %s courses announced (window %s days).", len(announced), days)
    return announced


def _announce(state, at):
    """Record and emit the warning unless this freeze date was announced already; True when emitted."""
    with transaction.atomic():
        notice, created = UpcomingFreezeNotice.objects.select_for_update().get_or_create(
            course_key=state.course_key, defaults={"freeze_date": state.freeze_date, "announced_at": at},
        )
        previous = None
        if not created:
            if as_utc(notice.freeze_date) == state.freeze_date:
                return False
            previous = as_utc(notice.freeze_date)
            notice.freeze_date = state.freeze_date
            notice.announced_at = at
            notice.save(update_fields=["freeze_date", "announced_at"])
        data = {
            "course_id": str(state.course_key),
            "freeze_date": isoformat(state.freeze_date),
            "previous_freeze_date": isoformat(previous),
            "days_until_freeze": days_until(state.freeze_date, at),
            "course_end": isoformat(state.course_end),
            "source": state.source,
        }
        transaction.on_commit(lambda: tracking.emit(tracking.FREEZE_UPCOMING, data))
    return True


@shared_task(name="openedx_grade_freeze.tasks.announce_upcoming_freezes", ignore_result=True)
def announce_upcoming_freezes_task(days=None):
    """Emit ``edx.grades.freeze.upcoming`` for courses about to freeze (run it from celery beat)."""
    return len(announce_upcoming_freezes(int(days) if days is not None else None))
