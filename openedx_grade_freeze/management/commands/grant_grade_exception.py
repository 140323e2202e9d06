"""
Open learner exceptions directly: each learner's grades in the course may change until the date given, although the
course is frozen; no approval step (you are the operator). Audited with the reason, tracked like approved requests.

Examples::

    ./manage.py lms grant_grade_exception course-v1:edX+DemoX+2026 ada 4521 --until 2026-12-20 \\
        --reason "Appeals, ticket 9"
    ./manage.py lms grant_grade_exception course-v1:edX+DemoX+2026 --csv reviewed.csv --until 2026-12-20 \\
        --reason "Late proctoring reviews" --dry-run

USER is a username, or a user id when it is ASCII digits (``--user-id``: always a user id). ``--csv`` reads a file
with a ``user_id`` or ``username`` column (as edx-bulk-grades writes them; a row with both must agree). ``--until`` is
a date (the window ends at the end of that day, UTC) or an ISO date and time. Every learner is checked first: an
unknown user, one who is not and never was a learner of the course, a window in the past or longer than
``GRADE_FREEZE_EXCEPTION_MAX_DAYS``, a missing reason or a learner who already has an exception refuses them all, and
nothing is written. When the course is not frozen yet, the exceptions take effect when it freezes.
"""
import csv

from django.core.management.base import BaseCommand, CommandError

from openedx_grade_freeze import api
from openedx_grade_freeze.dates import isoformat, parse_window_end
from openedx_grade_freeze.management.commands._snapshot_options import (
    add_operator_argument,
    add_user_id_argument,
    course_key_or_error,
    operator,
)

CSV_COLUMNS = ("user_id", "username")


def parse_until(value):
    """``--until``: a date (through the end of that day, UTC) or an ISO date and time (naive: UTC)."""
    try:
        return parse_window_end(value)
    except ValueError as error:
        raise CommandError(f"--until must be a date (2026-12-20) or an ISO date and time, not {value!r}.") from error


def _csv_names(path):
    """``(line, how, value)`` for each row of the CSV file: ``how`` is ``user_id`` or ``username``."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            columns = [name.strip() for name in reader.fieldnames or ()]
            if not set(columns) & set(CSV_COLUMNS):
                raise CommandError(f"{path}: no user_id or username column (columns: {', '.join(columns) or 'none'}).")
            rows = []
            for line, row in enumerate(reader, start=2):
                row = {(key or "").strip(): (value or "").strip() for key, value in row.items()}
                if not any(row.get(column) for column in CSV_COLUMNS):
                    continue
                rows.append((line, row.get("user_id", ""), row.get("username", "")))
            return rows
    except OSError as error:
        raise CommandError(f"Cannot read {path}: {error}") from error
    except (csv.Error, UnicodeDecodeError) as error:
        raise CommandError(f"{path} is not a readable CSV file: {error}") from error


class Command(BaseCommand):
    """Grant learner exceptions to one or more learners of a course."""

    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument("course_key", metavar="COURSE_KEY")
        parser.add_argument("users", nargs="*", metavar="USER", help="Usernames, or user ids (ASCII digits).")
        parser.add_argument("--csv", metavar="FILE", help="A CSV file with a user_id or username column.")
        parser.add_argument("--until", required=True, help="The end of the window: a date (UTC) or date and time.")
        parser.add_argument("--reason", required=True, help="Why (kept in the audit log).")
        parser.add_argument("--dry-run", action="store_true", help="Check everything and show it; change nothing.")
        add_user_id_argument(parser)
        add_operator_argument(parser)

    def handle(self, *args, **options):
        key = course_key_or_error(options["course_key"])
        until = parse_until(options["until"])
        learners = self._learners(options)
        try:
            records = api.grant_learner_exceptions(
                key, learners, reason=options["reason"], until=until, user=operator(options),
                dry_run=options["dry_run"],
            )
        except api.UnknownCourseError as error:
            raise CommandError(str(error)) from error
        except api.InvalidLearnerExceptionError as error:
            problems = [message for messages in error.message_dict.values() for message in messages]
            raise CommandError("Nothing granted:\n  " + "\n  ".join(problems)) from error
        except api.LearnerExceptionNotAllowedError as error:
            raise CommandError(str(error)) from error
        names = {learner.pk: learner.username for learner in learners}
        for record in records:
            who = f"{names.get(record.user_id, record.username)} (user {record.user_id})"
            if options["dry_run"]:
                self.stdout.write(f"Dry run: would grant an exception to {who} in {key} until "
                                  f"{isoformat(record.closes_at)}.")
            else:
                self.stdout.write(f"Granted exception {record.id} to {who} in {key} until "
                                  f"{isoformat(record.closes_at)}.")
        if records and records[0].note:
            self.stdout.write(records[0].note)
        done = "would be granted" if options["dry_run"] else "granted"
        self.stdout.write(self.style.SUCCESS(f"{len(records)} exception{'s' if len(records) != 1 else ''} {done}."))

    def _learners(self, options):
        """Every user named on the command line and in the CSV file; all unknown ones are reported at once."""
        named = [(f"USER {value!r}", value, None) for value in options["users"]]
        if options["csv"]:
            named += [(f"{options['csv']} line {line}", user_id, username)
                      for line, user_id, username in _csv_names(options["csv"])]
        if not named:
            raise CommandError("Name at least one learner: USER arguments or --csv FILE.")
        found, problems = [], []
        for where, value, username in named:
            try:
                found.append(self._user(value, username, options["user_id"]))
            except (api.UnknownUserError, CommandError) as error:
                problems.append(f"{where}: {error}")
        if problems:
            raise CommandError("Nothing granted:\n  " + "\n  ".join(problems))
        return found

    @staticmethod
    def _user(value, username, by_id):
        if username is None:  # a USER argument
            return api.find_user(value, by_id=by_id)
        if value:  # a CSV row's user_id (and maybe its username, which must agree)
            user = api.find_user(value, by_id=True)
            if username and user.username != username:
                raise CommandError(f"user id {value} is {user.username!r}, not {username!r}")
            return user
        return api.find_user(username, username_only=True)
