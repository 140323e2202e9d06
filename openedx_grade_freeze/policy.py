"""
The freeze policy: which configuration layer decides a course's freeze date, cached so a warm check costs no query.

Layers, highest first: course override, org override, the site configuration of the site that owns the org
(``GRADE_FREEZE`` dict), Django settings. The resolved inputs are cached per process (at most
``GRADE_FREEZE_POLICY_CACHE_MAX_COURSES`` courses, least recently used out first); the decision itself compares the
cached freeze date with the clock on every call, so crossing the freeze date needs no event.

A decision can name a learner. The course's cache entry carries a per-learner part (``LearnerRules``: each open
learner exception's window, and each learner's own freeze date from a personalized due date), read with the course;
while the course is frozen, a learner whose window is open at that moment is not, and a learner whose personalized
due date plus the course's offset is still ahead is not either. Both are compared with the clock on every call
(ADRs 0020 and 0028).

When the policy cannot be evaluated, ``GRADE_FREEZE_ON_ERROR`` decides: edx-platform's own rule by default.
"""
import bisect
import logging
import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from openedx_grade_freeze.dates import as_utc, isoformat
from openedx_grade_freeze.keys import to_course_key
from openedx_grade_freeze.models import (
    EXCEPTION_OPEN,
    PACING_SELF,
    CourseFreezeOverride,
    CourseSchedule,
    LearnerException,
    OrgFreezeOverride,
)
from openedx_grade_freeze.platform import course_overviews, due_dates
from openedx_grade_freeze.rate_limits import first_in_interval
from openedx_grade_freeze.site_settings import MAX_OFFSET_DAYS, SITE_CONFIGURATION_KEY, site_freeze_configuration
from openedx_grade_freeze.toggles import GRADE_FREEZE_ENABLED, GRADE_FREEZE_PERSONALIZED_DUE_DATES

log = logging.getLogger(__name__)

_VERSION_CACHE_KEY = "openedx_grade_freeze.policy.version"

ON_ERROR_PLATFORM_RULE = "platform-rule"
ON_ERROR_OPEN = "open"
ON_ERROR_CLOSED = "closed"
ON_ERROR_CHOICES = (ON_ERROR_PLATFORM_RULE, ON_ERROR_OPEN, ON_ERROR_CLOSED)
# edx-platform's own offset when GRADEBOOK_FREEZE_DAYS is not set.
PLATFORM_FREEZE_DAYS = 30
# A policy error is logged once per course in this time (the state is re-read every GRADE_FREEZE_POLICY_CACHE_SECONDS).
ERROR_LOG_INTERVAL_SECONDS = 300


@dataclass(frozen=True)
class FreezeState:
    """
    The freeze decision for one course at one moment, with what decided it.
    """

    course_key: object
    frozen: bool
    enabled: bool
    freeze_date: datetime | None
    course_end: datetime | None
    offset_days: int
    source: str
    explicit_freeze_date: bool = False
    self_paced: bool = False
    # Set when the policy could not be evaluated: what went wrong, and which GRADE_FREEZE_ON_ERROR rule decided.
    error: str | None = None
    on_error: str | None = None
    # The per-learner part of a decision that named a learner: who, and the learner's own rule when it decided
    # instead of the course's state (an open exception, or one that ended), else None.
    user_id: int | None = None
    learner_rule: str | None = None
    # Set when a personalized due date moved the learner's ``freeze_date``: the course's own freeze date.
    course_freeze_date: datetime | None = None
    # For a decision naming no learner in a frozen course: how many learners' grades may change now all the same,
    # through an open exception, and through a personalized due date whose freeze is still ahead.
    open_exceptions: int = 0
    extended_learners: int = 0

    def frozen_at(self, at):
        """Whether grades are frozen at ``at`` (tz-aware)."""
        if self.on_error == ON_ERROR_CLOSED:
            return True
        return bool(self.enabled and self.freeze_date is not None and at > self.freeze_date)


