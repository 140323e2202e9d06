"""
The pipeline step that vetoes grade persistence for a course past its freeze date.
"""
import logging

from openedx_filters.filters import PipelineStep

from openedx_grade_freeze import blocked, policy
from openedx_grade_freeze.dates import isoformat
from openedx_grade_freeze.filters import ACTION_CHECK, ACTION_WRITE, GradePersistenceRequested

log = logging.getLogger(__name__)


class PreventGradePersistenceAfterFreeze(PipelineStep):
    """
    Raise ``PreventGradePersistence`` when the freeze policy says the course's grades are frozen (for the learner
    named, when one is: an open learner exception, or a personalized due date whose freeze is still ahead, lets that
    learner's writes through).

    When the policy cannot be evaluated, ``GRADE_FREEZE_ON_ERROR`` decides (edx-platform's own rule by default).
    """

    def run_filter(self, course_key, user_id=None, source=None, action=ACTION_WRITE):  # pylint: disable=arguments-differ
        """Let the write through (return no changes) or veto it; only refused writes and deletions are counted."""
        try:
            state = policy.get_freeze_state(course_key, user_id=user_id)
        except Exception as error:  # pylint: disable=broad-except
            # e.g. an invalid course key: nothing to cache, but the operator's rule for errors still decides.
            state = policy.state_on_error(course_key, error)
        if not state.frozen:
            return {}
        if action != ACTION_CHECK:
            # Refusals are counted per course and write path: with the course's freeze date, not one learner's.
            blocked.record_blocked_update(
                state.course_key, user_id, source, state.course_freeze_date or state.freeze_date,
            )
        raise GradePersistenceRequested.PreventGradePersistence(
            refusal_message(state, user_id), course_key=state.course_key, freeze_date=state.freeze_date,
            open_exceptions=state.open_exceptions + state.extended_learners,
        )


def refusal_message(state, user_id=None):
    """Why a write was refused: the freeze and what decided it, and what learner exceptions change about it."""
    if state.error:
        message = (
            f"The grade freeze of {state.course_key} could not be evaluated ({state.error}); "
            f"decided by {state.source}."
        )
    else:
        message = f"Grades of {state.course_key} are frozen since {isoformat(state.freeze_date)} ({state.source})."
    if state.learner_rule:
        message += f" For user {user_id}: {state.learner_rule}."
    if state.open_exceptions:
        learners = "1 learner has" if state.open_exceptions == 1 else f"{state.open_exceptions} learners have"
        message += f" {learners} an open exception: their grades change only by writes that name the learner."
    if state.extended_learners:
        learners = "1 learner has" if state.extended_learners == 1 else f"{state.extended_learners} learners have"
        message += (f" {learners} a personalized due date that freezes them later: their grades change only by writes"
                    " that name the learner.")
    return message
