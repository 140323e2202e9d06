"""
Django admin: freeze overrides and schedules, Credentials forwarding, final-grade snapshots and learner exceptions (a
module each).
"""
from openedx_grade_freeze.admin import (  # noqa: F401  pylint: disable=unused-import
    credentials,
    learner_exceptions,
    overrides,
    overview,
    snapshots,
)
