"""
The site's ``GRADE_FREEZE`` value (Site Configuration), checked against a declared schema.

An unknown key or a value of the wrong type is reported once per site and interval, naming both, and left out;
the valid keys still apply. A failure to read the configuration at all is raised to the caller.
"""
import logging

from openedx_grade_freeze.platform import site_configuration
from openedx_grade_freeze.rate_limits import first_in_interval

log = logging.getLogger(__name__)

SITE_CONFIGURATION_KEY = "GRADE_FREEZE"
# A century: any longer and end + offset can pass the largest date Python represents.
MAX_OFFSET_DAYS = 36500
# How often, at most, one site's configuration problem is logged.
REPORT_INTERVAL_SECONDS = 3600


def _is_bool(value):
    return isinstance(value, bool)


def _is_offset(value):
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_OFFSET_DAYS


def _is_list_of_strings(value):
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _is_bool_or_list_of_strings(value):
    return _is_bool(value) or _is_list_of_strings(value)


# key: (check, what a valid value is, in an operator's words)
SCHEMA = {
    "ENABLED": (_is_bool, "true or false"),
    "OFFSET_DAYS": (_is_offset, f"a whole number of days from 0 to {MAX_OFFSET_DAYS}"),
    "EXEMPT_SELF_PACED": (_is_bool, "true or false"),
    "CREDENTIALS_FORWARDING": (_is_bool, "true or false"),
    "CERTIFICATES_AVAILABLE_AT_END": (_is_bool_or_list_of_strings, "true, false or a list of orgs and course keys"),
    "CERTIFICATE_TYPES": (_is_list_of_strings, "a list of certificate types"),
}


def site_freeze_configuration(org):
    """The valid keys of the ``GRADE_FREEZE`` value of the site that owns ``org`` (an empty dict when unset)."""
    value = site_configuration.get_site_configuration_value(org, SITE_CONFIGURATION_KEY)
    if value is None:
        return {}
    if not isinstance(value, dict):
        _report(org, None, f"{SITE_CONFIGURATION_KEY} must be a dict, not {value!r}; it is ignored")
        return {}
    valid = {}
    for key, item in value.items():
        rule = SCHEMA.get(key)
        if rule is None:
            _report(org, key, f"unknown key {key!r} is ignored (valid keys: {', '.join(sorted(SCHEMA))})")
        elif not rule[0](item):
            _report(org, key, f"{key!r} must be {rule[1]}, not {item!r}; it is ignored")
        else:
            valid[key] = item
    return valid


def _report(org, key, problem):
    if first_in_interval(("site_configuration", org, key, problem), REPORT_INTERVAL_SECONDS):
        log.error("Site configuration %s of the site that owns org %s: %s.", SITE_CONFIGURATION_KEY, org, problem)
