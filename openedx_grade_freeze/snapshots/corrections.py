"""
Operators' exceptions to a snapshot: unfreeze a course, re-take one learner's frozen grade; each audited.
"""
import logging
from dataclasses import dataclass
from datetime import datetime, timezone

from django.db import transaction

from openedx_grade_freeze import learners, overrides, tracking
from openedx_grade_freeze.dates import isoformat
from openedx_grade_freeze.exceptions import InvalidFreezeConfigurationError
from openedx_grade_freeze.keys import to_course_key
from openedx_grade_freeze.models import (
    RETIRED_UNFROZEN,
    CourseFreezeOverride,
    FreezeFailure,
    FreezeRun,
    FrozenGrade,
    SnapshotAuditEntry,
)
from openedx_grade_freeze.platform import grades as platform_grades
from openedx_grade_freeze.snapshots import runs
from openedx_grade_freeze.snapshots.signals import LEARNER_REFROZEN

log = logging.getLogger(__name__)


class SnapshotError(ValueError):
    """An exception to a snapshot was refused (no snapshot, no reason…); the message says why."""


@dataclass(frozen=True)
class Unfreeze:
    """What unfreezing a course did (or would do)."""

    course_key: object
    runs: tuple
    learners: int


@dataclass(frozen=True)
class Refreeze:
    """One learner's frozen grade before and after it was re-taken (as dicts), and whether it was re-sent (never in a
    dry run)."""

    course_key: object
    user_id: int
    run_id: int
    before: dict | None
    after: dict
    resent: bool


def _require_reason(reason):
    if not (reason or "").strip():
        raise SnapshotError("Say why with --reason: it is kept in the audit log.")


def unfreeze_plan(course_key):
    """What ``unfreeze_course`` would retire: the current snapshot and any open run."""
    course_key = to_course_key(course_key)
    current = [run for run in (runs.current_snapshot(course_key), runs.open_run(course_key)) if run is not None]
    if not current:
        raise SnapshotError(f"{course_key} has no current snapshot and no freeze run in progress.")
    return Unfreeze(course_key, tuple(run.pk for run in current), sum(run.learners for run in current))


def unfreeze_course(course_key, *, reason, user=None):
    """Retire the course's snapshot (kept as history) and stop the freeze with a course override; audited."""
    _require_reason(reason)
    plan = unfreeze_plan(course_key)
    course_key = plan.course_key
    now = datetime.now(timezone.utc)
    existing = CourseFreezeOverride.objects.filter(course_key=course_key).first()
    with transaction.atomic():
        FreezeRun.objects.filter(pk__in=plan.runs).update(
            retired=RETIRED_UNFROZEN, retired_at=now, retired_reason=reason, open_course_key=None,
            current_course_key=None, modified=now,
        )
        # An override turning the freeze off, so the periodic task leaves the course alone; its other values stay.
        try:
            overrides.set_course_override(
                course_key, reason=f"unfreeze_final_grades: {reason}", enabled=False,
                offset_days=existing.offset_days if existing else None,
                freeze_date=existing.freeze_date if existing else None, user=user,
            )
        except InvalidFreezeConfigurationError as error:
            raise SnapshotError(f"Could not turn the freeze off for {course_key}: {error.messages}") from error
        for run_id in plan.runs:
            SnapshotAuditEntry.objects.create(
                course_key=course_key, action=SnapshotAuditEntry.ACTION_UNFROZEN, run_id=run_id, changed_by=user,
                reason=reason, before={"run": run_id}, after={"override_enabled": False},
            )
    tracking.emit(tracking.UNFROZEN, {
        "course_id": str(course_key), "run_ids": list(plan.runs), "learners": plan.learners, "reason": reason,
        "user_id": getattr(user, "pk", None),
    })
    log.warning("Final grades of %s unfrozen (runs %s) by %s: %s", course_key, plan.runs,
                getattr(user, "username", "a command"), reason)
    return plan


def frozen_values(frozen):
    """A ``FrozenGrade``'s values as a dict (for audit rows and change records), or None."""
    if frozen is None:
        return None
    return {
        "has_grade": frozen.has_grade, "percent_grade": frozen.percent_grade, "letter_grade": frozen.letter_grade,
        "passed": frozen.passed, "grade_modified": isoformat(frozen.grade_modified),
    }


