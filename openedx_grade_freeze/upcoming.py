"""
Warning ahead of a freeze: ``edx.grades.freeze.upcoming``, once per course and freeze date, from a periodic task.
"""
import logging
from datetime import datetime, timezone

from celery import shared_task
from django.conf import settings
from django.db import transaction

from openedx_grade_freeze import status, tracking
from openedx_grade_freeze.dates import as_utc, isoformat
from openedx_grade_freeze.models import UpcomingFreezeNotice

log = logging.getLogger(__name__)


def announce_upcoming_freezes(days=None, at=None):
    """Announce each course about to freeze within ``days`` (default ``GRADE_FREEZE_UPCOMING_WARNING_DAYS``) whose
    freeze date was not announced yet; returns the course keys announced.

    "About to freeze" is the course status's own (``CourseStatus.freezes_within``): a course whose policy could not be
    evaluated is not, since ``GRADE_FREEZE_ON_ERROR`` decided its date, not its configuration.
    """
    days = settings.GRADE_FREEZE_UPCOMING_WARNING_DAYS if days is None else days
    at = as_utc(at) if at is not None else datetime.now(timezone.utc)
    announced = []
    for course in status.list_courses(upcoming_days=days, at=at):
        try:
            if _announce(course, at):
                announced.append(course.course_key)
        except Exception:  # pylint: disable=broad-except
            # E.g. a deadlock with another worker announcing the same course: it announced it, or the next run will.
            log.exception("Could not record the upcoming-freeze warning of %s; the next run tries again.",
                          course.course_key)
    log.info("Upcoming-freeze warning: %s courses announced (window %s days).", len(announced), days)
    return announced


def _announce(course, at):
    """Record and emit the warning unless this freeze date was announced already; True when emitted."""
    with transaction.atomic():
        notice, created = UpcomingFreezeNotice.objects.select_for_update().get_or_create(
            course_key=course.course_key, defaults={"freeze_date": course.freeze_date, "announced_at": at},
        )
        previous = None
        if not created:
            if as_utc(notice.freeze_date) == course.freeze_date:
                return False
            previous = as_utc(notice.freeze_date)
            notice.freeze_date = course.freeze_date
            notice.announced_at = at
            notice.save(update_fields=["freeze_date", "announced_at"])
        data = {
            "course_id": str(course.course_key),
            "freeze_date": isoformat(course.freeze_date),
            "previous_freeze_date": isoformat(previous),
            "days_until_freeze": course.days_until_freeze,
            "course_end": isoformat(course.state.course_end),
            "source": course.decided_by,
        }
        transaction.on_commit(lambda: tracking.emit(tracking.FREEZE_UPCOMING, data))
    return True


@shared_task(name="openedx_grade_freeze.tasks.announce_upcoming_freezes", ignore_result=True)
def announce_upcoming_freezes_task(days=None):
    """Emit ``edx.grades.freeze.upcoming`` for courses about to freeze (run it from celery beat)."""
    return len(announce_upcoming_freezes(int(days) if days is not None else None))
