"""
The pipeline step that vetoes grade persistence for a course past its freeze date.
"""
import logging

from django.conf import settings
from django.core.cache import cache
from openedx_filters.filters import PipelineStep

from openedx_grade_freeze import blocked, policy
from openedx_grade_freeze.dates import isoformat
from openedx_grade_freeze.filters import ACTION_CHECK, ACTION_WRITE, GradePersistenceRequested

log = logging.getLogger(__name__)

# A broken setting fails every check of a course: one traceback per course and interval says so, not one per write.
_FAILURE_LOG_INTERVAL_SECONDS = 300


def _log_policy_failure(course_key, source, outcome, error):
    """Log a policy failure: with its traceback once per course and interval, then one line without."""
    try:
        first = cache.add(f"openedx_grade_freeze.policy_failure.{course_key}", 1, _FAILURE_LOG_INTERVAL_SECONDS)
    except Exception:  # pylint: disable=broad-except
        first = True
    message = "Could not evaluate the grade freeze of course=%s (source=%s); the write is %s: %s"
    if first:
        log.exception(message, course_key, source, outcome, error)
    else:
        log.error(message, course_key, source, outcome, error)


class PreventGradePersistenceAfterFreeze(PipelineStep):
    """
    Raise ``PreventGradePersistence`` when the freeze policy says the course's grades are frozen.

    When the policy cannot be evaluated the write goes through (an error is logged), unless
    ``GRADE_FREEZE_FAIL_CLOSED`` is True.
    """

    def run_filter(self, course_key, user_id=None, source=None, action=ACTION_WRITE):  # pylint: disable=arguments-differ
        """Let the write through (return no changes) or veto it; only refused writes and deletions are counted."""
        try:
            state = policy.get_freeze_state(course_key)
        except Exception as error:  # pylint: disable=broad-except
            fail_closed = bool(getattr(settings, "GRADE_FREEZE_FAIL_CLOSED", False))
            _log_policy_failure(course_key, source, "refused" if fail_closed else "allowed", error)
            if fail_closed:
                raise GradePersistenceRequested.PreventGradePersistence(
                    f"The grade freeze of {course_key} could not be evaluated ({error}); writes are refused.",
                    course_key=course_key,
                ) from error
            return {}
        if not state.frozen:
            return {}
        if action != ACTION_CHECK:
            blocked.record_blocked_update(state.course_key, user_id, source, state.freeze_date)
        raise GradePersistenceRequested.PreventGradePersistence(
            f"Grades of {state.course_key} are frozen since {isoformat(state.freeze_date)} ({state.source}).",
            course_key=state.course_key,
            freeze_date=state.freeze_date,
        )
