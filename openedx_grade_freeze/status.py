"""
A course's status: its phase now and the facts about it, in one place. The status page, the instructor dashboard
section, the REST API, ``grade_freeze_status``, the upcoming-freeze warning and the admin overview all read it.

The phase is decided by ``phase_of`` alone. Each fact (start date, refused updates and learners, snapshot, Credentials
counts, learner exceptions) is a property of ``CourseStatus``, read on first use: a list reads only what it shows,
and a new per-course fact is one property added here.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import cached_property

from openedx_grade_freeze import policy, refused_learners
from openedx_grade_freeze.credentials import outbox
from openedx_grade_freeze.dates import as_utc, days_until
from openedx_grade_freeze.exceptions import PlatformReadError, UnknownCourseError
from openedx_grade_freeze.keys import to_course_key
from openedx_grade_freeze.learner_exceptions.summary import ExceptionSummary
from openedx_grade_freeze.models import BlockedGradeUpdates, CourseSchedule, FreezeRun
from openedx_grade_freeze.platform import course_overviews
from openedx_grade_freeze.snapshots.summary import SnapshotSummary

# A course's phase, as every surface names it.
PHASE_OPEN = "open"          # grades can change; they freeze on the freeze date
PHASE_UNDATED = "undated"    # grades can change; no freeze date yet (no course end)
PHASE_FROZEN = "frozen"      # grades no longer change
PHASE_OFF = "off"            # the freeze is off for this course
PHASE_ERROR = "error"        # the plugin's policy could not be evaluated: GRADE_FREEZE_ON_ERROR decided
PHASES = (
    (PHASE_OPEN, "Not frozen yet"),
    (PHASE_UNDATED, "No freeze date yet"),
    (PHASE_FROZEN, "Frozen"),
    (PHASE_OFF, "Freeze off"),
    (PHASE_ERROR, "Configuration error"),
)

# The longest "about to freeze" window any surface takes, in days (100 years; far beyond it a date overflows).
MAX_UPCOMING_DAYS = 36500


def phase_of(state):
    """The phase of a course in ``state`` (a ``FreezeState``): the one place it is decided."""
    if state.error:
        return PHASE_ERROR
    if state.frozen:
        return PHASE_FROZEN
    if not state.enabled:
        return PHASE_OFF
    if state.freeze_date is None:
        return PHASE_UNDATED
    return PHASE_OPEN


@dataclass(frozen=True)
class RefusedUpdates:
    """How many grade updates the freeze refused on one write path of a course."""

    source: str
    total: int
    last_reported: datetime | None


@dataclass(frozen=True)
class CredentialsCounts:
    """The course's Credentials deliveries (its learners' grades and its certificate dates) not sent yet, and failed.

    Not sent yet: pending, waiting for Credentials' catalog, or paused; all go out without anyone's action.
    """

    pending: int
    failed: int


@dataclass(frozen=True)
class CourseStatus:
    """
    One course's status at ``generated_at``: its ``FreezeState`` (``state``), its ``phase``, and the facts about it.

    ``configuration_error`` says what kept the plugin's policy from deciding (the state then follows
    ``GRADE_FREEZE_ON_ERROR``: ``state.on_error``), or what could not be read; empty otherwise.
    """

    course_key: object
    state: policy.FreezeState
    generated_at: datetime

    @property
    def phase(self):
        """``open``, ``undated``, ``frozen``, ``off`` or ``error`` (``phase_of``)."""
        return phase_of(self.state)

    @property
    def frozen(self):
        """Whether grades are frozen now (also when ``GRADE_FREEZE_ON_ERROR`` decided it)."""
        return self.state.frozen

    @property
    def enabled(self):
        """Whether the freeze applies to the course at all (False: off, or left open by ``GRADE_FREEZE_ON_ERROR``)."""
        return self.state.enabled

    @property
    def freeze_date(self):
        """The freeze date, or None."""
        return self.state.freeze_date

    @property
    def decided_by(self):
        """Which configuration layer decided the freeze, and how."""
        return self.state.source

    @property
    def days_until_freeze(self):
        """Days left before the freeze, a started day counting as one; None unless the phase is ``open``."""
        if self.phase != PHASE_OPEN:
            return None
        return days_until(self.freeze_date, self.generated_at)

    def freezes_within(self, days):
        """Whether the course is ``open`` and freezes within ``days`` days: "about to freeze"."""
        return self.phase == PHASE_OPEN and self.freeze_date <= self.generated_at + timedelta(days=days)

    # -- Facts, each read on first use ------------------------------------------------------------------------------

    @cached_property
    def _start(self):
        schedule = CourseSchedule.objects.filter(course_key=self.course_key).first()
        if schedule is not None:
            return as_utc(schedule.start), ""
        try:
            overview = course_overviews.get_course_overview(self.course_key)
        except PlatformReadError as read_error:
            return None, str(read_error)
        return (as_utc(overview.start) if overview is not None else None), ""

    @property
    def course_start(self):
        """The course's start date (the plugin's schedule, else CourseOverview), or None."""
        return self._start[0]

    @property
    def configuration_error(self):
        """What kept the policy from deciding, or what could not be read about the course; empty when nothing."""
        return self.state.error or self._start[1]

    @cached_property
    def refused_updates(self):
        """The grade updates the freeze refused, per write path (``RefusedUpdates``)."""
        return tuple(
            RefusedUpdates(source=row.source, total=row.total, last_reported=as_utc(row.last_reported))
            for row in BlockedGradeUpdates.objects.filter(course_key=self.course_key).order_by("source")
        )

    @property
    def refused_total(self):
        """Every refused update of the course, on every write path."""
        return sum(item.total for item in self.refused_updates)

    @cached_property
    def refused_learners(self):
        """Whose grade updates the freeze refused, per learner and write path (``RefusedLearners``, read lazily)."""
        return refused_learners.RefusedLearners(self.course_key)

    @cached_property
    def snapshot(self):
        """The course's final-grade snapshot (``SnapshotSummary``)."""
        return SnapshotSummary.of(self.course_key, self.frozen)

    @cached_property
    def credentials(self):
        """The course's Credentials deliveries not sent yet and failed (``CredentialsCounts``)."""
        return CredentialsCounts(*outbox.course_counts(self.course_key))

    @cached_property
    def learner_exceptions(self):
        """The course's learner exceptions (requested or open, closed) and what they changed (``ExceptionSummary``)."""
        return ExceptionSummary.of(self.course_key)

    @property
    def open_exceptions(self):
        """The learner exceptions in force now: their learners' grades may change while the course is frozen."""
        return self.learner_exceptions.open_at(self.generated_at)