@dataclass(frozen=True)
class LearnerWindow:
    """
    One learner's open exception as the cache keeps it: their grades may change from ``opens_at`` until
    ``closes_at`` although the course is frozen.
    """

    exception_id: int
    opens_at: datetime
    closes_at: datetime

    def open_at(self, at):
        """Whether the window is open at ``at``."""
        return self.opens_at <= at < self.closes_at

    def describe(self, at):
        """What the window means at ``at``, for a decision and a refusal message."""
        if at >= self.closes_at:
            return f"learner exception {self.exception_id}, closed at {isoformat(self.closes_at)}"
        if at < self.opens_at:
            return f"learner exception {self.exception_id}, opens at {isoformat(self.opens_at)}"
        return f"learner exception {self.exception_id}, open until {isoformat(self.closes_at)}"


@dataclass(frozen=True)
class LearnerDueDate:
    """
    A learner's latest personalized due date as the cache keeps it, and the learner's own freeze date: that date
    plus the course's offset (None: past the last date of the calendar, never).
    """

    due: datetime
    offset_days: int
    freezes_at: datetime | None

    def frozen_at(self, at):
        """Whether the learner's grades are frozen at ``at`` by this date."""
        return self.freezes_at is not None and at > self.freezes_at

    def source(self):
        """What decided the learner's freeze date, as a decision's ``source`` says it."""
        return f"personalized due date {isoformat(self.due)} + {self.offset_days} days"

    def describe(self, at):
        """What the date means at ``at``, for a decision and a refusal message."""
        if self.freezes_at is None:
            return f"personalized due date {isoformat(self.due)}, never frozen"
        if self.frozen_at(at):
            return f"personalized due date {isoformat(self.due)}, frozen since {isoformat(self.freezes_at)}"
        return f"personalized due date {isoformat(self.due)}, frozen after {isoformat(self.freezes_at)}"


_NEVER = datetime.max.replace(tzinfo=timezone.utc)


