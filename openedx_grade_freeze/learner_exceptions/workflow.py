"""
Requesting, approving, granting and closing learner exceptions: who may, checked; every input validated before
anything is written; each step audited (``LearnerExceptionChange``) and tracked; an opened or closed window seen by
the veto at once in this process, within ``GRADE_FREEZE_POLICY_CACHE_SECONDS`` in the others.
"""
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from django.conf import settings
from django.db import IntegrityError, transaction

from openedx_grade_freeze import learners, policy, tracking
from openedx_grade_freeze.dates import as_utc, isoformat
from openedx_grade_freeze.exceptions import (
    InvalidLearnerExceptionError,
    LearnerExceptionNotAllowedError,
    NotALearnerError,
    UnknownLearnerExceptionError,
)
from openedx_grade_freeze.keys import to_course_key
from openedx_grade_freeze.learner_exceptions import roles
from openedx_grade_freeze.learner_exceptions.summary import records_of
from openedx_grade_freeze.models import (
    CLOSED_EARLY,
    CLOSED_EXPIRED,
    CLOSED_REVOKED,
    EXCEPTION_CLOSED,
    EXCEPTION_OPEN,
    EXCEPTION_REQUESTED,
    FrozenGrade,
    LearnerException,
    LearnerExceptionChange,
)
from openedx_grade_freeze.overrides import TRACKED_REASON_CHARS
from openedx_grade_freeze.platform import grades as platform_grades
from openedx_grade_freeze.snapshots import corrections, runs
from openedx_grade_freeze.toggles import GRADE_FREEZE_EXCEPTIONS_REQUIRE_APPROVAL

log = logging.getLogger(__name__)

# How an exception came to open (the ``approval`` of ``edx.grades.freeze.exception_approved``).
APPROVED = "approved"              # approved by another person
APPROVAL_NOT_REQUIRED = "not required"  # GRADE_FREEZE_EXCEPTIONS_REQUIRE_APPROVAL is off
GRANTED = "granted"                # granted directly by an operator (command, Django admin)

NO_REASON = "Say why: the reason is kept in the audit log."


@dataclass(frozen=True)
class Window:
    """When an exception asked for now would end, and what it means if the course is not frozen yet."""

    closes_at: datetime
    note: str


def _now():
    return datetime.now(timezone.utc)


def _invalid(field, message):
    return InvalidLearnerExceptionError({field: [message]})


def plan_window(course_key, until=None, at=None):
    """The window an exception asked for at ``at`` would have: until ``until``, else the default length.

    Counted from ``at``, or from the course's freeze date when it is later (an exception takes effect when the course
    freezes). ``InvalidLearnerExceptionError`` (field ``until``) when it ends in the past, before the course freezes,
    or later than ``GRADE_FREEZE_EXCEPTION_MAX_DAYS`` days after its start.
    """
    course_key = to_course_key(course_key)
    at = as_utc(at) if at is not None else _now()
    state = policy.get_freeze_state(course_key, at=at)
    start, note = at, ""
    if not state.frozen:
        if state.enabled and state.freeze_date is not None:
            start = max(at, state.freeze_date)
            note = (f"{course_key} is not frozen yet: the exception takes effect when the course freezes, on "
                    f"{isoformat(state.freeze_date)}.")
        else:
            note = (f"{course_key} is not frozen ({state.source}): the exception takes effect only if the course "
                    "freezes before it ends.")
    max_days = int(settings.GRADE_FREEZE_EXCEPTION_MAX_DAYS)
    latest = policy.add_days(start, max_days)
    if until is None:
        closes_at = policy.add_days(start, int(settings.GRADE_FREEZE_EXCEPTION_DEFAULT_DAYS))
        if closes_at is None or (latest is not None and closes_at > latest):
            closes_at = latest
        if closes_at is None:
            raise _invalid("until", "The course freezes too late in the calendar for a window to end after it.")
        return Window(closes_at, note)
    if not isinstance(until, datetime):
        raise _invalid("until", f"The end of the window must be a date and time, not {until!r}.")
    closes_at = as_utc(until)
    if closes_at <= at:
        raise _invalid("until", f"The window would end in the past ({isoformat(closes_at)}): give a later end.")
    if closes_at <= start:
        raise _invalid("until", (
            f"The window would end ({isoformat(closes_at)}) before {course_key} freezes on {isoformat(start)}: "
            "it would change nothing. End it after the freeze date."))
    if latest is not None and closes_at > latest:
        since = "now" if start == at else f"the freeze date {isoformat(start)}"
        raise _invalid("until", (
            f"The window may last at most {max_days} days from {since} (GRADE_FREEZE_EXCEPTION_MAX_DAYS): end it by "
            f"{isoformat(latest)}, not {isoformat(closes_at)}."))
    return Window(closes_at, note)


