"""
Production settings of the plugin: operators' values from the LMS/Studio YAML (``ENV_TOKENS``, ``AUTH_TOKENS``).
"""
from openedx_grade_freeze.setting_definitions import SETTINGS
from openedx_grade_freeze.settings import common


def plugin_settings(settings):
    """Apply operators' values for every plugin setting from the tokens, then fill in defaults and register hooks.

    Every setting is read from ``ENV_TOKENS``, except secrets, which come from ``AUTH_TOKENS`` (the LMS's secrets
    YAML) only; ``AUTH_TOKENS`` also wins for the settings defined to be read there.
    """
    env_tokens = getattr(settings, "ENV_TOKENS", {}) or {}
    auth_tokens = getattr(settings, "AUTH_TOKENS", {}) or {}
    for setting in SETTINGS:
        if not setting.secret and setting.name in env_tokens:
            setattr(settings, setting.name, env_tokens[setting.name])
        if (setting.auth or setting.secret) and setting.name in auth_tokens:
            setattr(settings, setting.name, auth_tokens[setting.name])
    # OPEN_EDX_FILTERS_CONFIG is the platform's to load; ours is appended to whatever it holds by now.
    common.plugin_settings(settings)
