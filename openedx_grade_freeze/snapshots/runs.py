"""
Freeze runs: plan a course's learners into chunks by user id, freeze each chunk in one transaction, complete by itself.

A run's state lives in the database (``FreezeRun``, ``FreezeChunk``, ``FreezeFailure``); celery tasks only carry ids,
so a lost or repeated task changes nothing and the periodic task resumes whatever was left.
"""
import logging
import math
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from celery import shared_task
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Q

from openedx_grade_freeze import broker_handoff as handoff
from openedx_grade_freeze import policy, tracking
from openedx_grade_freeze.dates import isoformat
from openedx_grade_freeze.keys import to_course_key
from openedx_grade_freeze.models import (
    CHUNK_DONE,
    CHUNK_PENDING,
    RETIRED_SUPERSEDED,
    RUN_COMPLETE,
    RUN_PENDING,
    RUN_RUNNING,
    TRIGGER_PERIODIC,
    CourseFreezeOverride,
    CourseSchedule,
    ExtendedLearnerRefreeze,
    FreezeChunk,
    FreezeFailure,
    FreezeRun,
    FrozenGrade,
    SnapshotAuditEntry,
)
from openedx_grade_freeze.platform import enrollments as platform_enrollments
from openedx_grade_freeze.platform import grades as platform_grades
from openedx_grade_freeze.snapshots import bulk_insert
from openedx_grade_freeze.snapshots.signals import SNAPSHOT_COMPLETED

log = logging.getLogger(__name__)

# The largest user id a database column holds: the last chunk reaches it, so a learner enrolled after planning is
# still frozen.
MAX_USER_ID = 2 ** 63 - 1

# What ``freeze_course`` did.
STARTED = "started"
RESUMED = "resumed"
ALREADY_FROZEN = "already_frozen"
NOT_DUE = "not_due"
WOULD_START = "would_start"


@dataclass(frozen=True)
class FreezeRequest:
    """What asking to freeze one course did: the action, the run concerned (if any) and a sentence for operators."""

    course_key: object
    action: str
    run_id: int | None
    detail: str


@dataclass(frozen=True)
class RunCounts:
    """A run's learners, as counted from its rows now."""

    learners: int
    frozen: int
    no_grade: int
    failed: int
    skipped: int
    chunks: int
    chunks_done: int


class LearnerNotFrozen(ValueError):
    """A learner's stored grade cannot be frozen as it is (the reason is kept on a ``FreezeFailure``)."""


def _now():
    return datetime.now(timezone.utc)


def current_snapshot(course_key):
    """The course's current snapshot (its newest complete, not retired run), or None."""
    return (
        FreezeRun.objects.filter(course_key=to_course_key(course_key), status=RUN_COMPLETE, retired="")
        .order_by("-completed_at", "-pk").first()
    )


def open_run(course_key):
    """The course's pending or running run, or None (there is at most one)."""
    return FreezeRun.objects.filter(open_course_key=str(to_course_key(course_key))).first()


def _run_holding(course_key):
    """The run that holds the course's key (its open run or its current snapshot), or None."""
    return FreezeRun.objects.filter(current_course_key=str(course_key)).first()


def freeze_course(course_key, trigger=TRIGGER_PERIODIC, user=None, dry_run=False, at=None):
    """Start (or resume) the freeze run of a course past its freeze date; a frozen course is left as it is."""
    course_key = to_course_key(course_key)
    snapshot = current_snapshot(course_key)
    if snapshot is not None:
        return FreezeRequest(course_key, ALREADY_FROZEN, snapshot.pk,
                             f"already frozen by run {snapshot.pk} ({snapshot.learners} learners)")
    state = policy.get_freeze_state(course_key, at=at)
    if not state.frozen:
        when = isoformat(state.freeze_date) if state.freeze_date else "none"
        detail = f"not past its freeze date (freeze date {when}; {state.source})"
        return FreezeRequest(course_key, NOT_DUE, None, detail)
    run = open_run(course_key)
    if run is not None:
        if not dry_run:
            resume_run(run.pk)
        return FreezeRequest(course_key, RESUMED, run.pk, f"run {run.pk} is {run.status}: resumed")
    if dry_run:
        return FreezeRequest(course_key, WOULD_START, None,
                             f"would start a freeze run (freeze date {isoformat(state.freeze_date)})")
    try:
        with transaction.atomic():
            run = FreezeRun.objects.create(
                course_key=course_key, open_course_key=str(course_key), current_course_key=str(course_key),
                trigger=trigger, started_by=user,
                freeze_date=state.freeze_date, chunk_size=chunk_size(),
            )
            run_id = run.pk
            transaction.on_commit(lambda: _queue(plan_freeze_run, run_id))
    except IntegrityError:
        # Another run holds the course: one opened a moment ago (runs never overlap), or one that completed since
        # the checks above (a course has one current snapshot). Resume the first; leave the second as it is.
        run = _run_holding(course_key)
        if run is None:
            raise
        if run.status == RUN_COMPLETE:
            return FreezeRequest(course_key, ALREADY_FROZEN, run.pk,
                                 f"already frozen by run {run.pk} ({run.learners} learners)")
        resume_run(run.pk)
        return FreezeRequest(course_key, RESUMED, run.pk, f"run {run.pk} is {run.status}: resumed")
    log.info("Started freeze run %s of %s (freeze date %s, %s).", run.pk, course_key,
             isoformat(state.freeze_date), trigger)
    return FreezeRequest(course_key, STARTED, run.pk, f"started run {run.pk}")