def _require_reason(reason, field="reason"):
    if not (reason or "").strip():
        raise _invalid(field, NO_REASON)


def _learner_problem(course_key, user):
    try:
        learners.require_learner(course_key, user)
    except NotALearnerError as error:
        return str(error)
    return None


def _active_key(course_key, user_id):
    return f"{course_key}|{user_id}"


def _describe_active(row):
    if row.status == EXCEPTION_OPEN:
        return f"exception {row.pk}, open until {isoformat(row.closes_at)}"
    return f"exception {row.pk}, waiting for approval"


def _active_problem(course_key, user_id, at):
    """Why the learner cannot get another exception now (one is requested or open), or None (also when the open one's
    window has ended: it is closed when the new one is stored)."""
    row = LearnerException.objects.filter(active_key=_active_key(course_key, user_id)).first()
    if row is None or (row.status == EXCEPTION_OPEN and as_utc(row.closes_at) <= at):
        return None
    return f"User {user_id} already has {_describe_active(row)} in {course_key}: close it first."


def _current_values(course_key, user_id):
    """The learner's grade as frozen now: their row in the course's current snapshot, else their stored grade."""
    snapshot = runs.current_snapshot(course_key)
    frozen = FrozenGrade.objects.filter(run=snapshot, user_id=user_id).first() if snapshot is not None else None
    if frozen is not None:
        return corrections.frozen_values(frozen)
    return stored_values(course_key, user_id)


def stored_values(course_key, user_id):
    """The learner's stored course grade in the LMS, in the shape of a change record (``has_grade`` False: none)."""
    grade = platform_grades.get_persisted_course_grade(user_id, course_key)
    try:
        values = runs.grade_values(grade)
    except runs.LearnerNotFrozen as error:
        return {"has_grade": False, "percent_grade": None, "letter_grade": "", "passed": False,
                "grade_modified": None, "problem": str(error)}
    return {"has_grade": values["has_grade"], "percent_grade": values["percent_grade"],
            "letter_grade": values["letter_grade"], "passed": values["passed"],
            "grade_modified": isoformat(values["grade_modified"])}


def _capped(reason):
    reason = reason or ""
    return reason if len(reason) <= TRACKED_REASON_CHARS else reason[: TRACKED_REASON_CHARS - 1] + "…"


def _state(row):
    """An exception's own values, for the audit rows."""
    return {"status": row.status, "opens_at": isoformat(row.opens_at), "closes_at": isoformat(row.closes_at),
            "closed_how": row.closed_how or None}


def _audit(row, action, user, reason, before, after):
    LearnerExceptionChange.objects.create(
        exception=row, course_key=row.course_key, user_id=row.user_id, action=action, changed_by=user,
        reason=reason or "", before=before, after=after,
    )


def _emit(name, data):
    transaction.on_commit(lambda: tracking.emit(name, data))


def _user_id(user):
    return getattr(user, "pk", None)


def _learner_id(learner):
    """The user id of a learner given as a user or an id."""
    return int(getattr(learner, "pk", learner))


def _create(course_key, user_id, reason, closes_at, requested_by):
    """Store a new request (the database keeps one requested or open exception per learner and course); an open one
    whose window has ended is closed first, as the periodic task would."""
    expired = LearnerException.objects.filter(
        active_key=_active_key(course_key, user_id), status=EXCEPTION_OPEN, closes_at__lte=_now(),
    ).values_list("pk", flat=True).first()
    if expired is not None:
        _close_expired_one(expired, _now())
    try:
        with transaction.atomic():
            row = LearnerException.objects.create(
                course_key=course_key, user_id=user_id, status=EXCEPTION_REQUESTED,
                active_key=_active_key(course_key, user_id), reason=reason, closes_at=closes_at,
                requested_by=requested_by,
            )
    except IntegrityError as error:
        # Another request for this learner landed a moment ago.
        problem = _active_problem(course_key, user_id, _now()) or f"User {user_id} has another exception in progress."
        raise _invalid("user", problem) from error
    _audit(row, LearnerExceptionChange.ACTION_REQUESTED, requested_by, reason, None, _state(row))
    _emit(tracking.EXCEPTION_REQUESTED, {
        "course_id": str(course_key), "exception_id": row.pk, "user_id": user_id,
        "requested_by_user_id": _user_id(requested_by), "closes_at": isoformat(row.closes_at),
        "reason": _capped(reason),
    })
    return row