class LearnerRules:
    """
    The per-learner part of a course's cached policy: the window of each learner with an open exception, and the
    own freeze date of each learner whose personalized due date moves it past the course's.

    A decision naming a learner consults it with one or two dictionary lookups; a learner without a rule is decided
    by the course's state. An open exception window wins over a personalized due date; a personalized due date whose
    freeze is still ahead keeps the learner's grades open although the course is frozen.
    """

    __slots__ = ("_windows", "_closes", "_latest_open", "_due_dates", "_freezes", "_states")

    def __init__(self, windows=None, due_dates=None):
        self._windows = dict(windows or {})    # user id -> LearnerWindow
        self._closes = sorted(window.closes_at for window in self._windows.values())
        self._latest_open = max((window.opens_at for window in self._windows.values()), default=None)
        self._due_dates = dict(due_dates or {})  # user id -> LearnerDueDate
        self._freezes = sorted(date.freezes_at or _NEVER for date in self._due_dates.values())
        self._states = {}                       # a rule's (or the course-wide count's) FreezeState, built once

    def __bool__(self):
        return bool(self._windows or self._due_dates)

    def __len__(self):
        return len(self._windows.keys() | self._due_dates.keys())

    @staticmethod
    def _lookup(rules, user_id):
        rule = rules.get(user_id)
        if rule is None and isinstance(user_id, str) and user_id.isascii() and user_id.isdigit():
            rule = rules.get(int(user_id))
        return rule

    def window(self, user_id):
        """The learner's window, or None; ``user_id`` as an int or a string of ASCII digits."""
        return self._lookup(self._windows, user_id)

    def due_date(self, user_id):
        """The learner's ``LearnerDueDate``, or None; ``user_id`` as an int or a string of ASCII digits."""
        return self._lookup(self._due_dates, user_id)

    def decide(self, course_state, user_id, at, course_frozen=True):
        """The state of a learner at ``at``, or None when the course's own state decides.

        On the hot path: one or two lookups, a few comparisons, and each state built the first time only. A course
        not frozen at ``at`` is decided by its own state, except that a learner with a personalized due date is told
        their own freeze date.
        """
        due = self._due_dates.get(user_id)
        if due is None:
            due = self.due_date(user_id)
        if not course_frozen:
            return None if due is None else self._due_date_state(course_state, user_id, due, at)
        window = self._windows.get(user_id)
        if window is None:
            window = self.window(user_id)
        if window is not None and (due is None or window.open_at(at)):
            return self._window_state(course_state, user_id, window, at)
        if due is not None:
            return self._due_date_state(course_state, user_id, due, at)
        return None

    def _window_state(self, course_state, user_id, window, at):
        is_open = window.opens_at <= at < window.closes_at
        key = window.exception_id if is_open else (window.exception_id, at >= window.closes_at)
        state = self._states.get(key)
        if state is None:
            state = replace(course_state, frozen=not is_open, user_id=int(user_id), learner_rule=window.describe(at))
            self._states[key] = state
        return state

    def _due_date_state(self, course_state, user_id, due, at):
        frozen = due.frozen_at(at)
        key = ("due", int(user_id), frozen)
        state = self._states.get(key)
        if state is None:
            state = replace(
                course_state, frozen=frozen, freeze_date=due.freezes_at, source=due.source(), user_id=int(user_id),
                learner_rule=due.describe(at), course_freeze_date=course_state.freeze_date,
            )
            self._states[key] = state
        return state

    def open_count(self, at):
        """How many windows are open at ``at``."""
        if self._latest_open is not None and at < self._latest_open:
            return sum(1 for window in self._windows.values() if window.open_at(at))
        return len(self._closes) - bisect.bisect_right(self._closes, at)

    def extended_count(self, at):
        """How many learners' personalized due dates keep their grades open at ``at``."""
        return len(self._freezes) - bisect.bisect_left(self._freezes, at)

    def course_wide(self, course_state, at):
        """The state of a frozen course for a decision naming no learner at ``at``: it counts the open windows and
        the personalized due dates still ahead."""
        count, extended = self.open_count(at), self.extended_count(at)
        if not (count or extended):
            return None
        key = ("course", count, extended)
        state = self._states.get(key)
        if state is None:
            state = self._states[key] = replace(
                course_state, frozen=True, open_exceptions=count, extended_learners=extended,
            )
        return state


NO_LEARNER_RULES = LearnerRules()


@dataclass(frozen=True)
class CoursePolicy:
    """What the cache keeps per course: its resolved ``FreezeState`` and its per-learner part."""

    state: FreezeState
    learners: LearnerRules = NO_LEARNER_RULES


@dataclass(frozen=True)
class _Layer:
    """One configuration layer's values: None means the layer does not say."""

    name: str
    enabled: bool | None = None
    offset_days: int | None = None
    freeze_date: datetime | None = None
    exempt_self_paced: bool | None = None


