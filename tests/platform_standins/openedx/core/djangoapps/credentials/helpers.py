"""
Stand-in for ``openedx.core.djangoapps.credentials.helpers`` (read at ``e57a655d77b6…``; same code as upstream).
"""
from edx_toggles.toggles import SettingToggle

from openedx.core.djangoapps.site_configuration import helpers as config_helpers

ENABLE_LEARNER_RECORDS = SettingToggle("ENABLE_LEARNER_RECORDS", default=True, module_name=__name__)


def is_learner_records_enabled():
    return config_helpers.get_value("ENABLE_LEARNER_RECORDS", ENABLE_LEARNER_RECORDS.is_enabled())


def is_learner_records_enabled_for_org(org):
    return config_helpers.get_value_for_org(org, "ENABLE_LEARNER_RECORDS", ENABLE_LEARNER_RECORDS.is_enabled())
