"""
Re-take one learner's frozen final grade from the LMS's stored grade now, and re-send it to Credentials.

Example::

    ./manage.py lms refreeze_learner course-v1:edX+DemoX+Demo_Course ada --reason "Account relinked, ticket 42"

For exceptions after a freeze: a relinked account, a late correction that was granted. USER is a username, or a
user id when it is ASCII digits (``--user-id``: always a user id). A user who is not and never was a learner of the
course (not enrolled, no stored grade, not in the snapshot) is refused, and nothing is written or sent. Audited with
the reason; ``--dry-run`` shows the grade before and after.

``--skip`` is for a learner a run in progress cannot freeze (see ``grade_freeze_status``): nothing is frozen for
them, the learner is counted as skipped, and the run completes without them. Audited with the reason.
"""
from django.core.management.base import BaseCommand, CommandError

from openedx_grade_freeze.exceptions import NotALearnerError
from openedx_grade_freeze.management.commands._snapshot_options import (
    add_operator_argument,
    add_user_id_argument,
    course_key_or_error,
    operator,
    user_or_error,
)
from openedx_grade_freeze.snapshots import corrections


def _describe(values):
    if values is None:
        return "not in the snapshot"
    if not values["has_grade"]:
        return "no grade"
    passed = "passed" if values["passed"] else "not passed"
    return f"{values['percent_grade']} {values['letter_grade'] or '-'} ({passed})"


class Command(BaseCommand):
    """Re-freeze one learner's grade in a course's current snapshot."""

    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument("course_key", metavar="COURSE_KEY")
        parser.add_argument("user", metavar="USER", help="Username, or user id (ASCII digits).")
        add_user_id_argument(parser)
        parser.add_argument("--reason", required=True, help="Why (kept in the audit log).")
        parser.add_argument("--dry-run", action="store_true", help="Show the change; change nothing.")
        parser.add_argument("--skip", action="store_true",
                            help="Freeze nothing for this learner, whom the run in progress cannot freeze.")
        add_operator_argument(parser)

    def handle(self, *args, **options):
        key = course_key_or_error(options["course_key"])
        learner = user_or_error(options["user"], by_id=options["user_id"])
        if options["skip"]:
            self._skip(key, learner, options)
            return
        try:
            result = corrections.refreeze_learner(
                key, learner.pk, reason=options["reason"], user=operator(options), dry_run=options["dry_run"],
            )
        except (corrections.SnapshotError, NotALearnerError) as error:
            raise CommandError(str(error)) from error
        change = f"{_describe(result.before)} -> {_describe(result.after)}"
        if options["dry_run"]:
            self.stdout.write(f"Dry run: {key} {learner.username} (user {learner.pk}): would re-freeze {change}.")
            return
        sent = "re-sent to Credentials" if result.resent else "not sent (forwarding to Credentials is off)"
        self.stdout.write(self.style.SUCCESS(
            f"{key} {learner.username} (user {learner.pk}): re-frozen in run {result.run_id}: {change}; {sent}."
        ))

    def _skip(self, key, learner, options):
        if options["dry_run"]:
            self.stdout.write(f"Dry run: {key} {learner.username} (user {learner.pk}): would be skipped.")
            return
        try:
            run_id = corrections.skip_learner(key, learner.pk, reason=options["reason"], user=operator(options))
        except corrections.SnapshotError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(self.style.SUCCESS(
            f"{key} {learner.username} (user {learner.pk}): skipped in run {run_id}; not frozen."
        ))