def resolve(course_key, schedule, course_override, org_override, site_config, at):
    """Resolve the freeze state of one course from its schedule and every configuration layer (pure function)."""
    layers = []
    if course_override is not None:
        layers.append(_Layer(
            name="course override",
            enabled=course_override.enabled,
            offset_days=course_override.offset_days,
            freeze_date=as_utc(course_override.freeze_date),
        ))
    if org_override is not None:
        layers.append(_Layer(
            name=f"org override for {org_override.org}",
            enabled=org_override.enabled,
            offset_days=org_override.offset_days,
        ))
    if site_config:
        layers.append(_Layer(
            name="site configuration",
            enabled=_optional_bool(site_config.get("ENABLED"), "ENABLED"),
            offset_days=_optional_offset(site_config.get("OFFSET_DAYS")),
            exempt_self_paced=_optional_bool(site_config.get("EXEMPT_SELF_PACED"), "EXEMPT_SELF_PACED"),
        ))
    layers.append(_Layer(
        name="Django settings",
        enabled=GRADE_FREEZE_ENABLED.is_enabled(),
        offset_days=_optional_offset(settings.GRADE_FREEZE_OFFSET_DAYS),
        exempt_self_paced=bool(settings.GRADE_FREEZE_EXEMPT_SELF_PACED),
    ))

    enabled_layer = _first(layers, "enabled")
    offset_layer = _first(layers, "offset_days")
    exempt_layer = _first(layers, "exempt_self_paced")
    explicit_layer = _first(layers, "freeze_date")

    end = as_utc(schedule.end) if schedule is not None else None
    self_paced = schedule is not None and schedule.pacing == PACING_SELF
    offset_days = offset_layer.offset_days
    enabled = enabled_layer.enabled

    if explicit_layer is not None:
        freeze_date = explicit_layer.freeze_date
        date_source = f"{explicit_layer.name}: explicit freeze date"
    elif end is not None:
        freeze_date = add_days(end, offset_days)
        date_source = f"{offset_layer.name}: course end + {offset_days} days"
        if freeze_date is None:
            date_source += ", past the last date of the calendar: never"
    else:
        freeze_date = None
        date_source = "no course end date and no explicit freeze date" if schedule else "course schedule not known"

    if not enabled:
        source = f"{enabled_layer.name}: freeze turned off"
    elif (
        self_paced and exempt_layer.exempt_self_paced and explicit_layer is None
        and enabled_layer.name != "course override"
    ):
        enabled = False
        source = f"{exempt_layer.name}: self-paced runs are exempt"
    else:
        source = date_source

    at = as_utc(at) if at is not None else datetime.now(timezone.utc)
    return FreezeState(
        course_key=course_key,
        frozen=bool(enabled and freeze_date is not None and at > freeze_date),
        enabled=bool(enabled),
        freeze_date=freeze_date,
        course_end=end,
        offset_days=offset_days,
        source=source,
        explicit_freeze_date=explicit_layer is not None,
        self_paced=self_paced,
    )


def add_days(moment, days):
    """``moment`` plus ``days`` days, or None ("never") when that lies past the last date Python represents."""
    try:
        return moment + timedelta(days=days)
    except OverflowError:
        return None


def _first(layers, attribute):
    """The highest layer that sets ``attribute``, or None."""
    for layer in layers:
        if getattr(layer, attribute) is not None:
            return layer
    return None


def _optional_bool(value, name):
    """A site-configuration boolean, refusing anything but true/false so a typo is not read as 'on'."""
    if value is None or isinstance(value, bool):
        return value
    raise ValueError(f"Site configuration {SITE_CONFIGURATION_KEY}[{name!r}] must be true or false, not {value!r}")


