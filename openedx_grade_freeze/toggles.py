"""
Feature toggles of the plugin.
"""
from edx_toggles.toggles import SettingToggle

# .. toggle_name: GRADE_FREEZE_ENABLED
# .. toggle_implementation: SettingToggle
# .. toggle_default: True
# .. toggle_description: The installation-wide default for freezing grades after a course's freeze date. It is the
#   lowest configuration layer: the site's ``GRADE_FREEZE["ENABLED"]``, an org override and a course override each
#   take precedence over it, in that order.
# .. toggle_use_cases: open_edx
# .. toggle_creation_date: 2026-11-21
GRADE_FREEZE_ENABLED = SettingToggle("GRADE_FREEZE_ENABLED", default=True, module_name=__name__)

# .. toggle_name: GRADE_FREEZE_PLATFORM_ADAPTER_ENABLED
# .. toggle_implementation: SettingToggle
# .. toggle_default: True
# .. toggle_description: Wires the freeze into edx-platform's grade write points when the LMS starts. Turning it
#   off leaves edx-platform's own functions untouched (the filter and the API still work for callers that use them).
# .. toggle_use_cases: open_edx
# .. toggle_creation_date: 2026-11-21
GRADE_FREEZE_PLATFORM_ADAPTER_ENABLED = SettingToggle(
    "GRADE_FREEZE_PLATFORM_ADAPTER_ENABLED", default=True, module_name=__name__
)
