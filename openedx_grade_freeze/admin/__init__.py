"""
Django admin: freeze overrides and schedules, and Credentials forwarding (each in its own module).
"""
from openedx_grade_freeze.admin import credentials, overrides, overview  # noqa: F401  pylint: disable=unused-import