def _optional_offset(value):
    """An offset in whole days, from 0 to ``MAX_OFFSET_DAYS``."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_OFFSET_DAYS:
        raise ValueError(
            f"A freeze offset must be a whole number of days, from 0 to {MAX_OFFSET_DAYS}, not {value!r}"
        )
    return value


class _PolicyCache:
    """
    Per-process cache of each course's resolved freeze inputs, emptied when any process reports a change.

    A change made in this process empties it at once; other processes notice the shared version key in the
    Django cache at most ``GRADE_FREEZE_POLICY_CACHE_SECONDS`` later. Site Configuration edits announce nothing,
    so each entry is also read again after ``GRADE_FREEZE_POLICY_MAX_AGE_SECONDS``.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._states = OrderedDict()
        self._version = None
        self._generation = 0
        self._checked_at = float("-inf")

    def get(self, course_key):
        """The cached state for a course and the cache generation it was read under: ``(state or None, generation)``."""
        now = self._check_version()
        with self._lock:
            state, loaded_at, max_age = self._states.get(course_key, (None, None, None))
            if state is not None:
                if max_age is None:
                    max_age = settings.GRADE_FREEZE_POLICY_MAX_AGE_SECONDS
                if now - loaded_at > max_age:
                    state = None
                else:
                    self._states.move_to_end(course_key)
            return state, self._generation

    def put(self, course_key, state, generation, max_age=None):
        """Remember a course's state, unless the cache was emptied since ``generation`` (the state may be stale).

        ``max_age`` (seconds) replaces ``GRADE_FREEZE_POLICY_MAX_AGE_SECONDS`` for this entry.
        """
        limit = max(1, int(getattr(settings, "GRADE_FREEZE_POLICY_CACHE_MAX_COURSES", 20000)))
        with self._lock:
            if generation != self._generation:
                return
            self._states[course_key] = (state, time.monotonic(), max_age)
            self._states.move_to_end(course_key)
            while len(self._states) > limit:
                self._states.popitem(last=False)

    def __len__(self):
        return len(self._states)

    def clear(self):
        """Forget every course's state in this process."""
        with self._lock:
            self._states = OrderedDict()
            self._generation += 1

    def forget(self, course_key):
        """Forget one course's state here now and again after commit; other processes and courses keep theirs."""
        with self._lock:
            self._states.pop(course_key, None)

        def _forget_again():
            with self._lock:
                self._states.pop(course_key, None)

        transaction.on_commit(_forget_again)

    def invalidate(self):
        """Forget every state here now, and tell every other process once the current transaction commits."""
        self.clear()

        def _publish():
            token = uuid.uuid4().hex
            try:
                cache.set(_VERSION_CACHE_KEY, token, None)
            except Exception:  # pylint: disable=broad-except
                log.exception("Could not publish the grade-freeze policy version; other processes will lag.")
            with self._lock:
                self._states = OrderedDict()
                self._generation += 1
                self._version = token
                self._checked_at = time.monotonic()

        transaction.on_commit(_publish)

    def _check_version(self):
        """Empty the cache if another process announced a change; returns the monotonic time it checked at."""
        now = time.monotonic()
        if now - self._checked_at < settings.GRADE_FREEZE_POLICY_CACHE_SECONDS:
            return now
        try:
            version = cache.get(_VERSION_CACHE_KEY)
        except Exception:  # pylint: disable=broad-except
            log.exception("Could not read the grade-freeze policy version; keeping this process's cache.")
            version = self._version
        with self._lock:
            if version != self._version:
                self._states = OrderedDict()
                self._generation += 1
                self._version = version
            self._checked_at = now
        return now


policy_cache = _PolicyCache()


def get_freeze_state(course_key, at=None, user_id=None):
    """The freeze state of a course now (or at ``at``), for one learner when ``user_id`` is given; resolved from
    cache when warm.

    Naming a learner of a frozen course whose exception is open at ``at``, or whose personalized due date plus the
    offset is still ahead, answers not frozen (``learner_rule`` says why); naming no learner of a frozen course counts
    the learners it is open for (``open_exceptions``, ``extended_learners``).
    """
    course_key = to_course_key(course_key)  # an invalid key is refused here, before it reaches the cache
    entry = _course_policy(course_key)
    state = entry.state
    at = as_utc(at) if at is not None else datetime.now(timezone.utc)
    frozen = state.frozen_at(at)
    if entry.learners:
        if user_id is not None:
            learner_state = entry.learners.decide(state, user_id, at, frozen)
            if learner_state is not None:
                return learner_state
        elif frozen:
            course_state = entry.learners.course_wide(state, at)
            if course_state is not None:
                return course_state
    if frozen == state.frozen:
        return state
    return replace(state, frozen=frozen)