def chunk_size():
    """Learners per chunk (``GRADE_FREEZE_SNAPSHOT_CHUNK_SIZE``)."""
    return max(1, int(settings.GRADE_FREEZE_SNAPSHOT_CHUNK_SIZE))


# Who does the work of a task whose publish was lost: the database says what is left.
RESUMED_BY = "the periodic snapshot task (it resumes runs without progress)"


def _queue(task, *args, countdown=None):
    """Queue a task without waiting on the broker (``broker_handoff``); a lost publish is resumed later."""
    handoff.publish(task, [(args, countdown)], f"{task.name}{args}", RESUMED_BY)


def _merged_ids(course_key, after, limit):
    """The next ``limit`` ids above ``after`` of users with an enrollment (active or not) or a stored grade.

    Each read is an index range of ``limit`` entries at most (no table row); counting inactive enrollments only
    makes some chunks smaller than ``limit`` learners.
    """
    enrolled = platform_enrollments.enrollment_user_ids_after(course_key, after, limit)
    graded = platform_grades.graded_user_ids_after(course_key, after, limit)
    return sorted(set(enrolled) | set(graded))[:limit]


# Chunks planned, committed and queued at a time: workers freeze the first ones while the rest are planned.
PLAN_BATCH = 20


def plan_run(run_id):
    """Split an open run's learners into chunks by user id, a batch at a time, each queued once committed.

    Planning goes on from the run's last chunk, so a resumed or duplicate planning task continues (or, finding the
    batch it planned taken, stops): the unique (run, index) decides. The last chunk reaches ``MAX_USER_ID``;
    ``planned_at`` says planning is over, and a run completes only then. Returns how many chunks this call planned.
    """
    planned = 0
    while True:
        batch, done = _plan_batch(run_id)
        if batch is None:
            return planned
        planned += len(batch)
        if done:
            run = FreezeRun.objects.get(pk=run_id)
            log.info("Freeze run %s of %s planned: %s chunks of up to %s learners.",
                     run_id, run.course_key, FreezeChunk.objects.filter(run_id=run_id).count(), run.chunk_size)
            return planned


def _plan_batch(run_id):
    """Plan, commit and queue the run's next ``PLAN_BATCH`` chunks: (the chunks, whether planning is over), or
    (None, True) when there is nothing to plan (no open run, planning over, or another task planned them)."""
    with transaction.atomic():
        run = FreezeRun.objects.filter(
            pk=run_id, status__in=(RUN_PENDING, RUN_RUNNING), planned_at__isnull=True, retired=""
        ).first()
        if run is None:
            return None, True
        last = FreezeChunk.objects.filter(run_id=run_id).order_by("-index").first()
        after, index = (0, 0) if last is None else (last.last_user_id, last.index + 1)
        batch = []
        while after < MAX_USER_ID and len(batch) < PLAN_BATCH:
            ids = _merged_ids(run.course_key, after, run.chunk_size)
            if not ids:
                break
            batch.append(FreezeChunk(run=run, index=index + len(batch), first_user_id=ids[0], last_user_id=ids[-1]))
            after = ids[-1]
        done = len(batch) < PLAN_BATCH
        if done and batch:
            batch[-1].last_user_id = MAX_USER_ID  # a learner enrolled after planning is still frozen
        elif done and last is not None and last.last_user_id < MAX_USER_ID:
            # The previous batch ended at the last learner: a chunk for those who enrol later.
            batch.append(FreezeChunk(run=run, index=index, first_user_id=last.last_user_id + 1,
                                     last_user_id=MAX_USER_ID))
        try:
            with transaction.atomic():
                FreezeChunk.objects.bulk_create(batch)
        except IntegrityError:
            return None, True  # another planning task took this batch; it goes on from there
        now = _now()
        changes = {"status": RUN_RUNNING, "modified": now, **({"planned_at": now} if done else {})}
        FreezeRun.objects.filter(pk=run_id).update(**changes)
        indexes = [chunk.index for chunk in batch]
        transaction.on_commit(lambda: _queue_chunks(run_id, indexes, done))
    return batch, done


