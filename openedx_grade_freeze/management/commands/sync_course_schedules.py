"""
Backfill or repair the plugin's course schedules from edx-platform's CourseOverview.

Examples::

    ./manage.py lms sync_course_schedules --dry-run
    ./manage.py lms sync_course_schedules --courses course-v1:edX+DemoX+Demo_Course
    ./manage.py lms sync_course_schedules --failed

A course seen for the first time is recorded as a baseline; an end date that differs from the stored one is
recorded as an end-date change (tracking event, audit row, log line), exactly as a Studio publish would.
"""
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from openedx_grade_freeze.dates import as_utc, isoformat
from openedx_grade_freeze.exceptions import InvalidCourseKeyError
from openedx_grade_freeze.keys import to_course_key
from openedx_grade_freeze.models import CourseSchedule, FailedScheduleEvent
from openedx_grade_freeze.platform import course_overviews, modules
from openedx_grade_freeze.schedules import apply_snapshot, snapshot_from_platform


class Command(BaseCommand):
    """Backfill or repair course schedules from CourseOverview (runs only inside the LMS or Studio)."""

    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument("--courses", nargs="+", metavar="COURSE_KEY", help="Only these course runs.")
        parser.add_argument(
            "--failed", action="store_true",
            help="Only the courses whose schedule events could not be applied (see FailedScheduleEvent in admin).",
        )
        parser.add_argument("--dry-run", action="store_true", help="Say what would change; write nothing.")

    def handle(self, *args, **options):
        if not modules.is_platform_available():
            raise CommandError(
                "sync_course_schedules reads edx-platform's CourseOverview, which is not importable here: "
                "run it with the LMS or Studio manage.py."
            )
        course_keys = self._course_keys(options)
        overviews = self._overviews(course_keys)
        total = len(overviews)
        counts = {"new": 0, "end changed": 0, "unchanged": 0, "not found": 0, "unreadable": 0}
        dry_run = options["dry_run"]
        for index, (course_key, overview, error) in enumerate(overviews, start=1):
            outcome = "unreadable" if error is not None else self._sync_one(course_key, overview, dry_run)
            counts[outcome] += 1
            detail = f" ({error})" if error is not None else ""
            self.stdout.write(f"[{index}/{total}] {course_key}: {'would be ' if dry_run else ''}{outcome}{detail}")
        if options["failed"] and not dry_run:
            synced = [str(key) for key, overview, _ in overviews if overview is not None]
            FailedScheduleEvent.objects.filter(course_key__in=synced, resolved__isnull=True).update(
                resolved=timezone.now()
            )
        summary = ", ".join(f"{count} {name}" for name, count in counts.items())
        self.stdout.write(self.style.SUCCESS(f"{'Dry run: ' if dry_run else ''}{total} courses: {summary}."))
        if counts["not found"] or counts["unreadable"]:
            raise CommandError(
                f"{counts['not found']} course(s) have no CourseOverview and {counts['unreadable']} could not be "
                "read; see the lines above."
            )

    def _course_keys(self, options):
        """The course keys asked for, or None for every course; bad keys are refused before anything is done."""
        if options["courses"] and options["failed"]:
            raise CommandError("Use either --courses or --failed, not both.")
        if options["failed"]:
            keys = FailedScheduleEvent.objects.filter(resolved__isnull=True).values_list("course_key", flat=True)
            raw = sorted({key for key in keys if key})
            if not raw:
                self.stdout.write("No unresolved failed schedule events.")
                return []
        else:
            raw = options["courses"]
        if raw is None:
            return None
        try:
            return [to_course_key(key) for key in raw]
        except InvalidCourseKeyError as error:
            raise CommandError(str(error)) from error

    def _overviews(self, course_keys):
        return list(course_overviews.iter_course_overviews(course_keys))

    def _sync_one(self, course_key, overview, dry_run):
        if overview is None:
            return "not found"
        stored = CourseSchedule.objects.filter(course_key=course_key).first()
        if dry_run:
            if stored is None:
                return "new"
            return "unchanged" if as_utc(stored.end) == as_utc(overview.end) else "end changed"
        # Not inside a transaction of our own: apply_snapshot retries a lock conflict with a simultaneous publish
        # only when it owns the transaction.
        change = apply_snapshot(snapshot_from_platform(overview))
        if stored is None:
            return "new"
        if change is not None:
            self.stdout.write(f"    end {isoformat(change.previous_end)} -> {isoformat(change.new_end)}")
            return "end changed"
        return "unchanged"