def _course_policy(course_key):
    """The course's ``CoursePolicy``: from the cache, else read (and cached)."""
    cached, generation = policy_cache.get(course_key)
    if cached is not None:
        return cached
    try:
        state = _load_state(course_key)
        max_age = None
    except Exception as error:  # pylint: disable=broad-except
        state = state_on_error(course_key, error)
        # Read again soon: the error may be transient, and a fixed configuration should apply quickly.
        max_age = settings.GRADE_FREEZE_POLICY_CACHE_SECONDS
    try:
        windows = load_learner_windows(course_key)
    except Exception:  # pylint: disable=broad-except
        # Without its exceptions the course stays frozen for every learner: no one's grades open by error.
        log.exception("Could not read the learner exceptions of %s; none applies until they can be read.", course_key)
        windows = {}
        max_age = settings.GRADE_FREEZE_POLICY_CACHE_SECONDS
    try:
        extended = load_learner_due_dates(course_key, state)
    except Exception:  # pylint: disable=broad-except
        # As for exceptions: until they can be read, every learner freezes with the course.
        log.exception("Could not read the personalized due dates of %s; none applies until they can be read.",
                      course_key)
        extended = {}
        max_age = settings.GRADE_FREEZE_POLICY_CACHE_SECONDS
    learners = LearnerRules(windows, extended) if windows or extended else NO_LEARNER_RULES
    entry = CoursePolicy(state, learners)
    policy_cache.put(course_key, entry, generation, max_age=max_age)
    return entry


def load_learner_rules(course_key, state):
    """The course's per-learner part for its resolved ``state``: open exceptions' windows and personalized due dates."""
    windows, extended = load_learner_windows(course_key), load_learner_due_dates(course_key, state)
    return LearnerRules(windows, extended) if windows or extended else NO_LEARNER_RULES


def load_learner_windows(course_key):
    """The windows of the course's open exceptions, ``{user_id: LearnerWindow}``, read in one query."""
    rows = LearnerException.objects.filter(course_key=course_key, status=EXCEPTION_OPEN).order_by().values_list(
        "user_id", "pk", "opens_at", "closes_at",
    )
    return {
        user_id: LearnerWindow(pk, as_utc(opens_at), as_utc(closes_at))
        for user_id, pk, opens_at, closes_at in rows if opens_at is not None
    }


def load_learner_due_dates(course_key, state, user_id=None):
    """The learners whose latest personalized due date plus the course's offset falls after its freeze date,
    ``{user_id: LearnerDueDate}``, read in one query (of one learner with ``user_id``); none when the course has no
    freeze date to move."""
    if not (
        state.enabled and state.freeze_date is not None and state.on_error != ON_ERROR_CLOSED
        and GRADE_FREEZE_PERSONALIZED_DUE_DATES.is_enabled()
    ):
        return {}
    extended = {}
    for learner, due in due_dates.latest_due_dates(course_key, user_id).items():
        due = as_utc(due)
        freezes_at = add_days(due, state.offset_days)
        if freezes_at is None or freezes_at > state.freeze_date:
            extended[learner] = LearnerDueDate(due, state.offset_days, freezes_at)
    return extended


def learner_due_date(course_key, user_id):
    """The learner's ``LearnerDueDate`` read now (the course's state from the cache, the date from the database), or
    None when the learner freezes with the course."""
    course_key = to_course_key(course_key)
    return load_learner_due_dates(course_key, _course_policy(course_key).state, user_id).get(user_id)


def personalized_due_dates_changed():
    """A personalized due date was stored or deleted: every process reads its course's learners again."""
    policy_cache.invalidate()


def _load_state(course_key):
    """Read every layer for one course from the database, the site configuration and settings."""
    return state_with_schedule(course_key, get_schedule(course_key))


def state_with_schedule(course_key, schedule, at=None):
    """The freeze state a course has (or would have) with ``schedule``, reading every override layer now."""
    course_override = CourseFreezeOverride.objects.filter(course_key=course_key).first()
    org_override = OrgFreezeOverride.objects.filter(org=course_key.org).first()
    site_config = site_freeze_configuration(course_key.org)
    return resolve(course_key, schedule, course_override, org_override, site_config, at=at)