def _queue_chunks(run_id, indexes=None, complete=True):
    """Queue the run's pending chunks (those of ``indexes`` only, if given); with none pending, try to complete it."""
    pending = FreezeChunk.objects.filter(run_id=run_id, status=CHUNK_PENDING)
    if indexes is not None:
        pending = pending.filter(index__in=indexes)
    pending = list(pending.order_by("index").values_list("pk", flat=True))
    if not pending:
        if complete:
            complete_if_done(run_id)
        return
    # One hand-off for all of them: a run's chunks never crowd other publishes out of the hand-off's queue.
    handoff.publish(freeze_chunk_task, [((chunk_id,), None) for chunk_id in pending],
                    f"the {len(pending)} pending chunks of freeze run {run_id}", RESUMED_BY)


def grade_values(grade):
    """A learner's frozen values from their stored grade, or "no grade" (0, not passed) when none is stored."""
    if grade is None:
        return {"has_grade": False, "percent_grade": 0.0, "letter_grade": "", "passed": False,
                "passed_timestamp": None, "grade_modified": None}
    percent = grade.percent_grade
    if not isinstance(percent, (int, float)) or isinstance(percent, bool) or not math.isfinite(percent):
        raise LearnerNotFrozen(f"The stored percent grade is not a number: {percent!r}.")
    if not 0.0 <= percent <= 1.0:
        raise LearnerNotFrozen(f"The stored percent grade {percent!r} is outside 0 to 1.")
    if len(grade.letter_grade or "") > 255:
        raise LearnerNotFrozen("The stored letter grade is longer than 255 characters.")
    return {"has_grade": True, "percent_grade": float(percent), "letter_grade": grade.letter_grade or "",
            "passed": grade.passed_timestamp is not None, "passed_timestamp": grade.passed_timestamp,
            "grade_modified": grade.modified}


def frozen_grade(run, user_id, grade, now):
    """The (unsaved) ``FrozenGrade`` of one learner of ``run``; raises ``LearnerNotFrozen``."""
    return FrozenGrade(run=run, course_key=run.course_key, user_id=user_id, frozen_at=now, **grade_values(grade))


def _freeze_learners(run, user_ids, grades, now):
    """Insert the frozen grades of ``user_ids`` (one bulk insert); returns {user_id: reason} of those that failed."""
    values, failed = [], {}
    for user_id in user_ids:
        try:
            values.append((user_id, grade_values(grades.get(user_id))))
        except LearnerNotFrozen as error:
            failed[user_id] = str(error)
    bulk_insert.insert_frozen_grades(run, values, now)
    return failed


def _retry_delay(attempts):
    base = float(settings.GRADE_FREEZE_SNAPSHOT_RETRY_BACKOFF_SECONDS)
    ceiling = float(settings.GRADE_FREEZE_SNAPSHOT_RETRY_BACKOFF_MAX_SECONDS)
    return min(ceiling, base * 2 ** max(0, attempts - 1))


