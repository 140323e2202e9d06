"""
Firing real openedx-events the way Studio and the LMS do, for tests and the demo.
"""
from datetime import datetime, timezone

from django.test import TestCase
from opaque_keys.edx.keys import CourseKey
from openedx_events.content_authoring.data import CourseCatalogData, CourseScheduleData
from openedx_events.content_authoring.signals import COURSE_CATALOG_INFO_CHANGED
from openedx_events.data import EventsMetadata

DEFAULT_START = datetime(2026, 1, 5, tzinfo=timezone.utc)


def catalog_info(course_id, end, start=DEFAULT_START, pacing="instructor", name="Demo course"):
    """The ``CourseCatalogData`` Studio builds for a course publish."""
    return CourseCatalogData(
        course_key=CourseKey.from_string(course_id),
        name=name,
        schedule_data=CourseScheduleData(start=start, pacing=pacing, end=end),
    )


def publish(course_id, end, time=None, start=DEFAULT_START, pacing="instructor", run_on_commit=True):
    """Send ``COURSE_CATALOG_INFO_CHANGED`` as Studio does on publish (``time`` is the course's last edit)."""
    info = catalog_info(course_id, end, start=start, pacing=pacing)
    if not run_on_commit:
        return COURSE_CATALOG_INFO_CHANGED.send_event(time=time, catalog_info=info)
    with TestCase.captureOnCommitCallbacks(execute=True):
        return COURSE_CATALOG_INFO_CHANGED.send_event(time=time, catalog_info=info)


def publish_from_event_bus(course_id, end, time, start=DEFAULT_START, pacing="instructor"):
    """Deliver ``COURSE_CATALOG_INFO_CHANGED`` as an event-bus consumer does (``from_event_bus=True``)."""
    metadata = EventsMetadata(event_type=COURSE_CATALOG_INFO_CHANGED.event_type, time=time, source="openedx/cms/web")
    info = catalog_info(course_id, end, start=start, pacing=pacing)
    with TestCase.captureOnCommitCallbacks(execute=True):
        return COURSE_CATALOG_INFO_CHANGED.send_event_with_custom_metadata(metadata, catalog_info=info)
