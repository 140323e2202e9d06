"""
Studio's settings of the plugin: the common ones, and Studio's catalog event turned on where the release has a toggle.
"""
from openedx_grade_freeze.settings import common


def plugin_settings(settings):
    """Apply the common settings, and make Studio send ``COURSE_CATALOG_INFO_CHANGED`` on publish (up to Teak)."""
    common.plugin_settings(settings)
    # Up to Teak, Studio sends the event only when this SettingToggle is on (default off); Ulmo removed it and
    # always sends, so there it changes nothing. An operator's explicit value (in the YAML, read later) wins.
    if not hasattr(settings, "SEND_CATALOG_INFO_SIGNAL"):
        settings.SEND_CATALOG_INFO_SIGNAL = True
