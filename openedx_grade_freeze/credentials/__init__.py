"""
Forwarding course grades and certificate available dates to Credentials through a durable, ordered outbox.

See docs/decisions/0005-credentials-outbox-and-ordering.rst.
"""
import importlib

# Each re-exported name and its module, loaded on first use so ``credentials.client`` imports without Django's models.
_EXPORTS = {
    "on_course_end_changed": "certificate_dates",
    "certificate_types": "config",
    "certificates_available_at_end": "config",
    "credentials_base_url": "config",
    "forwarding_enabled": "config",
    "get_client": "config",
    "is_configured": "config",
    "DRIFT": "ledger",
    "RECORDED": "ledger",
    "STALE": "ledger",
    "UNCHANGED": "ledger",
    "GradeChange": "ledger",
    "grade_change_from_event": "ledger",
    "record_grade_change": "ledger",
    "OUTCOME_BUSY": "outbox",
    "OUTCOME_FAILED": "outbox",
    "OUTCOME_REJECTED": "outbox",
    "OUTCOME_RETRY": "outbox",
    "OUTCOME_SENT": "outbox",
    "OUTCOME_SKIPPED": "outbox",
    "certificate_date_subject": "outbox",
    "deliver": "outbox",
    "drain": "outbox",
    "grade_subject": "outbox",
    "mark_pending": "outbox",
    "queue_delivery": "outbox",
    "LMS_DRIFT": "replay",
    "LMS_RECORDED": "replay",
    "LMS_UP_TO_DATE": "replay",
    "LMS_WOULD_DRIFT": "replay",
    "LMS_WOULD_RECORD": "replay",
    "grade_records_for_replay": "replay",
    "lms_grades_for_catch_up": "replay",
    "needs_sending": "replay",
    "record_lms_grade": "replay",
    "replay_grade": "replay",
    "replaces_upstream_sender": "upstream_sender",
    "request_grade_send": "upstream_sender",
    "take_over_grade_send": "upstream_sender",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name):
    """Load a re-exported name from its module."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