def _open(row, approved_by, approval, reason):
    """Open a requested exception now: the veto lets the learner's writes through until it closes."""
    before = _state(row)
    row.status = EXCEPTION_OPEN
    row.opens_at = _now()
    row.approved_by = approved_by
    row.before = _current_values(row.course_key, row.user_id)
    row.save(update_fields=["status", "opens_at", "approved_by", "before", "modified"])
    _audit(row, LearnerExceptionChange.ACTION_APPROVED, approved_by, reason, before, _state(row))
    policy.policy_cache.invalidate()
    _emit(tracking.EXCEPTION_APPROVED, {
        "course_id": str(row.course_key), "exception_id": row.pk, "user_id": row.user_id,
        "approved_by_user_id": _user_id(approved_by), "approval": approval,
        "opens_at": isoformat(row.opens_at), "closes_at": isoformat(row.closes_at),
    })
    log.warning("Learner exception %s opened (%s): user %s in %s may change until %s.", row.pk, approval,
                row.user_id, row.course_key, isoformat(row.closes_at))


def request_exception(course_key, learner, *, reason, until=None, user):
    """Ask for an exception for one learner (course staff, instructors, global staff); opened at once when
    ``GRADE_FREEZE_EXCEPTIONS_REQUIRE_APPROVAL`` is off. Returns its ``ExceptionRecord``."""
    course_key = to_course_key(course_key)
    if not roles.may_request(user, course_key):
        raise LearnerExceptionNotAllowedError(
            f"Only global staff and the staff and instructors of {course_key} can request a learner exception there."
        )
    now = _now()
    errors = {}
    if not (reason or "").strip():
        errors["reason"] = [NO_REASON]
    problem = _learner_problem(course_key, learner) or _active_problem(course_key, _learner_id(learner), now)
    if problem:
        errors["user"] = [problem]
    try:
        window = plan_window(course_key, until, at=now)
    except InvalidLearnerExceptionError as error:
        errors.update(error.message_dict)
    if errors:
        raise InvalidLearnerExceptionError(errors)
    with transaction.atomic():
        row = _create(course_key, _learner_id(learner), reason, window.closes_at, user)
        if not GRADE_FREEZE_EXCEPTIONS_REQUIRE_APPROVAL.is_enabled():
            _open(row, None, APPROVAL_NOT_REQUIRED,
                  "Opened without approval: GRADE_FREEZE_EXCEPTIONS_REQUIRE_APPROVAL is off.")
    return records_of([row], window.note)[0]


def grant_exceptions(course_key, learners_, *, reason, until=None, user=None, dry_run=False):
    """Open exceptions for several learners at once, with no approval step (operators: commands, Django admin).

    Every learner is checked before anything is written: one bad input refuses them all. ``user`` (if given) must
    be able to approve exceptions. Returns their ``ExceptionRecord``s (unsaved, without ids, in a dry run).
    """
    course_key = to_course_key(course_key)
    if user is not None and not roles.may_approve(user):
        raise LearnerExceptionNotAllowedError(
            "Only global staff, or users with the permission to approve learner exceptions, can grant them."
        )
    now = _now()
    errors = {}
    if not (reason or "").strip():
        errors["reason"] = [NO_REASON]
    learners_ = list(learners_)
    if not learners_:
        errors["user"] = ["Name at least one learner."]
    seen, problems = set(), []
    for learner in learners_:
        user_id = _learner_id(learner)
        if user_id in seen:
            problems.append(f"User {user_id} is named twice.")
            continue
        seen.add(user_id)
        problem = _learner_problem(course_key, learner) or _active_problem(course_key, user_id, now)
        if problem:
            problems.append(problem)
    if problems:
        errors.setdefault("user", []).extend(problems)
    try:
        window = plan_window(course_key, until, at=now)
    except InvalidLearnerExceptionError as error:
        errors.update(error.message_dict)
    if errors:
        raise InvalidLearnerExceptionError(errors)
    if dry_run:
        planned = [LearnerException(course_key=course_key, user_id=_learner_id(learner), status=EXCEPTION_OPEN,
                                    reason=reason, closes_at=window.closes_at, opens_at=now, created=now,
                                    requested_by=user, approved_by=user)
                   for learner in learners_]
        return records_of(planned, window.note)
    rows = []
    with transaction.atomic():
        for learner in learners_:
            row = _create(course_key, _learner_id(learner), reason, window.closes_at, user)
            _open(row, user, GRANTED, reason)
            rows.append(row)
    return records_of(rows, window.note)


def _locked(exception_id):
    row = LearnerException.objects.select_for_update().filter(pk=exception_id).first()
    if row is None:
        raise UnknownLearnerExceptionError(f"No learner exception has the id {exception_id}.")
    return row


