#!/usr/bin/env python
"""
The scripted demo: the plugin in the host project (loaded through its entry points), on an embedded SQLite database.

Studio publishes a course, then re-publishes it with a later end date; the tracking-log lines and the schedule table
are printed. Then a course past its freeze date has grade writes vetoed, the refused learners are listed, an exception
for one learner lets only that learner's write through, and a course override reopens the course.
"""
import json
import os
import shutil
import sys
from datetime import datetime, timedelta, timezone

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VAR = os.path.join(REPO, "var", "demo")


def prepare_environment():
    """A fresh database and tracking log for every run."""
    shutil.rmtree(VAR, ignore_errors=True)
    os.makedirs(VAR)
    os.environ.update({
        "DJANGO_SETTINGS_MODULE": "tests.host.settings",
        "GRADE_FREEZE_TEST_DB": "sqlite",
        "GRADE_FREEZE_VAR_DIR": VAR,
        "GRADE_FREEZE_SQLITE_PATH": os.path.join(VAR, "demo.sqlite3"),
        "GRADE_FREEZE_TRACKING_LOG": os.path.join(VAR, "tracking.log"),
    })
    sys.path.insert(0, REPO)


def heading(text):
    print(f"\n=== {text} ===")


def main():
    prepare_environment()
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    from openedx_grade_freeze import api, tasks
    from openedx_grade_freeze.filters import GradePersistenceRequested
    from openedx_grade_freeze.models import CourseEndDateChange, CourseSchedule
    from tests.events import publish

    heading("Migrating the embedded SQLite database")
    call_command("migrate", run_syncdb=True, verbosity=0)  # with the stand-ins' enrollments table
    print(f"database: {settings.DATABASES['default']['NAME']}")
    print(f"plugin apps found through entry points: {[a for a in settings.INSTALLED_APPS if 'grade_freeze' in a]}")

    now = datetime.now(timezone.utc).replace(microsecond=0)
    course = "course-v1:DemoX+Freeze101+2026"
    first_end = now + timedelta(days=14)
    later_end = first_end + timedelta(days=21)

    heading(f"Studio publishes {course} (end {first_end.isoformat()})")
    publish(course, first_end, time=now - timedelta(minutes=10))
    heading(f"Studio re-publishes it with a later end date ({later_end.isoformat()})")
    publish(course, later_end, time=now - timedelta(minutes=5))
    heading("A late event-bus delivery of the first publish arrives (older: ignored)")
    publish(course, first_end, time=now - timedelta(minutes=9))

    ended = "course-v1:DemoX+Archive+2025"
    publish(ended, now - timedelta(days=45), time=now - timedelta(days=45))

    heading("Grade writes")
    for course_id in (course, ended):
        state = api.get_freeze_state(course_id)
        try:
            GradePersistenceRequested.run_filter(course_id, user_id=42, source="demo")
            verdict = "allowed"
        except GradePersistenceRequested.PreventGradePersistence as veto:
            verdict = f"VETOED: {veto}"
        print(f"{course_id}: frozen={state.frozen} freeze_date={state.freeze_date} ({state.source}) -> {verdict}")

    heading(f"More writes for {ended} are refused; the periodic flush lists whose they were")
    for user_id, times in ((42, 3), (43, 2)):
        for _ in range(times):
            try:
                GradePersistenceRequested.run_filter(ended, user_id=user_id, source="demo")
            except GradePersistenceRequested.PreventGradePersistence:
                pass
    tasks.flush_blocked_counts_task()  # what celery beat runs every minute
    for entry in api.get_course_status(ended).refused_learners:
        print(f"user {entry.user_id} ({entry.username or 'not in this database'}), {entry.source}: "
              f"{entry.count} refused, first {entry.first_refused:%H:%M:%S}, last {entry.last_refused:%H:%M:%S}")
    learner_exception(api, GradePersistenceRequested, ended)

    heading(f"A course team reopens {ended} for appeals with an explicit freeze date")
    api.set_course_override(ended, freeze_date=now + timedelta(days=7), reason="Proctoring appeals (demo)")
    state = api.get_freeze_state(ended)
    print(f"{ended}: frozen={state.frozen} freeze_date={state.freeze_date} ({state.source})")

    heading(f"Tracking log ({settings.TRACKING_LOG_PATH})")
    with open(settings.TRACKING_LOG_PATH, encoding="utf-8") as tracking_log:
        for line in tracking_log:
            event = json.loads(line)
            print(json.dumps({"name": event["name"], "data": event["data"]}))

    heading("Course schedules")
    print(f"{'course':40} {'start':26} {'end':26} {'pacing':10} event time")
    for row in CourseSchedule.objects.order_by("course_key"):
        print(f"{str(row.course_key):40} {row.start.isoformat():26} {row.end.isoformat():26} {row.pacing:10} "
              f"{row.source_event_time.isoformat()}")

    heading("End-date audit")
    for row in CourseEndDateChange.objects.all():
        print(f"{row.course_key}: {row.previous_end.isoformat()} -> {row.new_end.isoformat()} "
              f"(freeze {row.previous_freeze_date.isoformat()} -> {row.new_freeze_date.isoformat()}, "
              f"event {row.event_id})")


def learner_exception(api, filters, course_id):
    """An instructor asks for an exception for learner 42 (an appeal), the registrar approves it: only 42's grade
    writes pass. The LMS's enrollments are the edx-platform stand-ins' table here."""
    from django.contrib.auth import get_user_model
    from opaque_keys.edx.keys import CourseKey

    from openedx_grade_freeze.platform import modules

    sys.path.insert(0, os.path.join(REPO, "tests", "platform_standins"))
    modules.forget_imports()
    from tests.platform_store.models import CourseEnrollment

    heading(f"An exception for one learner of {course_id}: learner 42's appeal")
    users = get_user_model().objects
    instructor = users.create(username="instructor", is_staff=True)
    registrar = users.create(username="registrar", is_staff=True)
    CourseEnrollment.objects.bulk_create(
        [CourseEnrollment(user_id=user_id, course_id=CourseKey.from_string(course_id)) for user_id in (42, 43)])
    record = api.request_learner_exception(course_id, 42, reason="Appeal upheld (demo)", user=instructor)
    print(f"instructor requested exception {record.id} for user 42 until {record.closes_at}: {record.status}")
    try:
        api.approve_learner_exception(record.id, user=instructor)
    except api.LearnerExceptionNotAllowedError as refused:
        print(f"instructor approves it: refused: {refused}")
    record = api.approve_learner_exception(record.id, user=registrar)
    print(f"registrar approves it: {record.status}, opened {record.opens_at}")
    for user_id in (42, 43, None):
        try:
            filters.run_filter(course_id, user_id=user_id, source="demo")
            verdict = "allowed"
        except filters.PreventGradePersistence as veto:
            verdict = f"VETOED: {veto}"
        print(f"grade write for user {user_id}: {verdict}")


if __name__ == "__main__":
    main()