def on_error_rule():
    """The ``GRADE_FREEZE_ON_ERROR`` rule; an invalid value is reported and edx-platform's rule used instead."""
    value = getattr(settings, "GRADE_FREEZE_ON_ERROR", ON_ERROR_PLATFORM_RULE)
    if value in ON_ERROR_CHOICES:
        return value
    if first_in_interval(("on_error_setting", repr(value)), ERROR_LOG_INTERVAL_SECONDS):
        log.error(
            "GRADE_FREEZE_ON_ERROR must be one of %s, not %r; using %r.",
            ", ".join(ON_ERROR_CHOICES), value, ON_ERROR_PLATFORM_RULE,
        )
    return ON_ERROR_PLATFORM_RULE


def state_on_error(course_key, error, at=None):
    """The state when the policy cannot be evaluated: edx-platform's rule, or open or closed if the operator chose."""
    rule = on_error_rule()
    message = f"{type(error).__name__}: {error}"
    if first_in_interval(("policy_error", str(course_key)), ERROR_LOG_INTERVAL_SECONDS):
        log.error(
            "Could not evaluate the grade freeze of course=%s; deciding by GRADE_FREEZE_ON_ERROR=%s: %s",
            course_key, rule, message, exc_info=error,
        )
    at = as_utc(at) if at is not None else datetime.now(timezone.utc)
    if rule == ON_ERROR_OPEN:
        state = FreezeState(
            course_key=course_key, frozen=False, enabled=False, freeze_date=None, course_end=None, offset_days=0,
            source="policy error: grades left open (GRADE_FREEZE_ON_ERROR=open)", error=message, on_error=rule,
        )
    elif rule == ON_ERROR_CLOSED:
        state = FreezeState(
            course_key=course_key, frozen=True, enabled=True, freeze_date=None, course_end=None, offset_days=0,
            source="policy error: grades closed (GRADE_FREEZE_ON_ERROR=closed)", error=message, on_error=rule,
        )
    else:
        state = _platform_rule_state(course_key, message)
    return replace(state, frozen=state.frozen_at(at))


def _platform_rule_state(course_key, message):
    """edx-platform's own rule: frozen ``GRADEBOOK_FREEZE_DAYS`` (30) days after the course end."""
    days = getattr(settings, "GRADEBOOK_FREEZE_DAYS", PLATFORM_FREEZE_DAYS)
    if isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= MAX_OFFSET_DAYS:
        days = PLATFORM_FREEZE_DAYS
    schedule = None
    for read in (_stored_schedule, course_overviews.get_course_overview):
        try:
            schedule = read(course_key)
        except Exception:  # pylint: disable=broad-except
            log.debug("Fallback could not read the schedule of %s with %s.", course_key, read, exc_info=True)
            continue
        if schedule is not None:
            break
    end = as_utc(schedule.end) if schedule is not None and schedule.end is not None else None
    freeze_date = add_days(end, days) if end is not None else None
    if end is None:
        detail = "no course end known: not frozen"
    elif freeze_date is None:
        detail = f"course end + {days} days, past the last date of the calendar: never"
    else:
        detail = f"course end + {days} days"
    return FreezeState(
        course_key=course_key, frozen=False, enabled=True, freeze_date=freeze_date, course_end=end,
        offset_days=days, source=f"policy error: edx-platform's rule, {detail}",
        self_paced=schedule is not None and schedule.pacing == PACING_SELF, error=message,
        on_error=ON_ERROR_PLATFORM_RULE,
    )


def _stored_schedule(course_key):
    return CourseSchedule.objects.filter(course_key=course_key).first()


def get_schedule(course_key):
    """The plugin's schedule record for a course, else edx-platform's CourseOverview (read only, nothing stored).

    A check never writes: a course the plugin has not recorded yet is recorded by ``sync_course_schedules`` or the
    next publish, not inside the caller's transaction.
    """
    schedule = CourseSchedule.objects.filter(course_key=course_key).first()
    if schedule is None:
        schedule = course_overviews.get_course_overview(course_key)
    return schedule
