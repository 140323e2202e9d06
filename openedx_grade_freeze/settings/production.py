"""
Production settings of the plugin: operators' values from the LMS/Studio YAML (``ENV_TOKENS``).
"""
from openedx_grade_freeze.settings import common

_ENV_SETTINGS = (
    "GRADE_FREEZE_ENABLED",
    "GRADE_FREEZE_OFFSET_DAYS",
    "GRADE_FREEZE_EXEMPT_SELF_PACED",
    "GRADE_FREEZE_FAIL_CLOSED",
    "GRADE_FREEZE_POLICY_CACHE_SECONDS",
    "GRADE_FREEZE_BLOCKED_EVENT_INTERVAL_SECONDS",
    "GRADE_FREEZE_PLATFORM_ADAPTER_ENABLED",
)


def plugin_settings(settings):
    """Apply operators' values from ``ENV_TOKENS``, then fill in defaults and register the veto step."""
    env_tokens = getattr(settings, "ENV_TOKENS", {}) or {}
    for name in _ENV_SETTINGS:
        if name in env_tokens:
            setattr(settings, name, env_tokens[name])
    # OPEN_EDX_FILTERS_CONFIG is the platform's to load; ours is appended to whatever it holds by now.
    common.plugin_settings(settings)
