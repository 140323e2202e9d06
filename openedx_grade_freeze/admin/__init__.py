"""
Django admin: freeze overrides and schedules, Credentials forwarding and final-grade snapshots (a module each).
"""
from openedx_grade_freeze.admin import (  # noqa: F401  pylint: disable=unused-import
    credentials,
    overrides,
    overview,
    snapshots,
)
