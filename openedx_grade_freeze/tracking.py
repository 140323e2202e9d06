"""
The tracking-log events the plugin emits, and the one function that emits them.
"""
import logging

from eventtracking import tracker

log = logging.getLogger(__name__)

COURSE_END_CHANGED = "edx.grades.freeze.course_end_changed"
CONFIG_CHANGED = "edx.grades.freeze.config_changed"
UPDATE_BLOCKED = "edx.grades.freeze.update_blocked"
COURSE_FROZEN = "edx.grades.freeze.course_frozen"
UNFROZEN = "edx.grades.freeze.unfrozen"
LEARNER_REFROZEN = "edx.grades.freeze.learner_refrozen"
FREEZE_UPCOMING = "edx.grades.freeze.upcoming"
EXCEPTION_REQUESTED = "edx.grades.freeze.exception_requested"
EXCEPTION_APPROVED = "edx.grades.freeze.exception_approved"
EXCEPTION_CLOSED = "edx.grades.freeze.exception_closed"

# Every event name above: each has an xAPI statement (``analytics``) and is allowed through event-routing-backends.
EVENT_NAMES = (COURSE_END_CHANGED, CONFIG_CHANGED, UPDATE_BLOCKED, COURSE_FROZEN, UNFROZEN, LEARNER_REFROZEN,
               FREEZE_UPCOMING, EXCEPTION_REQUESTED, EXCEPTION_APPROVED, EXCEPTION_CLOSED)


def emit(name, data):
    """Emit a tracking-log event; a tracking backend failure is logged, never raised to the caller."""
    try:
        tracker.emit(name, data)
    except Exception:  # pylint: disable=broad-except
        log.exception("Could not emit tracking event %s: %s", name, data)
