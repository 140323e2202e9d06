"""
Unfreeze a course's final grades: keep its snapshot as history and turn the freeze off with a course override.

Example::

    ./manage.py lms unfreeze_final_grades course-v1:edX+DemoX+Demo_Course --reason "Regrade granted, ticket 123"

Grades of the course update again, and the periodic task leaves it alone until the override is removed (in
Django admin or with the API). Asks for confirmation unless ``--yes``; audited with the reason.
"""
from django.core.management.base import BaseCommand, CommandError

from openedx_grade_freeze.management.commands._snapshot_options import (
    add_operator_argument,
    course_key_or_error,
    operator,
)
from openedx_grade_freeze.snapshots import corrections


class Command(BaseCommand):
    """Retire a course's snapshot and stop freezing it, after confirmation."""

    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument("course_key", metavar="COURSE_KEY")
        parser.add_argument("--reason", required=True, help="Why (kept in the audit log).")
        parser.add_argument("--yes", action="store_true", help="Do not ask for confirmation.")
        parser.add_argument("--dry-run", action="store_true", help="Say what would be done; change nothing.")
        add_operator_argument(parser)

    def handle(self, *args, **options):
        key = course_key_or_error(options["course_key"])
        user = operator(options)
        if not options["reason"].strip():
            raise CommandError("Say why with --reason: it is kept in the audit log.")
        try:
            plan = corrections.unfreeze_plan(key)
        except corrections.SnapshotError as error:
            raise CommandError(str(error)) from error
        runs_text = ", ".join(str(run_id) for run_id in plan.runs)
        summary = f"{key}: retire run {runs_text} ({plan.learners} learners) and turn the freeze off"
        if options["dry_run"]:
            self.stdout.write(f"Dry run: would {summary}.")
            return
        if not options["yes"]:
            answer = input(f"{summary}? Type 'yes' to continue: ")
            if answer.strip().lower() != "yes":
                raise CommandError("Not confirmed: nothing changed.")
        try:
            corrections.unfreeze_course(key, reason=options["reason"], user=user)
        except corrections.SnapshotError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(self.style.SUCCESS(
            f"{key}: unfrozen; run {runs_text} kept as history; freeze off by a course override."
        ))