def approve_exception(exception_id, *, user, reason=""):
    """Approve a requested exception (global staff or the approve permission, never the requester): it opens now."""
    with transaction.atomic():
        row = _locked(exception_id)
        if not roles.may_approve(user):
            raise LearnerExceptionNotAllowedError(
                "Only global staff, or users with the permission to approve learner exceptions, can approve them."
            )
        if row.requested_by_id is not None and row.requested_by_id == _user_id(user):
            raise LearnerExceptionNotAllowedError(
                f"You requested exception {row.pk}: another person must approve it."
            )
        if row.status != EXCEPTION_REQUESTED:
            raise _invalid("status", f"Exception {row.pk} is {row.status}, not waiting for approval.")
        if as_utc(row.closes_at) <= _now():
            raise _invalid("until", (
                f"The window of exception {row.pk} ended at {isoformat(row.closes_at)} before anyone approved it: "
                "close it and request a new one."))
        _open(row, user, APPROVED, reason or row.reason)
    return records_of([row])[0]


def _refreeze_delay():
    """How long after a window closes its learner's grade is re-taken: by then no process lets their writes through
    (other processes see the closing within ``GRADE_FREEZE_POLICY_CACHE_SECONDS``)."""
    return timedelta(seconds=float(settings.GRADE_FREEZE_POLICY_CACHE_SECONDS))


def close_exception(exception_id, *, reason, user=None):
    """Close an exception: an open one closes early (the learner's grade is re-frozen by the periodic task), a request
    not approved yet is revoked. The course's staff and instructors, and approvers, may; ``user`` None: an
    operator's code."""
    now = _now()
    with transaction.atomic():
        row = _locked(exception_id)
        if user is not None and not roles.may_close(user, row.course_key):
            raise LearnerExceptionNotAllowedError(
                f"Only global staff, approvers and the staff and instructors of {row.course_key} can close its "
                "learner exceptions."
            )
        _require_reason(reason)
        if row.status == EXCEPTION_CLOSED:
            raise _invalid("status", f"Exception {row.pk} is already closed ({row.closed_how}).")
        if row.status == EXCEPTION_OPEN and as_utc(row.closes_at) <= now:
            _close(row, CLOSED_EXPIRED, None, "Its window ended.", now)
        else:
            _close(row, CLOSED_EARLY if row.status == EXCEPTION_OPEN else CLOSED_REVOKED, user, reason, now)
    return records_of([row])[0]


def _close(row, how, user, reason, now):
    before = _state(row)
    was_open = row.status == EXCEPTION_OPEN
    row.status = EXCEPTION_CLOSED
    row.active_key = None
    row.closed_at = now
    row.closed_by = user
    row.closed_how = how
    row.close_reason = reason
    if was_open:
        ended = as_utc(row.closes_at) if how == CLOSED_EXPIRED else now
        row.refreeze_after = ended + _refreeze_delay()
        row.refreeze_note = "Waiting to re-freeze the learner's grade."
    else:
        row.refreeze_note = "Never opened: nothing to re-freeze."
    row.save(update_fields=["status", "active_key", "closed_at", "closed_by", "closed_how", "close_reason",
                            "refreeze_after", "refreeze_note", "modified"])
    _audit(row, LearnerExceptionChange.ACTION_CLOSED, user, reason, before, _state(row))
    if was_open:
        policy.policy_cache.invalidate()
    _emit(tracking.EXCEPTION_CLOSED, {
        "course_id": str(row.course_key), "exception_id": row.pk, "user_id": row.user_id,
        "closed_by_user_id": _user_id(user), "how": how, "closes_at": isoformat(row.closes_at),
        "reason": _capped(reason),
    })
    log.warning("Learner exception %s of user %s in %s closed (%s): %s", row.pk, row.user_id, row.course_key, how,
                reason)


def _close_expired_one(exception_id, now):
    with transaction.atomic():
        row = LearnerException.objects.select_for_update().filter(
            pk=exception_id, status=EXCEPTION_OPEN, closes_at__lte=now).first()
        if row is None:
            return False
        _close(row, CLOSED_EXPIRED, None, "Its window ended.", now)
    return True


def close_expired(now=None):
    """Close every open exception whose window ended (the veto stopped honouring them then); returns how many."""
    now = now or _now()
    due = LearnerException.objects.filter(status=EXCEPTION_OPEN, closes_at__lte=now).values_list("pk", flat=True)
    return sum(1 for exception_id in list(due) if _close_expired_one(exception_id, now))


def get_exception(exception_id):
    """One exception's ``ExceptionRecord``; ``UnknownLearnerExceptionError`` when there is none."""
    row = LearnerException.objects.filter(pk=exception_id).first()
    if row is None:
        raise UnknownLearnerExceptionError(f"No learner exception has the id {exception_id}.")
    return records_of([row])[0]
