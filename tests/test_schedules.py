"""
Course schedules kept from Studio's publish events, and the tracking of end-date changes (real events, real tracker).
"""
import json
import logging
import threading
from datetime import datetime, timedelta, timezone

import pytest
from django.conf import settings
from django.db import close_old_connections
from opaque_keys.edx.keys import CourseKey

from openedx_grade_freeze import schedules
from openedx_grade_freeze.models import CourseEndDateChange, CourseSchedule, FailedScheduleEvent
from openedx_grade_freeze.signals.handlers import record_course_schedule
from openedx_grade_freeze.tracking import COURSE_END_CHANGED
from tests.conftest import events_named
from tests.events import catalog_info, publish, publish_from_event_bus

COURSE = "course-v1:DemoX+Freeze101+2026"
END = datetime(2026, 6, 30, 23, 59, tzinfo=timezone.utc)
LATER_END = datetime(2026, 7, 31, 23, 59, tzinfo=timezone.utc)
T0 = datetime(2026, 5, 1, 12, 0, tzinfo=timezone.utc)

pytestmark = pytest.mark.django_db


def schedule():
    return CourseSchedule.objects.get(course_key=CourseKey.from_string(COURSE))


def test_first_sighting_sets_baseline_and_emits_nothing(tracking_events):
    publish(COURSE, END, time=T0)

    assert schedule().end == END
    assert schedule().pacing == "instructor"
    assert schedule().source_event_time == T0
    assert events_named(tracking_events, COURSE_END_CHANGED) == []
    assert not CourseEndDateChange.objects.exists()


def test_changed_end_emits_exactly_one_event_with_old_and_new_dates(tracking_events, caplog):
    publish(COURSE, END, time=T0)
    with caplog.at_level(logging.INFO, logger="openedx_grade_freeze"):
        publish(COURSE, LATER_END, time=T0 + timedelta(hours=1))

    assert events_named(tracking_events, COURSE_END_CHANGED) == [{
        "course_id": COURSE,
        "previous_end": END.isoformat(),
        "new_end": LATER_END.isoformat(),
        "previous_freeze_date": (END + timedelta(days=30)).isoformat(),
        "new_freeze_date": (LATER_END + timedelta(days=30)).isoformat(),
        "pacing": "instructor",
        "detected_by": "event",
    }]
    audit = CourseEndDateChange.objects.get()
    assert (audit.previous_end, audit.new_end) == (END, LATER_END)
    assert audit.event_time == T0 + timedelta(hours=1)
    assert audit.event_id and audit.source == "event"
    assert f"Course end date changed: course={COURSE} previous={END.isoformat()} new={LATER_END.isoformat()}" in (
        caplog.text
    )
    assert schedule().end == LATER_END


def test_republish_with_same_end_emits_nothing(tracking_events):
    publish(COURSE, END, time=T0)
    publish(COURSE, END, time=T0 + timedelta(hours=1), start=T0 - timedelta(days=200))

    assert events_named(tracking_events, COURSE_END_CHANGED) == []
    assert schedule().start == T0 - timedelta(days=200)


def test_older_event_changes_nothing(tracking_events):
    publish(COURSE, LATER_END, time=T0 + timedelta(hours=2))
    publish(COURSE, END, time=T0 + timedelta(hours=1))

    assert schedule().end == LATER_END
    assert schedule().source_event_time == T0 + timedelta(hours=2)
    assert events_named(tracking_events, COURSE_END_CHANGED) == []


@pytest.mark.parametrize("before,after", [(END, None), (None, END)])
def test_end_removed_or_added_is_a_change(tracking_events, before, after):
    publish(COURSE, before, time=T0)
    publish(COURSE, after, time=T0 + timedelta(minutes=5))

    (event,) = events_named(tracking_events, COURSE_END_CHANGED)
    assert event["previous_end"] == (before and before.isoformat())
    assert event["new_end"] == (after and after.isoformat())
    assert event["new_freeze_date"] == (after and (after + timedelta(days=30)).isoformat())


def test_event_bus_delivery_is_handled_the_same_way(tracking_events):
    publish_from_event_bus(COURSE, END, time=T0)
    publish_from_event_bus(COURSE, LATER_END, time=T0 + timedelta(hours=1))
    publish_from_event_bus(COURSE, END, time=T0 + timedelta(minutes=30))  # late, out of order

    assert schedule().end == LATER_END
    assert schedule().source == "event_bus"
    assert len(events_named(tracking_events, COURSE_END_CHANGED)) == 1
    assert CourseEndDateChange.objects.get().source == "event_bus"


