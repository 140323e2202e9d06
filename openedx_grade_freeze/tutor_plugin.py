"""
The Tutor plugin (``tutor plugins enable grade-freeze``): the package in the image, its settings, its init task.

Loaded only by Tutor through the ``tutor.plugin.v1`` entry point; nothing in the LMS or Studio imports it, and Tutor
is not a requirement of the package. Of the app it imports only ``setting_definitions``, which imports nothing. See
docs/how-tos/install_in_lms_and_studio.rst and ADR 0015.
"""
from tutor import hooks
from tutor.__about__ import __version__ as TUTOR_VERSION

from openedx_grade_freeze import __version__
from openedx_grade_freeze.setting_definitions import BY_NAME, SETTINGS

# Tutor config values (``tutor config save --set NAME=value``) and their defaults: the operator's settings of
# setting_definitions, each landing in the LMS and Studio settings under its own name (the plugin's defaults apply to
# the others), and the pip requirement of the image. The Credentials client secret stays in the Tutor root's
# config.yml, never in the image.
PIP_REQUIREMENT = "GRADE_FREEZE_PIP_REQUIREMENT"
_SETTINGS = tuple(setting.name for setting in SETTINGS if setting.tutor)
CONFIG_DEFAULTS = {
    PIP_REQUIREMENT: f"openedx-grade-freeze=={__version__}",
    **{name: BY_NAME[name].default for name in _SETTINGS},
}

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
        ("openedx-dockerfile-post-python-requirements", f'RUN pip install "{{{{ {PIP_REQUIREMENT} }}}}"\n'),
        ("openedx-lms-common-settings", _settings_patch(_SETTINGS)),
        ("openedx-cms-common-settings", _settings_patch(_SETTINGS, _studio_extra(tutor_major))),
    ])
    hooks.Filters.CLI_DO_INIT_TASKS.add_item(("lms", INIT_TASK))


install()
