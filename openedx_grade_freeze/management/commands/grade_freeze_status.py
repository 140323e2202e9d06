"""
Show each course's freeze: end, freeze date, phase and deciding layer, snapshot, Credentials, learner exceptions.

Examples::

    ./manage.py lms grade_freeze_status course-v1:edX+DemoX+Demo_Course --exceptions
    ./manage.py lms grade_freeze_status --frozen
    ./manage.py lms grade_freeze_status --upcoming 14

The phase is open, undated (no freeze date yet), frozen, off or error (the policy could not be evaluated). Counts:
learners in the snapshot, frozen with a stored grade, frozen as "no grade" (enrolled, never graded), failed (not
frozen yet, retried with backoff), frozen grades re-sent to Credentials; then the course's Credentials deliveries
(grades and certificate dates) not sent yet and failed; then its learner exceptions in force now, waiting for
approval and closed, and what the closed ones changed: learners whose grade changed, newly passed, no longer passed.
``--exceptions`` lists each exception under its course's table.
"""
from django.core.management.base import BaseCommand, CommandError

from openedx_grade_freeze import api
from openedx_grade_freeze.dates import isoformat
from openedx_grade_freeze.management.commands._snapshot_options import course_key_or_error
from openedx_grade_freeze.status import MAX_UPCOMING_DAYS

COLUMNS = (
    "COURSE", "END", "FREEZE DATE", "PHASE", "DECIDED BY", "SNAPSHOT", "LEARNERS", "GRADED", "NO GRADE",
    "FAILED", "RE-SENT", "CREDENTIALS PENDING", "CREDENTIALS FAILED", "EXCEPTIONS OPEN", "WAITING APPROVAL",
    "EXCEPTIONS CLOSED", "CHANGED", "NEWLY PASSED", "NO LONGER PASSED",
)


def _row(course):
    snapshot = course.snapshot
    exceptions = course.learner_exceptions
    counts = exceptions.counts
    return (
        str(course.course_key), isoformat(course.state.course_end) or "-", isoformat(course.freeze_date) or "-",
        course.phase, course.decided_by, snapshot.label, str(snapshot.learners), str(snapshot.frozen),
        str(snapshot.no_grade), str(snapshot.failed), str(snapshot.resent),
        str(course.credentials.pending), str(course.credentials.failed), str(len(course.open_exceptions)),
        str(len(exceptions.waiting_for_approval)), str(len(exceptions.closed)), str(counts.learners_changed),
        str(counts.newly_passed), str(counts.no_longer_passed),
    )


def _grade(values):
    if not values:
        return "-"
    if not values.get("has_grade"):
        return "no grade"
    return f"{values.get('percent_grade')} {values.get('letter_grade') or '-'} " + (
        "(passed)" if values.get("passed") else "(not passed)")


def _exception_line(record):
    """One exception: id, learner, state and window, and its change once re-frozen."""
    learner = f"{record.username or '?'} (user {record.user_id})"
    if record.status == "closed":
        state = f"closed ({record.closed_how}) {isoformat(record.closed_at)}"
        if record.refrozen_at is not None:
            state += f"; {_grade(record.before)} -> {_grade(record.after)}"
        else:
            state += f"; {record.refreeze_note}"
    else:
        state = f"{record.status} until {isoformat(record.closes_at)}"
    return f"  exception {record.id}: {learner}: {state}"


class Command(BaseCommand):
    """One table row per course."""

    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument("course_keys", nargs="*", metavar="COURSE_KEY", help="Courses (default: all known).")
        which = parser.add_mutually_exclusive_group()
        which.add_argument("--frozen", action="store_true", help="Only courses past their freeze date.")
        which.add_argument("--upcoming", type=int, metavar="DAYS", help="Only courses freezing in the next DAYS days.")
        parser.add_argument("--exceptions", action="store_true", help="List each course's learner exceptions too.")

    def handle(self, *args, **options):
        if options["upcoming"] is not None and not 0 <= options["upcoming"] <= MAX_UPCOMING_DAYS:
            raise CommandError(f"--upcoming must be from 0 to {MAX_UPCOMING_DAYS} days, not {options['upcoming']}")
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
        if options["exceptions"]:
            for course in courses:
                records = (*course.learner_exceptions.current, *course.learner_exceptions.closed)
                plural = "s" if len(records) != 1 else ""
                self.stdout.write(f"{course.course_key}: {len(records)} learner exception{plural}")
                for record in records:
                    self.stdout.write(_exception_line(record))