def refreeze_learner(course_key, user_id, *, reason, user=None, dry_run=False):
    """Re-take one learner's frozen grade from the LMS's stored grade now; audited and re-sent to Credentials.

    Raises ``SnapshotError``, or ``NotALearnerError`` for a user who is not and never was a learner of the course.
    """
    _require_reason(reason)
    course_key = to_course_key(course_key)
    snapshot = runs.current_snapshot(course_key)
    if snapshot is None:
        raise SnapshotError(f"{course_key} has no current snapshot: nothing to re-freeze.")
    learners.require_learner(course_key, user_id)
    grade = platform_grades.get_persisted_course_grade(user_id, course_key)
    now = datetime.now(timezone.utc)
    current = FrozenGrade.objects.filter(run=snapshot, user_id=user_id).first()
    try:
        fresh = runs.frozen_grade(snapshot, user_id, grade, now)
    except runs.LearnerNotFrozen as error:
        raise SnapshotError(f"User {user_id}'s stored grade cannot be frozen: {error}") from error
    fresh.refrozen = True
    after = frozen_values(fresh)
    before = frozen_values(current)
    if dry_run:
        return Refreeze(course_key, user_id, snapshot.pk, before, after, resent=False)
    with transaction.atomic():
        if current is not None:
            fresh.pk = current.pk
        fresh.save()
        FreezeFailure.objects.filter(run=snapshot, user_id=user_id, resolved_at__isnull=True).update(
            resolved_at=now, modified=now)
        SnapshotAuditEntry.objects.create(
            course_key=course_key, action=SnapshotAuditEntry.ACTION_LEARNER_REFROZEN, run=snapshot, user_id=user_id,
            changed_by=user, reason=reason, before=before, after=after,
        )
        if current is None:
            counts = runs.count_run(snapshot.pk)
            FreezeRun.objects.filter(pk=snapshot.pk).update(
                learners=counts.learners, frozen=counts.frozen, no_grade=counts.no_grade, failed=counts.failed,
            )
        # The Credentials integration listens, and re-sends the grade where it forwards the org.
        responses = LEARNER_REFROZEN.send(sender=FrozenGrade, frozen_grade=fresh, at=now)
        resent = any(response is True for _, response in responses)
    tracking.emit(tracking.LEARNER_REFROZEN, {
        "course_id": str(course_key), "user_id": user_id, "run_id": snapshot.pk, "before": before, "after": after,
        "reason": reason, "changed_by": getattr(user, "pk", None),
    })
    log.warning("Frozen grade of user %s in %s re-taken (%s -> %s): %s", user_id, course_key,
                before and before["percent_grade"], after["percent_grade"], reason)
    return Refreeze(course_key, user_id, snapshot.pk, before, after, resent)


def skip_learner(course_key, user_id, *, reason, user=None):
    """Freeze nothing for a learner the open run cannot freeze (kept as skipped, audited); the run may complete."""
    _require_reason(reason)
    course_key = to_course_key(course_key)
    run = runs.open_run(course_key)
    failure = None if run is None else FreezeFailure.objects.filter(
        run=run, user_id=user_id, resolved_at__isnull=True, skipped=False).first()
    if failure is None:
        raise SnapshotError(f"User {user_id} is not waiting to be frozen in a run of {course_key} in progress.")
    with transaction.atomic():
        FreezeFailure.objects.filter(pk=failure.pk).update(skipped=True, modified=datetime.now(timezone.utc))
        SnapshotAuditEntry.objects.create(
            course_key=course_key, action=SnapshotAuditEntry.ACTION_LEARNER_SKIPPED, run=run, user_id=user_id,
            changed_by=user, reason=reason, before={"failure": failure.reason}, after=None,
        )
        transaction.on_commit(lambda: runs.complete_if_done(run.pk))
    log.warning("User %s skipped in freeze run %s of %s (%s): %s", user_id, run.pk, course_key, failure.reason, reason)
    return run.pk
