"""
Send the grade ledger to Credentials again: what fell through, what failed, or (``--force``) everything selected.

Examples::

    ./manage.py lms send_grades_to_credentials --status
    ./manage.py lms send_grades_to_credentials --failed-only
    ./manage.py lms send_grades_to_credentials --courses course-v1:edX+DemoX+Demo_Course --rate 1 --dry-run
    ./manage.py lms send_grades_to_credentials --start-date 2026-01-01 --end-date 2026-02-01 --user-ids 5 6
    ./manage.py lms send_grades_to_credentials --from-lms --courses course-v1:edX+DemoX+Demo_Course --rate 1

Each grade goes through the same ordered outbox as live changes: the newest grade in the ledger is sent, never an
older one after a newer one. Credentials has no API to read grades back, so "already sent" means what this plugin's
outbox recorded as accepted by Credentials: a grade someone changed or deleted in Credentials since, or one a
restored Credentials database lost, is skipped unless ``--force`` is given. While a Credentials URL is paused
(``--status`` lists it), its deliveries stay paused and resume by themselves after a successful probe.

``--from-lms`` (in the LMS only) first records the LMS's stored course grades of ``--courses`` that are newer than
the ledger's, as grade events would: after a first install, or when events were missed. A course's grades modified
after its freeze are recorded as drift and not sent.
"""
import math
import time
from collections import Counter
from datetime import datetime
from datetime import time as dt_time
from datetime import timezone

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils.dateparse import parse_date, parse_datetime

from openedx_grade_freeze.credentials import breaker, config, outbox, replay
from openedx_grade_freeze.dates import as_utc
from openedx_grade_freeze.exceptions import InvalidCourseKeyError, PlatformUnavailableError
from openedx_grade_freeze.keys import to_course_key

_FAILED = (outbox.OUTCOME_RETRY, outbox.OUTCOME_FAILED, outbox.OUTCOME_REJECTED)
# Not sent yet, and sent later by themselves: Credentials' catalog lacks the run, or its URL is paused.
_WAITING = (outbox.OUTCOME_WAITING, outbox.OUTCOME_PAUSED)


def _parse_when(value, name):
    """A date (midnight UTC) or an ISO-8601 datetime (naive taken as UTC); ``CommandError`` for anything else."""
    problem = ""
    try:
        parsed = parse_datetime(value) if "T" in value or " " in value else None
        if parsed is None and len(value) == 10:
            day = parse_date(value)
            parsed = datetime.combine(day, dt_time.min, tzinfo=timezone.utc) if day is not None else None
    except ValueError as error:  # the right shape, an impossible date or time: 2026-02-30, T25:00
        parsed, problem = None, f" ({error})"
    if parsed is None:
        raise CommandError(f"{name} must be a date (YYYY-MM-DD) or an ISO-8601 datetime, not {value!r}{problem}")
    try:
        return as_utc(parsed)
    except OverflowError:
        side = "before the first" if parsed.year == datetime.min.year else "after the last"
        raise CommandError(f"{name} {value} is {side} date the database can hold in UTC.") from None



# SQLite stores integers in 64 signed bits; Django before 5.0 reports no bound for it (Teak runs 4.2).
SQLITE_LARGEST_INTEGER = 2**63 - 1


def largest_user_id():
    """The largest user id the ledger's ``PositiveBigIntegerField`` holds on this database."""
    _, largest = connection.ops.integer_field_range("PositiveBigIntegerField")
    return SQLITE_LARGEST_INTEGER if largest is None else largest


