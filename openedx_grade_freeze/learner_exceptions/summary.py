"""
What a course's learner exceptions are and what they changed: each exception as a record, and the counts
MicroMasters' runbook checked by hand (learners whose grade changed, newly passed, no longer passed).
"""
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model

from openedx_grade_freeze.dates import as_utc
from openedx_grade_freeze.keys import to_course_key
from openedx_grade_freeze.models import EXCEPTION_CLOSED, EXCEPTION_OPEN, LearnerException


def _grade_changed(before, after):
    keys = ("percent_grade", "letter_grade", "passed")
    return any((before or {}).get(key) != (after or {}).get(key) for key in keys)


@dataclass(frozen=True)
class ExceptionRecord:
    """
    One learner exception: whose, why, its window, who requested, approved and closed it, and its change record
    (``before``: the learner's frozen grade when it opened; ``after``: as re-frozen when it closed; dicts with
    ``percent_grade``, ``letter_grade`` and ``passed``). ``note`` says what a request or grant means now (e.g. that
    it takes effect when the course freezes).
    """

    id: int
    course_key: object
    user_id: int
    username: str
    status: str
    reason: str
    closes_at: datetime
    opens_at: datetime | None
    requested_at: datetime
    requested_by: str | None
    approved_by: str | None
    closed_at: datetime | None
    closed_by: str | None
    closed_how: str
    close_reason: str
    refrozen_at: datetime | None
    refreeze_note: str
    before: dict | None
    after: dict | None
    note: str = ""

    @property
    def changed(self):
        """Whether the re-frozen grade differs from the one before (percent, letter or passed)."""
        return self.refrozen_at is not None and self.after is not None and _grade_changed(self.before, self.after)

    def in_force_at(self, at):
        """Whether the learner's grades may change at ``at`` (approved, not closed, before the end of its window)."""
        return self.status == EXCEPTION_OPEN and self.opens_at is not None and self.opens_at <= at < self.closes_at


def _usernames(rows):
    ids = {user_id for row in rows
           for user_id in (row.user_id, row.requested_by_id, row.approved_by_id, row.closed_by_id) if user_id}
    return dict(get_user_model().objects.filter(pk__in=ids).values_list("pk", "username")) if ids else {}


def records_of(rows, note=""):
    """``ExceptionRecord``s of ``LearnerException`` rows (one query for every username they name)."""
    rows = list(rows)
    names = _usernames(rows)
    return [
        ExceptionRecord(
            id=row.pk, course_key=row.course_key, user_id=row.user_id, username=names.get(row.user_id, ""),
            status=row.status, reason=row.reason, closes_at=as_utc(row.closes_at), opens_at=as_utc(row.opens_at),
            requested_at=as_utc(row.created), requested_by=names.get(row.requested_by_id),
            approved_by=names.get(row.approved_by_id), closed_at=as_utc(row.closed_at),
            closed_by=names.get(row.closed_by_id), closed_how=row.closed_how, close_reason=row.close_reason,
            refrozen_at=as_utc(row.refrozen_at), refreeze_note=row.refreeze_note, before=row.before, after=row.after,
            note=note,
        )
        for row in rows
    ]


@dataclass(frozen=True)
class ExceptionCounts:
    """Per learner, from the first exception's grade before to the last one's re-frozen grade: how many changed,
    newly passed, no longer passed."""

    learners_changed: int = 0
    newly_passed: int = 0
    no_longer_passed: int = 0


def count_changes(records):
    """The ``ExceptionCounts`` of re-frozen exceptions (each learner counted once)."""
    first, last = {}, {}
    for record in sorted(records, key=lambda item: (item.refrozen_at, item.id)):
        if record.refrozen_at is None or record.after is None:
            continue
        first.setdefault(record.user_id, record.before or {})
        last[record.user_id] = record.after
    changed = [user_id for user_id in last if _grade_changed(first[user_id], last[user_id])]
    passed_before = {user_id for user_id in last if first[user_id].get("passed")}
    passed_after = {user_id for user_id in last if last[user_id].get("passed")}
    return ExceptionCounts(len(changed), len(passed_after - passed_before), len(passed_before - passed_after))


@dataclass(frozen=True)
class ExceptionSummary:
    """A course's learner exceptions: those requested or open (``current``), those closed, and the counts."""

    current: tuple
    closed: tuple
    counts: ExceptionCounts

    @classmethod
    def of(cls, course_key):
        """The summary of one course (two queries: its exceptions, and the usernames they name)."""
        records = records_of(LearnerException.objects.filter(course_key=to_course_key(course_key)).order_by("created",
                                                                                                           "pk"))
        current = tuple(record for record in records if record.status != EXCEPTION_CLOSED)
        closed = tuple(record for record in records if record.status == EXCEPTION_CLOSED)
        return cls(current, closed, count_changes(closed))

    def open_at(self, at):
        """The exceptions in force at ``at``."""
        return tuple(record for record in self.current if record.in_force_at(at))

    @property
    def waiting_for_approval(self):
        """The requests nobody approved yet."""
        return tuple(record for record in self.current if record.status != EXCEPTION_OPEN)
