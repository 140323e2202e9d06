"""
Show each course's freeze: end, freeze date, phase and the layer that decided, snapshot, Credentials.

Examples::

    ./manage.py lms grade_freeze_status course-v1:edX+DemoX+Demo_Course
    ./manage.py lms grade_freeze_status --frozen
    ./manage.py lms grade_freeze_status --upcoming 14

The phase is open, undated (no freeze date yet), frozen, off or error (the policy could not be evaluated). Counts:
learners in the snapshot, frozen with a stored grade, frozen as "no grade" (enrolled, never graded), failed (not
frozen yet, retried with backoff), frozen grades re-sent to Credentials; then the course's Credentials deliveries
(grades and certificate dates) not sent yet and failed.
"""
from django.core.management.base import BaseCommand, CommandError

from openedx_grade_freeze import api
from openedx_grade_freeze.dates import isoformat
from openedx_grade_freeze.management.commands._snapshot_options import course_key_or_error

COLUMNS = (
    "COURSE", "END", "FREEZE DATE", "PHASE", "DECIDED BY", "SNAPSHOT", "LEARNERS", "GRADED", "NO GRADE",
    "FAILED", "RE-SENT", "CREDENTIALS PENDING", "CREDENTIALS FAILED",
)


def _row(course):
    snapshot = course.snapshot
    return (
        str(course.course_key), isoformat(course.state.course_end) or "-", isoformat(course.freeze_date) or "-",
        course.phase, course.decided_by, snapshot.label, str(snapshot.learners), str(snapshot.frozen),
        str(snapshot.no_grade), str(snapshot.failed), str(snapshot.resent),
        str(course.credentials.pending), str(course.credentials.failed),
    )


class Command(BaseCommand):
    """One table row per course."""

    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument("course_keys", nargs="*", metavar="COURSE_KEY", help="Courses (default: all known).")
        which = parser.add_mutually_exclusive_group()
        which.add_argument("--frozen", action="store_true", help="Only courses past their freeze date.")
        which.add_argument("--upcoming", type=int, metavar="DAYS", help="Only courses freezing in the next DAYS days.")

    def handle(self, *args, **options):
        if options["upcoming"] is not None and options["upcoming"] < 0:
            raise CommandError(f"--upcoming must be 0 days or more, not {options['upcoming']}")
        keys = [course_key_or_error(value) for value in options["course_keys"]]
        try:
            courses = api.list_courses(
                keys or None, frozen=True if options["frozen"] else None, upcoming_days=options["upcoming"],
            )
        except api.UnknownCourseError as error:
            raise CommandError(str(error)) from error
        if not courses:
            self.stdout.write("No course matches.")
            return
        rows = [COLUMNS] + [_row(course) for course in courses]
        widths = [max(len(row[index]) for row in rows) for index in range(len(COLUMNS))]
        for row in rows:
            self.stdout.write("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
