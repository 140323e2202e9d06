"""
Extended learners: a learner whose personalized due date freezes them after the course has their snapshot row
re-taken once their own freeze date has passed (ADR 0029), as a closed exception's learner is (ADR 0020).

The rows to re-take are kept in ``ExtendedLearnerRefreeze``: recorded when a snapshot completes, and kept in step
when a learner's personalized date changes while the course has a snapshot. The periodic pass finds the due ones with
one query.
"""
import logging
from datetime import datetime, timedelta, timezone

from django.conf import settings
from django.db import transaction

from openedx_grade_freeze import policy
from openedx_grade_freeze.dates import isoformat
from openedx_grade_freeze.exceptions import NotALearnerError
from openedx_grade_freeze.keys import to_course_key
from openedx_grade_freeze.models import RUN_COMPLETE, ExtendedLearnerRefreeze, FrozenGrade
from openedx_grade_freeze.platform import grades as platform_grades
from openedx_grade_freeze.snapshots import corrections, runs

log = logging.getLogger(__name__)

# What one pass did for one learner.
REFROZEN = "refrozen"    # re-taken into the snapshot (and re-sent where grades are forwarded)
UNCHANGED = "unchanged"  # the stored grade is still the frozen one: nothing re-taken, nothing sent
MOVED = "moved"          # the learner's own freeze date is later now: due again then
WAITING = "waiting"      # the re-take failed: tried again on the next pass
NOTHING = "nothing"      # not due, already done, or the snapshot is no longer current

# The values that make a frozen grade (its times aside).
_COMPARED = ("has_grade", "percent_grade", "letter_grade", "passed")


def _now():
    return datetime.now(timezone.utc)


def _due_rows(now):
    return ExtendedLearnerRefreeze.objects.filter(
        refrozen_at__isnull=True, freezes_at__lte=now, run__status=RUN_COMPLETE, run__retired="",
    )


def _unchanged(row):
    """Whether the learner's stored grade still has the values of their snapshot row."""
    frozen = FrozenGrade.objects.filter(run_id=row.run_id, user_id=row.user_id).first()
    if frozen is None:
        return False
    try:
        stored = runs.grade_values(platform_grades.get_persisted_course_grade(row.user_id, row.course_key))
    except runs.LearnerNotFrozen:
        return False  # the re-take says why
    return all(stored[name] == getattr(frozen, name) for name in _COMPARED)


def refreeze_extended_learner(row_id, now=None):
    """Re-take one extended learner's snapshot row if their own freeze date has passed; returns the outcome."""
    now = now or _now()
    with transaction.atomic():
        row = _due_rows(now).select_for_update().filter(pk=row_id).first()
        if row is None:
            return NOTHING
        due = policy.learner_due_date(row.course_key, row.user_id)
        if due is not None and (due.freezes_at is None or due.freezes_at > now):
            # Extended again since it was recorded (and the change not seen, e.g. a bulk update): wait for that date.
            row.freezes_at, row.note = due.freezes_at, f"Own freeze date moved to {isoformat(due.freezes_at)}."
            row.save(update_fields=["freezes_at", "note", "modified"])
            return MOVED
        if _unchanged(row):
            outcome, note = UNCHANGED, "The stored grade is the frozen one: nothing re-taken."
        else:
            reason = f"Personalized due date: the learner's own freeze date {isoformat(row.freezes_at)} has passed."
            try:
                result = corrections.refreeze_learner(row.course_key, row.user_id, reason=reason)
            except NotALearnerError as error:
                outcome, note = NOTHING, f"Nothing re-taken: {error}"
            except corrections.SnapshotError as error:
                log.warning("Could not re-freeze extended learner %s in %s: %s", row.user_id, row.course_key, error)
                row.note = f"Not re-frozen yet, tried again on the next pass: {error}"[:2000]
                row.save(update_fields=["note", "modified"])
                return WAITING
            else:
                sent = ("re-sent to Credentials" if result.resent
                        else "not sent to Credentials (forwarding is off for the org)")
                outcome, note = REFROZEN, f"Re-taken into the snapshot (run {result.run_id}); {sent}."
        row.refrozen_at, row.note = now, note
        row.save(update_fields=["refrozen_at", "note", "modified"])
    log.info("Extended learner %s in %s (own freeze date %s): %s", row.user_id, row.course_key,
             isoformat(row.freezes_at), note)
    return outcome


def refreeze_due(now=None):
    """Re-take every extended learner whose own freeze date has passed; returns ``{(course key, user id): outcome}``."""
    now = now or _now()
    due = list(_due_rows(now).order_by("freezes_at", "pk").values_list("pk", "course_key", "user_id"))
    outcomes = {}
    for row_id, course_key, user_id in due:
        try:
            outcomes[(str(course_key), user_id)] = refreeze_extended_learner(row_id, now)
        except Exception:  # pylint: disable=broad-except
            log.exception("Could not re-freeze extended learner %s in %s; tried again on the next pass.", user_id,
                          course_key)
            outcomes[(str(course_key), user_id)] = WAITING
    if outcomes:
        log.info("Extended learners whose own freeze date passed: %s", outcomes)
    return outcomes


def _seen_everywhere(now):
    """When every process has seen a date changed now (their cached policy may still hold the old one until then)."""
    return now + timedelta(seconds=float(settings.GRADE_FREEZE_POLICY_CACHE_SECONDS or 0))


def due_date_changed(course_key, user_id):
    """Keep a learner's re-take in step with their personalized date changed while the course has a snapshot.

    A date still ahead (re-)arms the re-take for it; a removed one makes a pending re-take due once every process has
    seen the change (the pass re-takes the grade only if it changed meanwhile). Returns the learner's row, or None.
    """
    course_key = to_course_key(course_key)
    # A savepoint: a failure here leaves the date's own transaction whole (the caller logs it).
    with transaction.atomic():
        snapshot = runs.current_snapshot(course_key)
        if snapshot is None:
            return None  # the snapshot, when taken, records the learner
        due = policy.learner_due_date(course_key, user_id)
        now = _now()
        row = ExtendedLearnerRefreeze.objects.select_for_update().filter(run=snapshot, user_id=user_id).first()
        if due is not None and (due.freezes_at is None or due.freezes_at > now):
            # A shortened date: a process that cached the longer one lets writes through until it reads this one.
            freezes_at = None if due.freezes_at is None else max(due.freezes_at, _seen_everywhere(now))
            if row is None:
                return ExtendedLearnerRefreeze.objects.create(
                    run=snapshot, course_key=course_key, user_id=user_id, freezes_at=freezes_at)
            if row.freezes_at != freezes_at or row.refrozen_at is not None:
                row.freezes_at, row.refrozen_at, row.note = freezes_at, None, ""
                row.save(update_fields=["freezes_at", "refrozen_at", "note", "modified"])
        elif row is not None and row.refrozen_at is None and (row.freezes_at is None or row.freezes_at > now):
            row.freezes_at = _seen_everywhere(now)
            row.note = "The personalized due date was removed or moved back: due once every process has seen it."
            row.save(update_fields=["freezes_at", "note", "modified"])
        return row
