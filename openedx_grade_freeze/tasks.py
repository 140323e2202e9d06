"""
The plugin's celery tasks, gathered here for celery's autodiscovery; each is defined beside the code it runs.
"""
from openedx_grade_freeze.blocked import flush_blocked_counts_task
from openedx_grade_freeze.credentials.ledger import drain_credentials_deliveries
from openedx_grade_freeze.credentials.outbox import send_credentials_delivery
from openedx_grade_freeze.credentials.snapshot_agreement import agree_with_credentials_task
from openedx_grade_freeze.learner_exceptions.refreeze import close_learner_exceptions_task
from openedx_grade_freeze.schedule_sync import check_course_schedules_task
from openedx_grade_freeze.snapshots.runs import (
    freeze_chunk_task,
    freeze_due_courses_task,
    plan_freeze_run,
    retry_failures_task,
)
from openedx_grade_freeze.upcoming import announce_upcoming_freezes_task

__all__ = [
    "agree_with_credentials_task",
    "announce_upcoming_freezes_task",
    "check_course_schedules_task",
    "close_learner_exceptions_task",
    "drain_credentials_deliveries",
    "flush_blocked_counts_task",
    "freeze_chunk_task",
    "freeze_due_courses_task",
    "plan_freeze_run",
    "retry_failures_task",
    "send_credentials_delivery",
]