def freeze_chunk(chunk_id):
    """Freeze one chunk's learners in one transaction: all of them or, if interrupted, none; True if it did."""
    now = _now()
    with transaction.atomic():
        # Only the chunk is locked: locking its run too (a join FOR UPDATE locks both on MySQL) made every chunk of
        # a run wait for the one before, however many workers there were.
        chunk = FreezeChunk.objects.select_for_update().filter(pk=chunk_id).first()
        if chunk is None or chunk.status == CHUNK_DONE:
            return False
        run = FreezeRun.objects.get(pk=chunk.run_id)
        if run.status != RUN_RUNNING or run.retired:
            return False
        first, last = chunk.first_user_id, chunk.last_user_id
        grades = {grade.user_id: grade
                  for grade in platform_grades.read_course_grades_in_range(run.course_key, first, last)}
        enrolled = platform_enrollments.enrolled_user_ids_in_range(run.course_key, first, last)
        user_ids = sorted(set(grades) | set(enrolled))
        failed = _freeze_learners(run, user_ids, grades, now)
        if failed:
            delay = _retry_delay(1)
            FreezeFailure.objects.bulk_create([
                FreezeFailure(run=run, user_id=user_id, reason=reason, next_attempt_at=now + timedelta(seconds=delay))
                for user_id, reason in failed.items()
            ])
            log.warning("Freeze run %s: %s learners of chunk %s not frozen yet (first: user %s, %s).",
                        run.pk, len(failed), chunk.index, next(iter(failed)), next(iter(failed.values())))
            transaction.on_commit(lambda: _queue(retry_failures_task, run.pk, countdown=delay))
        chunk.status = CHUNK_DONE
        chunk.attempts += 1
        chunk.learners = len(user_ids)
        chunk.last_error = ""
        chunk.save(update_fields=["status", "attempts", "learners", "last_error", "modified"])
        run_id = run.pk
        transaction.on_commit(lambda: complete_if_done(run_id))
    return True


def record_chunk_error(chunk_id, error):
    """Keep why a chunk failed as a whole (it stays pending and is retried)."""
    FreezeChunk.objects.filter(pk=chunk_id, status=CHUNK_PENDING).update(
        last_error=f"{error.__class__.__name__}: {error}"[:2000], modified=_now()
    )


def retry_failures(run_id, now=None):
    """Try again the run's learners whose retry is due; returns how many were frozen now."""
    now = now or _now()
    with transaction.atomic():
        run = FreezeRun.objects.select_for_update().filter(pk=run_id).first()
        if run is None or run.retired or run.status != RUN_RUNNING:
            return 0
        due = list(
            FreezeFailure.objects.select_for_update()
            .filter(run=run, resolved_at__isnull=True, skipped=False, next_attempt_at__lte=now)
        )
        if not due:
            return 0
        by_user = {failure.user_id: failure for failure in due}
        grades = {}
        for user_id in by_user:
            grade = platform_grades.get_persisted_course_grade(user_id, run.course_key)
            if grade is not None:
                grades[user_id] = grade
        still = _freeze_learners(run, sorted(by_user), grades, now)
        frozen = [user_id for user_id in by_user if user_id not in still]
        FreezeFailure.objects.filter(run=run, user_id__in=frozen).update(resolved_at=now, modified=now)
        next_delay = None
        for user_id, reason in still.items():
            failure = by_user[user_id]
            failure.attempts += 1
            failure.reason = reason
            delay = _retry_delay(failure.attempts)
            failure.next_attempt_at = now + timedelta(seconds=delay)
            failure.save(update_fields=["attempts", "reason", "next_attempt_at", "modified"])
            next_delay = delay if next_delay is None else min(next_delay, delay)
        if next_delay is not None:
            transaction.on_commit(lambda: _queue(retry_failures_task, run_id, countdown=next_delay))
        transaction.on_commit(lambda: complete_if_done(run_id))
    log.info("Freeze run %s: %s of %s failed learners frozen on retry.", run_id, len(frozen), len(by_user))
    return len(frozen)


def count_run(run_id):
    """Count a run's learners from its rows (frozen, "no grade", failed, skipped) and its chunks."""
    grades = dict(
        FrozenGrade.objects.filter(run_id=run_id).values_list("has_grade").annotate(count=Count("pk"))
        .order_by()
    )
    failures = FreezeFailure.objects.filter(run_id=run_id, resolved_at__isnull=True).aggregate(
        failed=Count("pk", filter=Q(skipped=False)), skipped=Count("pk", filter=Q(skipped=True)),
    )
    chunks = FreezeChunk.objects.filter(run_id=run_id).aggregate(
        total=Count("pk"), done=Count("pk", filter=Q(status=CHUNK_DONE)),
    )
    frozen, no_grade = grades.get(True, 0), grades.get(False, 0)
    return RunCounts(
        learners=frozen + no_grade + failures["failed"] + failures["skipped"], frozen=frozen, no_grade=no_grade,
        failed=failures["failed"], skipped=failures["skipped"], chunks=chunks["total"], chunks_done=chunks["done"],
    )


