"""
Per-site settings from edx-platform's Site Configuration.
"""
from openedx_grade_freeze.platform.modules import import_platform_module


def get_site_configuration_value(org, name):
    """The value ``name`` in the Site Configuration of the site that owns ``org``, or None."""
    helpers = import_platform_module("openedx.core.djangoapps.site_configuration.helpers")
    if helpers is None:
        return None
    return helpers.get_value_for_org(org, name, None)
