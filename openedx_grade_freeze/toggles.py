"""
Feature toggles of the plugin, as edx-toggles ``SettingToggle`` objects.

Each is defined (name, default) and annotated once, in ``setting_definitions``.
"""
from edx_toggles.toggles import SettingToggle

from openedx_grade_freeze.setting_definitions import default


def _toggle(name):
    return SettingToggle(name, default=default(name), module_name=__name__)


GRADE_FREEZE_ENABLED = _toggle("GRADE_FREEZE_ENABLED")
GRADE_FREEZE_PLATFORM_ADAPTER_ENABLED = _toggle("GRADE_FREEZE_PLATFORM_ADAPTER_ENABLED")
GRADE_FREEZE_CREDENTIALS_ENABLED = _toggle("GRADE_FREEZE_CREDENTIALS_ENABLED")
GRADE_FREEZE_CREDENTIALS_MIRROR_UPSTREAM_CONDITIONS = _toggle("GRADE_FREEZE_CREDENTIALS_MIRROR_UPSTREAM_CONDITIONS")
GRADE_FREEZE_CREDENTIALS_REPLACE_UPSTREAM_SENDER = _toggle("GRADE_FREEZE_CREDENTIALS_REPLACE_UPSTREAM_SENDER")
GRADE_FREEZE_EXCEPTIONS_REQUIRE_APPROVAL = _toggle("GRADE_FREEZE_EXCEPTIONS_REQUIRE_APPROVAL")
GRADE_FREEZE_PERSONALIZED_DUE_DATES = _toggle("GRADE_FREEZE_PERSONALIZED_DUE_DATES")
