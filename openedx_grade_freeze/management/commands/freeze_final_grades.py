"""
Freeze the final grades of course runs past their freeze date, now, instead of waiting for the periodic task.

Examples::

    ./manage.py lms freeze_final_grades course-v1:edX+DemoX+Demo_Course --dry-run
    ./manage.py lms freeze_final_grades course-v1:edX+DemoX+Demo_Course --wait
    ./manage.py lms freeze_final_grades            # every course past its freeze date without a snapshot
    ./manage.py lms freeze_final_grades course-v1:edX+DemoX+Demo_Course --regrade

A course already frozen is left as it is; a run in progress is resumed (its unfinished chunks queued again).
``--regrade`` asks the LMS to recompute the grades of courses that are not frozen (for instance after their end
date moved later), so grades refused while they were frozen catch up.
"""
import time

from django.core.management.base import BaseCommand, CommandError

from openedx_grade_freeze import broker_handoff, policy, status
from openedx_grade_freeze.exceptions import PlatformUnavailableError, UnknownCourseError
from openedx_grade_freeze.management.commands._snapshot_options import (
    add_operator_argument,
    course_key_or_error,
    operator,
)
from openedx_grade_freeze.models import RUN_COMPLETE, TRIGGER_COMMAND, FreezeRun
from openedx_grade_freeze.platform import grades as platform_grades
from openedx_grade_freeze.snapshots import runs

# How long the command gives the broker to take the runs' first tasks before it exits: they are published from a
# background thread that ends with the process. Short, so a refused or hung broker costs the command no more.
PUBLISH_WAIT_SECONDS = 0.05


class Command(BaseCommand):
    """Start or resume freeze runs for the given courses (or every due course); optionally wait for them."""

    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument("course_keys", nargs="*", metavar="COURSE_KEY",
                            help="Course runs to freeze (default: every course past its freeze date).")
        parser.add_argument("--dry-run", action="store_true", help="Say what would be done; change nothing.")
        parser.add_argument("--wait", type=float, nargs="?", const=3600.0, default=None, metavar="SECONDS",
                            help="Print progress until the runs complete (at most SECONDS, default 3600).")
        parser.add_argument("--regrade", action="store_true",
                            help="Ask the LMS to recompute the grades of these courses (only if not frozen).")
        add_operator_argument(parser)

    def handle(self, *args, **options):
        user = operator(options)
        keys = [course_key_or_error(value) for value in options["course_keys"]]
        try:
            if keys:
                status.require_known(keys)  # refuses unknown courses before anything starts
        except UnknownCourseError as error:
            raise CommandError(str(error)) from error
        if options["regrade"]:
            if not keys:
                raise CommandError("--regrade needs the course keys to recompute.")
            self._regrade(keys, options["dry_run"])
            return
        keys = keys or runs.courses_past_freeze_date()
        if not keys:
            self.stdout.write("No course is past its freeze date without a snapshot.")
            return
        started = []
        for key in keys:
            request = runs.freeze_course(key, trigger=TRIGGER_COMMAND, user=user, dry_run=options["dry_run"])
            self.stdout.write(f"{key}: {request.detail}")
            if request.run_id is not None and request.action in (runs.STARTED, runs.RESUMED):
                started.append(request.run_id)
        if started and not options["dry_run"] and not broker_handoff.publisher.wait_idle(PUBLISH_WAIT_SECONDS):
            self.stdout.write(f"The broker has not taken the runs' tasks within {PUBLISH_WAIT_SECONDS} s; if they are "
                              "lost, the periodic snapshot task resumes the runs (grade_freeze_status shows them).")
        if options["wait"] is not None and started and not options["dry_run"]:
            self._wait(started, options["wait"])
        for run in FreezeRun.objects.filter(pk__in=started, status=RUN_COMPLETE).order_by("pk"):
            self.stdout.write(self.style.SUCCESS(
                f"{run.course_key}: run {run.pk} complete: {run.learners} learners, {run.frozen} frozen, "
                f"{run.no_grade} without a grade, {run.failed} failed."
            ))

    def _wait(self, run_ids, timeout):
        deadline = time.monotonic() + timeout
        waiting = set(run_ids)
        while waiting:
            for run in FreezeRun.objects.filter(pk__in=waiting).order_by("pk"):
                counts = runs.count_run(run.pk)
                self.stdout.write(
                    f"[run {run.pk}] {run.status}: {counts.chunks_done}/{counts.chunks} chunks, "
                    f"{counts.frozen} frozen, {counts.no_grade} without a grade, {counts.failed} failed"
                )
                if run.status == RUN_COMPLETE or run.retired:
                    waiting.discard(run.pk)
            if not waiting:
                return
            if time.monotonic() >= deadline:
                raise CommandError(f"Runs {sorted(waiting)} not complete after {timeout:.0f} s; they go on in "
                                   "the background (see grade_freeze_status).")
            time.sleep(2)

    def _regrade(self, keys, dry_run):
        for key in keys:
            state = policy.get_freeze_state(key)
            if state.frozen:
                self.stdout.write(f"{key}: frozen ({state.source}): not recomputed; the LMS would refuse.")
                continue
            if dry_run:
                self.stdout.write(f"{key}: would ask the LMS to recompute every learner's grade.")
                continue
            try:
                platform_grades.request_course_regrade(key)
            except PlatformUnavailableError as error:
                raise CommandError(f"--regrade needs edx-platform: run it in the LMS ({error})") from error
            self.stdout.write(f"{key}: asked the LMS to recompute every learner's grade.")