def complete_if_done(run_id):
    """Complete the run once planned, every chunk done and every learner frozen or skipped; True if it did now."""
    if (not FreezeRun.objects.filter(pk=run_id, planned_at__isnull=False).exists()
            or FreezeChunk.objects.filter(run_id=run_id, status=CHUNK_PENDING).exists()):
        return False
    counts = count_run(run_id)
    counted = {"learners": counts.learners, "frozen": counts.frozen, "no_grade": counts.no_grade,
               "failed": counts.failed, "skipped": counts.skipped}
    if counts.failed:
        FreezeRun.objects.filter(pk=run_id, status=RUN_RUNNING).update(**counted, modified=_now())
        return False
    now = _now()
    with transaction.atomic():
        # One conditional UPDATE: of two workers finishing the last chunks at once, only one completes the run.
        if not FreezeRun.objects.filter(pk=run_id, status=RUN_RUNNING, retired="").update(
            status=RUN_COMPLETE, open_course_key=None, completed_at=now, modified=now, **counted
        ):
            return False
        run = FreezeRun.objects.get(pk=run_id)
        _record_extended_learners(run)
        SnapshotAuditEntry.objects.create(
            course_key=run.course_key, action=SnapshotAuditEntry.ACTION_FROZEN, run=run, changed_by=run.started_by,
            reason=f"Freeze run started by the {run.get_trigger_display().lower()}.", after=counted,
        )
        transaction.on_commit(lambda: _announce_completion(run))
    return True


def _record_extended_learners(run):
    """Keep the learners whose own freeze date (a personalized due date) was still ahead when the run started: the
    periodic pass re-takes each one's row once that date has passed (ADR 0029)."""
    extended = policy.load_learner_due_dates(run.course_key, policy.get_freeze_state(run.course_key))
    ExtendedLearnerRefreeze.objects.bulk_create([
        ExtendedLearnerRefreeze(run=run, course_key=run.course_key, user_id=user_id, freezes_at=due.freezes_at)
        for user_id, due in extended.items() if due.freezes_at is None or due.freezes_at > run.created
    ], ignore_conflicts=True)


def _announce_completion(run):
    log.info("Freeze run %s of %s complete: %s learners, %s frozen, %s without a grade.",
             run.pk, run.course_key, run.learners, run.frozen, run.no_grade)
    tracking.emit(tracking.COURSE_FROZEN, {
        "course_id": str(run.course_key),
        "run_id": run.pk,
        "freeze_date": isoformat(run.freeze_date),
        "learners": run.learners,
        "frozen": run.frozen,
        "no_grade": run.no_grade,
        "skipped": run.skipped,
        "trigger": run.trigger,
    })
    _send_completed(run.pk, run.course_key)


def _send_completed(run_id, course_key):
    for receiver, error in SNAPSHOT_COMPLETED.send_robust(sender=FreezeRun, run_id=run_id, course_key=course_key):
        if isinstance(error, Exception):
            log.error("Freeze run %s: %s failed on its completion: %r", run_id, receiver, error)  # traceback: Django


def resume_run(run_id):
    """Queue what is left of an open run: its planning and its pending chunks (a duplicate does nothing)."""
    run = FreezeRun.objects.filter(pk=run_id).first()
    if run is None or run.retired:
        return
    if run.status == RUN_PENDING:
        _queue(plan_freeze_run, run_id)
    elif run.status == RUN_RUNNING:
        if run.planned_at is None:
            _queue(plan_freeze_run, run_id)  # planning was cut short: it goes on from the last chunk
        _queue_chunks(run_id, complete=run.planned_at is not None)


def retire_superseded(now=None):
    """Mark superseded each current snapshot of a course that is no longer past its freeze date; returns them."""
    now = now or _now()
    retired = []
    for run in FreezeRun.objects.filter(status=RUN_COMPLETE, retired=""):
        state = policy.get_freeze_state(run.course_key, at=now)
        if state.frozen:
            continue
        reason = (f"No longer past its freeze date (now {isoformat(state.freeze_date) or 'none'}; {state.source}).")
        if FreezeRun.objects.filter(pk=run.pk, retired="").update(
            retired=RETIRED_SUPERSEDED, retired_at=now, retired_reason=reason, current_course_key=None, modified=now
        ):
            SnapshotAuditEntry.objects.create(course_key=run.course_key, action=SnapshotAuditEntry.ACTION_SUPERSEDED,
                                              run=run, reason=reason)
            log.warning("Snapshot %s of %s superseded: %s", run.pk, run.course_key, reason)
            retired.append(run.course_key)
    return retired


