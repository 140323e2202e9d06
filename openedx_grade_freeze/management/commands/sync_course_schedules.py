"""
Backfill or repair the plugin's course schedules from edx-platform's CourseOverview.

Examples::

    ./manage.py lms sync_course_schedules --dry-run
    ./manage.py lms sync_course_schedules --courses course-v1:edX+DemoX+Demo_Course
    ./manage.py lms sync_course_schedules --failed
    ./manage.py lms sync_course_schedules --courses course-v1:edX+DemoX+Demo_Course --force

A course seen for the first time is recorded as a baseline; an end date that differs from the stored one is
recorded as an end-date change (tracking event, audit row, log line), exactly as a Studio publish would. A stored
schedule stamped later than now (from a Studio with a fast clock) is kept unless ``--force`` replaces it; a dry run
takes the same decisions and writes nothing.
"""
from django.core.management.base import BaseCommand, CommandError

from openedx_grade_freeze.dates import isoformat
from openedx_grade_freeze.exceptions import InvalidCourseKeyError
from openedx_grade_freeze.keys import to_course_key
from openedx_grade_freeze.models import FailedScheduleEvent
from openedx_grade_freeze.platform import course_overviews, modules
from openedx_grade_freeze.schedule_sync import OUTCOME_FAILED, sync_from_overview
from openedx_grade_freeze.schedules import (
    OUTCOME_END_CHANGED,
    OUTCOME_NEW,
    OUTCOME_OUT_OF_DATE,
    OUTCOME_UNCHANGED,
    record_failed_event,
    resolve_failed_events,
)


class Command(BaseCommand):
    """Backfill or repair course schedules from CourseOverview (runs only inside the LMS or Studio)."""

    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument("--courses", nargs="+", metavar="COURSE_KEY", help="Only these course runs.")
        parser.add_argument(
            "--failed", action="store_true",
            help="Only the courses whose schedule events could not be applied (see FailedScheduleEvent in admin).",
        )
        parser.add_argument(
            "--force", action="store_true",
            help="Replace each stored schedule from CourseOverview whatever its event time (audited as forced).",
        )
        parser.add_argument("--dry-run", action="store_true", help="Say what would change; write nothing.")

    def handle(self, *args, **options):
        if not modules.is_platform_available():
            raise CommandError(
                "sync_course_schedules reads edx-platform's CourseOverview, which is not importable here: "
                "run it with the LMS or Studio manage.py."
            )
        self._skipped = []
        course_keys = self._course_keys(options)
        overviews = self._overviews(course_keys)
        total = len(overviews)
        counts = {
            OUTCOME_NEW: 0, OUTCOME_END_CHANGED: 0, OUTCOME_UNCHANGED: 0, OUTCOME_OUT_OF_DATE: 0, "not found": 0,
            "unreadable": 0, OUTCOME_FAILED: 0, "skipped": len(self._skipped),
        }
        dry_run = options["dry_run"]
        stored = []
        for index, (course_key, overview, error) in enumerate(overviews, start=1):
            if error is not None:
                outcome, detail = "unreadable", f" ({error})"
            else:
                outcome, detail = self._sync_one(overview, options["force"], dry_run)
            if outcome not in ("unreadable", "not found", OUTCOME_FAILED):
                stored.append(course_key)
            counts[outcome] += 1
            self.stdout.write(f"[{index}/{total}] {course_key}: {'would be ' if dry_run else ''}{outcome}{detail}")
        if options["failed"] and not dry_run:
            resolve_failed_events(stored)
        summary = ", ".join(f"{count} {name}" for name, count in counts.items())
        self.stdout.write(self.style.SUCCESS(f"{'Dry run: ' if dry_run else ''}{total} courses: {summary}."))
        if counts[OUTCOME_OUT_OF_DATE]:
            self.stdout.write(
                f"{counts[OUTCOME_OUT_OF_DATE]} stored schedule(s) are stamped later than CourseOverview's: run again "
                "with --force to replace them."
            )
        if counts["not found"] or counts["unreadable"] or counts[OUTCOME_FAILED] or counts["skipped"]:
            skipped = f"; {counts['skipped']} failed event(s) name no valid course" if counts["skipped"] else ""
            raise CommandError(
                f"{counts['not found']} course(s) have no CourseOverview, {counts['unreadable']} could not be read "
                f"and {counts[OUTCOME_FAILED]} could not be stored (kept for --failed){skipped}; see the lines above."
            )

    def _course_keys(self, options):
        """The course keys asked for, or None for every course; bad keys are refused before anything is done."""
        if options["courses"] and options["failed"]:
            raise CommandError("Use either --courses or --failed, not both.")
        if options["failed"]:
            rows = FailedScheduleEvent.objects.filter(resolved__isnull=True).values_list("pk", "course_key")
            if not rows:
                self.stdout.write("No unresolved failed schedule events.")
                return []
            # One bad row must not stop the repair of every other course: it is reported and skipped.
            keys = {}
            for pk, raw_key in rows:
                try:
                    keys.setdefault(str(to_course_key(raw_key)), to_course_key(raw_key))
                except InvalidCourseKeyError:
                    self._skipped.append(pk)
                    self.stdout.write(f"Failed event #{pk}: skipped, {raw_key!r} is not a course key.")
            return [keys[key] for key in sorted(keys)]
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

    def _sync_one(self, overview, force, dry_run):
        if overview is None:
            return "not found", ""
        try:
            outcome = sync_from_overview(overview, force=force, dry_run=dry_run)
        except Exception as error:  # pylint: disable=broad-except
            # One course must not stop the repair of every other: it is reported and kept for --failed.
            reason = f"{type(error).__name__}: {error}"
            if not dry_run:
                record_failed_event(overview.course_key, "", None, overview, reason, once_per_course=True)
            return OUTCOME_FAILED, f" ({reason})"
        detail = ""
        if outcome.change is not None:
            detail = f" (end {isoformat(outcome.change.previous_end)} -> {isoformat(outcome.change.new_end)})"
        elif outcome.detail:
            detail = f" ({outcome.detail})"
        return outcome.status, detail