def _now(at):
    return as_utc(at) if at is not None else datetime.now(timezone.utc)


def is_known(course_key):
    """Whether the plugin (a schedule, a freeze run) or edx-platform (a CourseOverview) knows the course.

    A CourseOverview that cannot be read counts as known: the course may exist.
    """
    if CourseSchedule.objects.filter(course_key=course_key).exists():
        return True
    if FreezeRun.objects.filter(course_key=course_key).exists():
        return True
    try:
        return course_overviews.get_course_overview(course_key) is not None
    except PlatformReadError:
        return True


def require_known(course_keys):
    """The course keys as ``CourseKey``s; ``UnknownCourseError`` naming every one no one knows."""
    keys = [to_course_key(key) for key in course_keys]
    unknown = [str(key) for key in keys if not is_known(key)]
    if unknown:
        raise UnknownCourseError(f"Unknown course(s): {', '.join(unknown)}")
    return keys


def get_course_status(course_key, at=None):
    """The status of one course; raises ``InvalidCourseKeyError`` or ``UnknownCourseError``, never a policy error."""
    (course_key,) = require_known([course_key])
    at = _now(at)
    # Never raises: a policy that cannot be evaluated comes back decided by GRADE_FREEZE_ON_ERROR, with its error.
    return CourseStatus(course_key, policy.get_freeze_state(course_key, at=at), at)


def known_courses(org=None):
    """Every course the plugin knows (a schedule or a freeze run), of one org if given, in course-key order."""
    schedules = CourseSchedule.objects.all()
    runs = FreezeRun.objects.all()
    if org:
        schedules = schedules.filter(org=org)
        runs = [key for key in runs.values_list("course_key", flat=True).distinct() if key.org == org]
    else:
        runs = runs.values_list("course_key", flat=True).distinct()
    return sorted(set(schedules.values_list("course_key", flat=True)) | set(runs), key=str)


def list_courses(course_keys=None, frozen=None, upcoming_days=None, org=None, at=None):
    """The statuses of the courses named (each must be known), else of every course the plugin knows.

    ``frozen`` keeps frozen (or not frozen) courses, ``upcoming_days`` those about to freeze within that many days
    (``CourseStatus.freezes_within``), ``org`` one organization's.
    """
    at = _now(at)
    keys = require_known(course_keys) if course_keys else known_courses(org)
    statuses = []
    for course_key in keys:
        status = CourseStatus(course_key, policy.get_freeze_state(course_key, at=at), at)
        if frozen is not None and status.frozen != frozen:
            continue
        if upcoming_days is not None and not status.freezes_within(upcoming_days):
            continue
        if org and course_key.org != org:
            continue
        statuses.append(status)
    return statuses
