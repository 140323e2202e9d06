"""
The Tutor plugin (``tutor plugins enable grade-freeze``): the package in the image, its settings, its init task.

Loaded only by Tutor through the ``tutor.plugin.v1`` entry point; nothing in the LMS or Studio imports it, and Tutor
is not a requirement of the package. See docs/how-tos/install_in_lms_and_studio.rst and ADR 0015.
"""
from tutor import hooks
from tutor.__about__ import __version__ as TUTOR_VERSION

from openedx_grade_freeze import __version__

# Tutor config values (``tutor config save --set NAME=value``) and their defaults; each lands in the LMS and Studio
# settings under the same name. The plugin's own defaults (settings/common.py) apply to what is not set here.
CONFIG_DEFAULTS = {
    "GRADE_FREEZE_PIP_REQUIREMENT": f"openedx-grade-freeze=={__version__}",
    "GRADE_FREEZE_ENABLED": True,
    "GRADE_FREEZE_OFFSET_DAYS": 30,
    "GRADE_FREEZE_EXEMPT_SELF_PACED": False,
    "GRADE_FREEZE_FAIL_CLOSED": False,
    "GRADE_FREEZE_CREDENTIALS_ENABLED": False,
    "GRADE_FREEZE_CREDENTIALS_URL": None,
    "GRADE_FREEZE_CREDENTIALS_OAUTH_URL": None,
    "GRADE_FREEZE_CREDENTIALS_CLIENT_ID": None,
    # Kept in the Tutor root's config.yml, never in the image.
    "GRADE_FREEZE_CREDENTIALS_CLIENT_SECRET": None,
}
_SETTINGS = tuple(name for name in CONFIG_DEFAULTS if name != "GRADE_FREEZE_PIP_REQUIREMENT")

# Up to Teak (Tutor 20), Studio sends COURSE_CATALOG_INFO_CHANGED on publish only with this setting on; Ulmo
# (Tutor 21) removed the setting and always sends it.
_LAST_TUTOR_WITH_CATALOG_TOGGLE = 20

INIT_TASK = (
    "./manage.py lms migrate openedx_grade_freeze\n"
    "./manage.py lms sync_course_schedules\n"
)


def _settings_patch(names, extra=""):
    lines = [f"{name} = {{{{ {name} | grade_freeze_python }}}}" for name in names]
    return "# openedx-grade-freeze\n" + "\n".join(lines) + "\n" + extra


def _studio_extra(tutor_major):
    if tutor_major > _LAST_TUTOR_WITH_CATALOG_TOGGLE:
        return ""
    return "SEND_CATALOG_INFO_SIGNAL = True  # Studio sends course schedules on publish (up to Teak)\n"


def install(tutor_version=TUTOR_VERSION):
    """Register the plugin's config, patches and init task with Tutor's hooks (run once, when Tutor loads it)."""
    tutor_major = int(tutor_version.split(".", 1)[0])
    hooks.Filters.CONFIG_DEFAULTS.add_items(list(CONFIG_DEFAULTS.items()))
    # Config values are YAML; settings files are Python: render each value as a Python literal.
    hooks.Filters.ENV_TEMPLATE_FILTERS.add_item(("grade_freeze_python", repr))
    hooks.Filters.ENV_PATCHES.add_items([
        ("openedx-dockerfile-post-python-requirements",
         'RUN pip install "{{ GRADE_FREEZE_PIP_REQUIREMENT }}"\n'),
        ("openedx-lms-common-settings", _settings_patch(_SETTINGS)),
        ("openedx-cms-common-settings", _settings_patch(_SETTINGS, _studio_extra(tutor_major))),
    ])
    hooks.Filters.CLI_DO_INIT_TASKS.add_item(("lms", INIT_TASK))


install()
