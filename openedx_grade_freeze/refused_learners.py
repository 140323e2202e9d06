"""
Who was refused: per course, learner and write path, how many grade updates the freeze refused and when it first and
last did (``LearnerRefusals``). Rows are added in bulk from counted refusals, never one write per refusal (ADR 0021);
course teams read them on the status page, through the REST API and as CSV.
"""
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import BigIntegerField, Case, DateTimeField, F, Q, Value, When
from django.db.models.functions import Greatest, Least

from openedx_grade_freeze.dates import as_utc
from openedx_grade_freeze.models import LearnerRefusals

# Learners per statement: each adds a few parameters to one UPDATE (SQLite allows 32,766).
_CHUNK = 250
# Entries read at once when the whole list is written out.
_ITERATE_CHUNK = 2000


@dataclass(frozen=True)
class RefusedLearner:
    """How many of one learner's grade updates the freeze refused on one write path, and when."""

    user_id: int
    username: str  # empty when the user no longer exists
    source: str
    count: int
    first_refused: datetime
    last_refused: datetime


def add(course_key, source, tallies):
    """Add ``tallies`` (``{user_id: LearnerTally}``) to the course and write path's rows, creating the missing ones,
    in one transaction: all of them or none."""
    items = sorted(tallies.items())
    with transaction.atomic():
        for start in range(0, len(items), _CHUNK):
            _add_chunk(course_key, source, items[start:start + _CHUNK])


def _add_chunk(course_key, source, items):
    LearnerRefusals.objects.bulk_create(
        [LearnerRefusals(course_key=course_key, user_id=user_id, source=source, count=0,
                         first_refused=tally.first, last_refused=tally.first) for user_id, tally in items],
        ignore_conflicts=True,
    )

    def per_learner(value_of, output_field):
        return Case(*[When(user_id=user_id, then=Value(value_of(tally))) for user_id, tally in items],
                    output_field=output_field)

    LearnerRefusals.objects.filter(
        course_key=course_key, source=source, user_id__in=[user_id for user_id, _ in items]
    ).update(
        count=F("count") + per_learner(lambda tally: tally.count, BigIntegerField()),
        first_refused=Least("first_refused", per_learner(lambda tally: tally.first, DateTimeField())),
        last_refused=Greatest("last_refused", per_learner(lambda tally: tally.last, DateTimeField())),
    )


def forget(user_id):
    """Remove a retired learner from every course's list; returns how many rows went."""
    deleted, _ = LearnerRefusals.objects.filter(user_id=user_id).delete()
    return deleted


class RefusedLearners:
    """
    A course's refused learners, one entry (``RefusedLearner``) per learner and write path, by user id then write
    path. Read lazily: slicing reads one page (usernames in one more query), so it pages like a query set.
    """

    def __init__(self, course_key):
        self.course_key = course_key

    def _rows(self):
        return LearnerRefusals.objects.filter(course_key=self.course_key)

    def count(self):
        """How many entries (learner and write path) there are."""
        return self._rows().count()

    def learner_count(self):
        """How many different learners were refused."""
        return self._rows().values("user_id").distinct().count()

    def __getitem__(self, page):
        """The entries of a slice (a page), as a list."""
        if not isinstance(page, slice):
            raise TypeError("RefusedLearners are read a slice (a page) at a time")
        return _entries(self._rows().order_by("user_id", "source")[page])

    def most_recent(self, number):
        """The ``number`` entries refused last."""
        return _entries(self._rows().order_by("-last_refused", "user_id", "source")[:number])

    def __iter__(self):
        """Every entry, read a chunk at a time (for a CSV of any length)."""
        rows = self._rows().order_by("user_id", "source")
        after = Q()
        while True:
            page = list(rows.filter(after)[:_ITERATE_CHUNK])
            if not page:
                return
            yield from _entries(page)
            last = page[-1]
            after = Q(user_id__gt=last.user_id) | Q(user_id=last.user_id, source__gt=last.source)


def _entries(rows):
    rows = list(rows)
    names = dict(
        get_user_model().objects.filter(pk__in={row.user_id for row in rows}).values_list("pk", "username")
    )
    return [
        RefusedLearner(user_id=row.user_id, username=names.get(row.user_id, ""), source=row.source, count=row.count,
                       first_refused=as_utc(row.first_refused), last_refused=as_utc(row.last_refused))
        for row in rows
    ]