class Command(BaseCommand):
    """Send ledger grades to Credentials again, rate-limited, with progress and a summary."""

    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument("--courses", nargs="+", metavar="COURSE_KEY", help="Only these course runs.")
        parser.add_argument("--user-ids", nargs="+", type=int, metavar="USER_ID", help="Only these learners.")
        parser.add_argument("--start-date", help="Only grades last modified at or after this date/datetime (UTC).")
        parser.add_argument("--end-date", help="Only grades last modified before this date/datetime (UTC).")
        parser.add_argument("--failed-only", action="store_true", help="Only grades whose delivery is 'failed'.")
        parser.add_argument(
            "--rate", type=float, default=1.0,
            help="Requests per second (default 1; Credentials throttles non-staff users at 90 a minute).",
        )
        parser.add_argument(
            "--force", action="store_true",
            help="Send even grades the outbox recorded as accepted by Credentials (it cannot read them back).",
        )
        parser.add_argument(
            "--from-lms", action="store_true",
            help="First record the LMS's stored grades of --courses that are newer than the ledger's (LMS only).",
        )
        parser.add_argument("--dry-run", action="store_true", help="Count what would be recorded and sent; do nothing.")
        parser.add_argument(
            "--status", action="store_true",
            help="Print the outbox's state (deliveries by status, paused Credentials URLs) and send nothing.",
        )

    def handle(self, *args, **options):
        if options["status"]:
            for line in replay.status_lines():
                self.stdout.write(line)
            return
        filters = self._filters(options)
        rate = options["rate"]
        if not 0 < rate < math.inf:  # also refuses nan: it compares false with everything
            raise CommandError(f"--rate must be more than 0 and finite, not {rate}")
        dry_run, force = options["dry_run"], options["force"]
        lms_grades = self._lms_grades(filters) if options["from_lms"] else None
        if not dry_run and not config.is_configured():
            raise CommandError(
                "Credentials is not configured: set GRADE_FREEZE_CREDENTIALS_URL and the OAuth client settings "
                "(or run inside the LMS with its Credentials settings)."
            )
        for line in breaker.describe():
            self.stderr.write(self.style.WARNING(f"Paused, its deliveries wait for a successful probe: {line}"))
        from_lms = "" if lms_grades is None else self._record_lms_grades(lms_grades, dry_run) + "; "
        records = list(replay.grade_records_for_replay(**filters))
        total = len(records)
        counts = Counter()
        interval = 1.0 / rate
        next_send = time.monotonic()
        every = max(1, min(100, total // 20 or 1))
        for index, record in enumerate(records, start=1):
            if not force and not replay.needs_sending(record):
                counts["skipped"] += 1
            elif dry_run:
                counts["would send"] += 1
            else:
                time.sleep(max(0.0, next_send - time.monotonic()))
                next_send = time.monotonic() + interval
                outcome = replay.replay_grade(record, resend=force)
                counts[self._bucket(outcome)] += 1
            if index % every == 0 or index == total:
                self.stdout.write(f"[{index}/{total}] {self._summary(counts)}")
        prefix = "Dry run: " if dry_run else ""
        self.stdout.write(self.style.SUCCESS(f"{prefix}{from_lms}{total} grades: {self._summary(counts)}."))

    @staticmethod
    def _lms_grades(filters):
        """The LMS's stored grades to catch up from, read before anything is recorded."""
        try:
            return list(replay.lms_grades_for_catch_up(
                filters["course_keys"], user_ids=filters["user_ids"], start=filters["start"], end=filters["end"],
            ))
        except PlatformUnavailableError as error:
            raise CommandError(f"--from-lms needs edx-platform: run it in the LMS ({error})") from error

    def _record_lms_grades(self, grades, dry_run):
        """Record the LMS's grades newer than the ledger's (count them only in a dry run); the summary."""
        if dry_run:
            names = (replay.LMS_WOULD_RECORD, replay.LMS_WOULD_DRIFT, replay.LMS_UP_TO_DATE)
        else:
            names = (replay.LMS_RECORDED, replay.LMS_DRIFT, replay.LMS_UP_TO_DATE)
        counts = Counter()
        total = len(grades)
        every = max(1, min(100, total // 20 or 1))
        for index, grade in enumerate(grades, start=1):
            counts[replay.record_lms_grade(grade, dry_run=dry_run)] += 1
            if index % every == 0 or index == total:
                self.stdout.write(f"[LMS {index}/{total}] " + ", ".join(f"{name} {counts[name]}" for name in names))
        return f"{total} LMS grades: " + ", ".join(f"{name} {counts[name]}" for name in names)

    @staticmethod
    def _bucket(outcome):
        if outcome == outbox.OUTCOME_SENT:
            return "sent"
        if outcome in _FAILED:
            return "failed"
        if outcome in _WAITING:
            return "waiting"
        return "skipped"  # up to date, not forwarded by configuration, or being sent by a worker right now

    @staticmethod
    def _summary(counts):
        names = ("would send", "sent", "skipped", "failed") if counts["would send"] else ("sent", "skipped", "failed")
        if counts["waiting"]:
            names += ("waiting",)
        return ", ".join(f"{name} {counts[name]}" for name in names)

    @staticmethod
    def _filters(options):
        """The replay selection, with every argument checked before anything is sent."""
        try:
            course_keys = [to_course_key(key) for key in options["courses"] or []]
        except InvalidCourseKeyError as error:
            raise CommandError(str(error)) from error
        user_ids = options["user_ids"] or []
        if any(user_id <= 0 for user_id in user_ids):
            raise CommandError("--user-ids must be positive integers")
        largest = largest_user_id()
        if any(user_id > largest for user_id in user_ids):
            raise CommandError(f"--user-ids must be at most {largest}, the largest user id the ledger can hold")
        start = _parse_when(options["start_date"], "--start-date") if options["start_date"] else None
        end = _parse_when(options["end_date"], "--end-date") if options["end_date"] else None
        if start and end and start >= end:
            raise CommandError("--start-date must be before --end-date")
        if options["from_lms"] and not course_keys:
            raise CommandError("--from-lms needs --courses: the course runs whose LMS grades to record")
        if options["from_lms"] and options["failed_only"]:
            raise CommandError("--from-lms records new grades, which are never 'failed': drop --failed-only")
        return {
            "course_keys": course_keys, "user_ids": user_ids, "start": start, "end": end,
            "failed_only": options["failed_only"],
        }
