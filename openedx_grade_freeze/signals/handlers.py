"""
Receivers, connected through the plugin's ``signals_config``: openedx-events from edx-platform, and the plugin's own
features' announcements, which the Credentials integration listens to.

An openedx-events receiver never raises into the code that sent the event; a payload it could not apply is logged
with its course key and event id and kept for replay.
"""
import logging

from openedx_grade_freeze import api
from openedx_grade_freeze.credentials import certificate_dates, ledger, snapshot_agreement
from openedx_grade_freeze.schedules import record_failed_event, snapshot_from_catalog_info

log = logging.getLogger(__name__)


def record_course_schedule(sender, signal, catalog_info=None, metadata=None, **kwargs):  # pylint: disable=unused-argument
    """Record the schedule Studio published (``COURSE_CATALOG_INFO_CHANGED``), in process or from the event bus."""
    course_key = getattr(catalog_info, "course_key", None)
    event_id = getattr(metadata, "id", None)
    try:
        snapshot = snapshot_from_catalog_info(catalog_info, metadata, from_event_bus=kwargs.get("from_event_bus"))
        api.record_course_schedule(snapshot)
    except Exception as error:  # pylint: disable=broad-except
        log.exception("Could not record the schedule of course=%s from event=%s", course_key, event_id)
        record_failed_event(course_key, event_id, getattr(metadata, "time", None), catalog_info, error)


def record_course_grade(sender, signal, grade=None, metadata=None, **kwargs):  # pylint: disable=unused-argument
    """Record a learner's persisted course grade (``PERSISTENT_GRADE_SUMMARY_CHANGED``) and queue it for Credentials."""
    try:
        ledger.record_grade_event(grade, metadata)
    except Exception:  # pylint: disable=broad-except
        log.exception(
            "Could not record the grade of user=%s in course=%s from event=%s; edx-platform's next grade send for "
            "the learner, or send_grades_to_credentials, records it from the LMS's stored grade.",
            getattr(grade, "user_id", None), getattr(getattr(grade, "course", None), "course_key", None),
            getattr(metadata, "id", None),
        )


def retire_learner(sender, user=None, **kwargs):  # pylint: disable=unused-argument
    """Forget a learner's username (``USER_RETIRE_LMS_CRITICAL``/``_MISC``); an error fails the retirement step."""
    if user is None:
        return
    # Raising is deliberate: the retirement pipeline retries a failed step, and a half-retired learner is worse.
    api.retire_learner(user.id, user.username)


# -- The features' own announcements (schedules.COURSE_END_CHANGED, snapshots.signals), heard by Credentials --------

def queue_certificate_date(sender, change=None, **kwargs):  # pylint: disable=unused-argument
    """Queue the course's certificate available date for Credentials (``COURSE_END_CHANGED``)."""
    certificate_dates.on_course_end_changed(change)


def agree_with_credentials(sender, run_id=None, **kwargs):  # pylint: disable=unused-argument
    """Queue the re-send of a completed snapshot's grades Credentials does not hold (``SNAPSHOT_COMPLETED``)."""
    snapshot_agreement.queue_agreement(run_id)


def resend_refrozen_grade(sender, frozen_grade=None, at=None, **kwargs):  # pylint: disable=unused-argument
    """Re-send a re-frozen learner's grade to Credentials (``LEARNER_REFROZEN``); True when it was."""
    return snapshot_agreement.resend_refrozen(frozen_grade, at)