def test_self_paced_pacing_is_recorded(tracking_events):
    publish(COURSE, END, time=T0, pacing="self")
    publish(COURSE, LATER_END, time=T0 + timedelta(hours=1), pacing="self")

    assert schedule().pacing == "self"
    assert events_named(tracking_events, COURSE_END_CHANGED)[0]["pacing"] == "self"


def test_tracking_log_file_gets_one_json_line_per_change():
    with open(settings.TRACKING_LOG_PATH, encoding="utf-8") as log_file:
        log_file.seek(0, 2)
        publish(COURSE, END, time=T0)
        publish(COURSE, LATER_END, time=T0 + timedelta(hours=1))
        lines = [json.loads(line) for line in log_file.read().splitlines() if line.strip()]

    changes = [line for line in lines if line["name"] == COURSE_END_CHANGED]
    assert len(changes) == 1
    assert changes[0]["data"]["course_id"] == COURSE
    assert changes[0]["data"]["new_end"] == LATER_END.isoformat()


def test_bad_payload_never_breaks_the_sender_and_is_kept_for_replay(tracking_events):
    from openedx_events.content_authoring.signals import COURSE_CATALOG_INFO_CHANGED

    responses = COURSE_CATALOG_INFO_CHANGED.send_event(
        time=T0, catalog_info=catalog_info(COURSE, END, pacing="sometimes")
    )

    assert not [response for _, response in responses if isinstance(response, Exception)]
    failure = FailedScheduleEvent.objects.get()
    assert failure.course_key == COURSE
    assert "pacing" in failure.error
    assert failure.event_id
    assert not CourseSchedule.objects.exists()


def test_receiver_called_directly_with_garbage_logs_and_does_not_raise(caplog):
    record_course_schedule(sender=None, signal=None, catalog_info=None, metadata=None)

    assert "Could not record the schedule" in caplog.text
    assert FailedScheduleEvent.objects.count() == 1


def publish_concurrently(end, time, workers=2):
    """Publish the same schedule from several threads at the same moment, as two Studio workers can."""
    barrier = threading.Barrier(workers)
    errors = []

    def studio_worker():
        try:
            barrier.wait()
            publish(COURSE, end, time=time, run_on_commit=False)
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=studio_worker) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


@pytest.mark.django_db(transaction=True)
def test_two_workers_publishing_the_same_change_at_once_emit_one_event(tracking_events):
    publish(COURSE, END, time=T0)

    assert publish_concurrently(LATER_END, T0 + timedelta(hours=1)) == []
    assert not FailedScheduleEvent.objects.exists()
    assert CourseEndDateChange.objects.count() == 1
    assert len(events_named(tracking_events, COURSE_END_CHANGED)) == 1
    assert schedule().end == LATER_END


@pytest.mark.django_db(transaction=True)
def test_first_sightings_at_once_store_one_baseline_and_emit_nothing(tracking_events):
    assert publish_concurrently(END, T0, workers=3) == []

    assert not FailedScheduleEvent.objects.exists()
    assert CourseSchedule.objects.count() == 1
    assert events_named(tracking_events, COURSE_END_CHANGED) == []


def test_an_end_date_change_is_announced_with_the_schedules_own_signal(tracking_events):
    heard = []

    def listener(sender, change=None, **kwargs):
        heard.append((change.previous_end, change.new_end, change.detected_by))

    schedules.COURSE_END_CHANGED.connect(listener)
    try:
        publish(COURSE, END, time=T0)  # a first sighting: Credentials needs the first end date too
        publish(COURSE, LATER_END, time=T0 + timedelta(hours=1))
        publish(COURSE, LATER_END, time=T0 + timedelta(hours=2))  # no change: nothing announced
    finally:
        schedules.COURSE_END_CHANGED.disconnect(listener)

    assert heard == [(None, END, "event"), (END, LATER_END, "event")]


def test_a_failing_listener_changes_nothing_for_the_schedule(tracking_events, caplog):
    def broken(sender, **kwargs):
        raise RuntimeError("listener down")

    schedules.COURSE_END_CHANGED.connect(broken)
    try:
        with caplog.at_level(logging.ERROR, logger="openedx_grade_freeze"):
            publish(COURSE, END, time=T0)
            publish(COURSE, LATER_END, time=T0 + timedelta(hours=1))
    finally:
        schedules.COURSE_END_CHANGED.disconnect(broken)

    assert schedule().end == LATER_END
    assert len(events_named(tracking_events, COURSE_END_CHANGED)) == 1
    ours = [record.getMessage() for record in caplog.records
            if record.name == "openedx_grade_freeze.schedules" and "failed in" in record.getMessage()]
    assert len(ours) == 2 and all(COURSE in message and "listener down" in message for message in ours)
