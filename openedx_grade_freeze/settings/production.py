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
    "GRADE_FREEZE_POLICY_MAX_AGE_SECONDS",
    "GRADE_FREEZE_BLOCKED_EVENT_INTERVAL_SECONDS",
    "GRADE_FREEZE_PLATFORM_ADAPTER_ENABLED",
    "GRADE_FREEZE_CREDENTIALS_ENABLED",
    "GRADE_FREEZE_CREDENTIALS_MIRROR_UPSTREAM_CONDITIONS",
    "GRADE_FREEZE_CREDENTIALS_REPLACE_UPSTREAM_SENDER",
    "GRADE_FREEZE_CREDENTIALS_URL",
    "GRADE_FREEZE_CREDENTIALS_OAUTH_URL",
    "GRADE_FREEZE_CREDENTIALS_CLIENT_ID",
    "GRADE_FREEZE_CREDENTIALS_TIMEOUT",
    "GRADE_FREEZE_CREDENTIALS_MAX_ATTEMPTS",
    "GRADE_FREEZE_CREDENTIALS_RETRY_BACKOFF_SECONDS",
    "GRADE_FREEZE_CREDENTIALS_RETRY_BACKOFF_MAX_SECONDS",
    "GRADE_FREEZE_CREDENTIALS_FAILED_RETRY_SECONDS",
    "GRADE_FREEZE_CREDENTIALS_LEASE_SECONDS",
    "GRADE_FREEZE_CREDENTIALS_DRAIN_INTERVAL_SECONDS",
    "GRADE_FREEZE_CREDENTIALS_DRAIN_BATCH_SIZE",
    "GRADE_FREEZE_CREDENTIALS_CERTIFICATES_AVAILABLE_AT_END",
    "GRADE_FREEZE_CREDENTIALS_CERTIFICATE_TYPES",
)
# Secrets come from AUTH_TOKENS (the LMS's secrets YAML), which wins over ENV_TOKENS.
_AUTH_SETTINGS = (
    "GRADE_FREEZE_CREDENTIALS_CLIENT_ID",
    "GRADE_FREEZE_CREDENTIALS_CLIENT_SECRET",
)


def plugin_settings(settings):
    """Apply operators' values from ``ENV_TOKENS`` and ``AUTH_TOKENS``, then fill in defaults and register hooks."""
    env_tokens = getattr(settings, "ENV_TOKENS", {}) or {}
    for name in _ENV_SETTINGS:
        if name in env_tokens:
            setattr(settings, name, env_tokens[name])
    auth_tokens = getattr(settings, "AUTH_TOKENS", {}) or {}
    for name in _AUTH_SETTINGS:
        if name in auth_tokens:
            setattr(settings, name, auth_tokens[name])
    # OPEN_EDX_FILTERS_CONFIG is the platform's to load; ours is appended to whatever it holds by now.
    common.plugin_settings(settings)