def courses_past_freeze_date(now=None):
    """Course keys that are past their freeze date and have no current snapshot (nor an open run)."""
    now = now or _now()
    candidates = set(CourseSchedule.objects.filter(end__lte=now).values_list("course_key", flat=True))
    candidates |= set(CourseFreezeOverride.objects.filter(freeze_date__lte=now).values_list("course_key", flat=True))
    # A course with an open run is left to the staleness check below, which re-queues only a run without progress.
    taken = set(FreezeRun.objects.filter(Q(status=RUN_COMPLETE, retired="") | Q(open_course_key__isnull=False))
                .values_list("course_key", flat=True))
    due = []
    for course_key in sorted(candidates - taken, key=str):
        try:
            if policy.get_freeze_state(course_key, at=now).frozen:
                due.append(course_key)
        except Exception:  # pylint: disable=broad-except
            log.exception("Could not evaluate the freeze of %s; not freezing it in this pass.", course_key)
    return due


def freeze_due_courses(now=None):
    """The periodic pass: retire superseded snapshots, start runs for courses past their freeze date, resume."""
    now = now or _now()
    retire_superseded(now)
    started = []
    for course_key in courses_past_freeze_date(now):
        started.append(freeze_course(course_key, trigger=TRIGGER_PERIODIC, at=now))
    stale = now - timedelta(seconds=float(settings.GRADE_FREEZE_SNAPSHOT_STALE_SECONDS))
    for run_id in FreezeRun.objects.filter(open_course_key__isnull=False, modified__lte=stale).values_list(
        "pk", flat=True
    ):
        if not FreezeChunk.objects.filter(run_id=run_id, status=CHUNK_PENDING, modified__gt=stale).exists():
            resume_run(run_id)
    for run_id in FreezeFailure.objects.filter(
        resolved_at__isnull=True, skipped=False, next_attempt_at__lte=now, run__status=RUN_RUNNING
    ).values_list("run_id", flat=True).distinct():
        _queue(retry_failures_task, run_id)
    # A current snapshot not agreed with yet, long after it completed (the agreement's task was lost): its
    # completion is announced again, so what listens (the Credentials agreement) does its work.
    for run_id, course_key in FreezeRun.objects.filter(
        status=RUN_COMPLETE, retired="", agreed_at__isnull=True, completed_at__lte=stale
    ).values_list("pk", "course_key"):
        _send_completed(run_id, course_key)
    return started


# The celery tasks live beside what they run; ``openedx_grade_freeze.tasks`` re-exports them for autodiscovery.
@shared_task(name="openedx_grade_freeze.tasks.plan_freeze_run", ignore_result=True)
def plan_freeze_run(run_id):
    """Split a pending freeze run into chunks and queue them."""
    return plan_run(int(run_id))


@shared_task(bind=True, name="openedx_grade_freeze.tasks.freeze_chunk", ignore_result=True, max_retries=8)
def freeze_chunk_task(self, chunk_id):
    """Freeze one chunk of a run; a failure rolls it back and retries with backoff (then the periodic task)."""
    try:
        return freeze_chunk(int(chunk_id))
    except Exception as error:  # pylint: disable=broad-except
        log.exception("Freeze chunk %s failed; it stays pending and is retried.", chunk_id)
        record_chunk_error(int(chunk_id), error)
        raise self.retry(exc=error, countdown=_retry_delay(self.request.retries + 1)) from error


@shared_task(name="openedx_grade_freeze.tasks.retry_freeze_failures", ignore_result=True)
def retry_failures_task(run_id):
    """Try again the learners of a run whose retry is due."""
    return retry_failures(int(run_id))


@shared_task(name="openedx_grade_freeze.tasks.freeze_due_courses", ignore_result=True)
def freeze_due_courses_task():
    """Freeze every course past its freeze date without a snapshot, and resume unfinished runs (celery beat)."""
    return len(freeze_due_courses())
