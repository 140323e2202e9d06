"""
Re-frozen by itself: once an exception has closed, its learner's grade is re-taken into the course's snapshot (as
``refreeze_learner`` does, so the Credentials integration re-sends it through the outbox) and the change record kept.

A periodic task closes the exceptions whose window ended and re-takes every closed one that is due: a window's end
takes effect for the veto at once (it compares with the clock), the re-take follows once no process can still let the
learner's writes through (``refreeze_after``).
"""
import logging
from datetime import datetime, timedelta, timezone

from celery import shared_task
from django.conf import settings
from django.db import transaction

from openedx_grade_freeze.exceptions import NotALearnerError
from openedx_grade_freeze.learner_exceptions import workflow
from openedx_grade_freeze.models import CLOSED_REVOKED, EXCEPTION_CLOSED, LearnerException, LearnerExceptionChange
from openedx_grade_freeze.snapshots import corrections, extended_learners, runs

log = logging.getLogger(__name__)

# What re-freezing one exception did.
REFROZEN = "refrozen"        # re-taken into the current snapshot (and re-sent where grades are forwarded)
NO_SNAPSHOT = "no snapshot"  # the course has no snapshot: the next one takes the learner's grade as it is
WAITING = "waiting"          # a freeze run is in progress, or the re-take failed: tried again later
NOTHING = "nothing"          # not due, not closed, already done, or revoked


def _now():
    return datetime.now(timezone.utc)


def _retry_later(row, note, now):
    """Keep why the re-take waits; the periodic task tries again after its interval."""
    interval = float(settings.GRADE_FREEZE_EXCEPTIONS_CHECK_INTERVAL_SECONDS or 300)
    row.refreeze_note = note[:2000]
    row.refreeze_after = now + timedelta(seconds=interval)
    row.save(update_fields=["refreeze_note", "refreeze_after", "modified"])
    return WAITING


def refreeze_exception(exception_id, now=None):
    """Re-take the grade of one closed exception's learner into the course's snapshot, with its change record."""
    now = now or _now()
    with transaction.atomic():
        row = (LearnerException.objects.select_for_update()
               .filter(pk=exception_id, status=EXCEPTION_CLOSED, refrozen_at__isnull=True, refreeze_after__lte=now)
               .exclude(closed_how=CLOSED_REVOKED).first())
        if row is None:
            return NOTHING
        snapshot = runs.current_snapshot(row.course_key)
        if snapshot is None:
            run = runs.open_run(row.course_key)
            if run is not None:
                return _retry_later(row, f"Waiting for freeze run {run.pk} of the course to complete.", now)
            outcome, before, after = NO_SNAPSHOT, row.before, workflow.stored_values(row.course_key, row.user_id)
            note = "The course has no current snapshot: its next snapshot takes this grade."
        else:
            reason = f"Learner exception {row.pk} closed ({row.closed_how}): {row.close_reason}"
            try:
                result = corrections.refreeze_learner(row.course_key, row.user_id, reason=reason, user=row.closed_by)
            except NotALearnerError as error:
                outcome, before, after, note = NOTHING, row.before, None, f"Nothing re-taken: {error}"
            except corrections.SnapshotError as error:
                log.warning("Could not re-freeze user %s in %s after learner exception %s: %s", row.user_id,
                            row.course_key, row.pk, error)
                return _retry_later(row, f"Not re-frozen yet, tried again later: {error}", now)
            else:
                outcome, before, after = REFROZEN, result.before or row.before, result.after
                sent = ("re-sent to Credentials" if result.resent
                        else "not sent to Credentials (forwarding is off for the org)")
                note = f"Re-taken into the snapshot (run {result.run_id}); {sent}."
        row.before, row.after, row.refrozen_at, row.refreeze_note = before, after, now, note
        row.save(update_fields=["before", "after", "refrozen_at", "refreeze_note", "modified"])
        LearnerExceptionChange.objects.create(
            exception=row, course_key=row.course_key, user_id=row.user_id,
            action=LearnerExceptionChange.ACTION_REFROZEN, changed_by=row.closed_by, reason=note, before=before,
            after=after,
        )
    log.info("Learner exception %s of user %s in %s: %s", row.pk, row.user_id, row.course_key, note)
    return outcome


def refreeze_due(now=None):
    """Re-take every closed exception whose re-take is due; returns ``{exception id: outcome}``."""
    now = now or _now()
    due = list(
        LearnerException.objects.filter(status=EXCEPTION_CLOSED, refrozen_at__isnull=True, refreeze_after__lte=now)
        .exclude(closed_how=CLOSED_REVOKED).order_by("refreeze_after", "pk").values_list("pk", flat=True)
    )
    outcomes = {}
    for exception_id in due:
        try:
            outcomes[exception_id] = refreeze_exception(exception_id, now)
        except Exception:  # pylint: disable=broad-except
            log.exception("Could not re-freeze after learner exception %s; tried again on the next pass.",
                          exception_id)
            outcomes[exception_id] = WAITING
    return outcomes


def close_and_refreeze(now=None):
    """The periodic pass: close the exceptions whose window ended, then re-take every closed one that is due."""
    now = now or _now()
    closed = workflow.close_expired(now)
    outcomes = refreeze_due(now)
    if closed or outcomes:
        log.info("Learner exceptions: %s closed as their window ended; re-freezing %s.", closed, outcomes)
    return closed, outcomes


# Beside what it runs (``openedx_grade_freeze.tasks`` re-exports it); its name is fixed for queued messages.
@shared_task(name="openedx_grade_freeze.tasks.close_learner_exceptions", ignore_result=True)
def close_learner_exceptions_task():
    """Close learner exceptions whose window ended and re-freeze each closed one's learner; re-take the extended
    learners whose own freeze date has passed (celery beat)."""
    closed, outcomes = close_and_refreeze()
    extended = extended_learners.refreeze_due()
    return closed + len(outcomes) + len(extended)
