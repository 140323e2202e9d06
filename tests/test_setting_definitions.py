"""
Each setting is defined once (setting_definitions): its annotation (what the reference pages show), the defaults the
LMS gets, the production settings' tokens and the code that reads it all follow that one list.
"""
import ast
import types
from pathlib import Path

import pytest
from code_annotations.contrib.config import FEATURE_TOGGLE_ANNOTATIONS_CONFIG_PATH, SETTING_ANNOTATIONS_CONFIG_PATH
from code_annotations.contrib.sphinx.extensions.base import find_annotations

from openedx_grade_freeze import toggles
from openedx_grade_freeze.setting_definitions import BY_NAME, SETTINGS
from openedx_grade_freeze.settings import common, production

PACKAGE = Path(__file__).resolve().parent.parent / "openedx_grade_freeze"
# Read as code_annotations' Sphinx extensions read them for docs/references/settings.rst.
ANNOTATED_SETTINGS = find_annotations(str(PACKAGE), SETTING_ANNOTATIONS_CONFIG_PATH, ".. setting_name:")
ANNOTATED_TOGGLES = find_annotations(str(PACKAGE), FEATURE_TOGGLE_ANNOTATIONS_CONFIG_PATH, ".. toggle_name:")
# Names that look like settings but are not Django settings of the plugin.
NOT_SETTINGS = {
    "GRADE_FREEZE",  # the Site Configuration key (site_settings.SITE_CONFIGURATION_KEY)
    "GRADE_FREEZE_PIP_REQUIREMENT",  # a Tutor config value only: the package the image installs
}


def test_every_definition_is_annotated_once_and_every_annotation_is_a_definition():
    assert sorted(ANNOTATED_SETTINGS) == sorted(s.name for s in SETTINGS if not s.toggle)
    assert sorted(ANNOTATED_TOGGLES) == sorted(s.name for s in SETTINGS if s.toggle)
    annotated = {**ANNOTATED_SETTINGS, **ANNOTATED_TOGGLES}
    assert {entry["filename"] for entry in annotated.values()} == {"setting_definitions.py"}


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: s.name)
def test_the_annotated_default_is_the_default(setting):
    annotation = ANNOTATED_TOGGLES[setting.name][".. toggle_default:"] if setting.toggle else (
        ANNOTATED_SETTINGS[setting.name][".. setting_default:"])
    assert ast.literal_eval(annotation) == setting.default


def test_the_host_gets_every_default_and_the_toggles_read_theirs():
    host = types.SimpleNamespace()
    common.plugin_settings(host)
    for setting in SETTINGS:
        if setting.toggle:
            assert not hasattr(host, setting.name)  # the SettingToggle's own default applies
            assert getattr(toggles, setting.name).default == setting.default
        else:
            assert getattr(host, setting.name) == setting.default
    host.GRADE_FREEZE_CREDENTIALS_CERTIFICATE_TYPES.append("professional")
    assert BY_NAME["GRADE_FREEZE_CREDENTIALS_CERTIFICATE_TYPES"].default == ["verified"]  # a copy, not the default


def _token(setting, source):
    """A value of the setting's type that says which token it came from (``env`` or ``auth``)."""
    default = setting.default
    if isinstance(default, bool):
        return (not default) if source == "env" else default
    if isinstance(default, (int, float)):
        return 12345 if source == "env" else 54321
    if isinstance(default, tuple):
        return (1.0, 2.0) if source == "env" else (3.0, 4.0)
    if isinstance(default, list):
        return [source]
    return f"{source} {setting.name}"


def test_production_reads_every_setting_from_the_tokens():
    class Production:
        ENV_TOKENS = {setting.name: _token(setting, "env") for setting in SETTINGS}
        AUTH_TOKENS = {setting.name: _token(setting, "auth") for setting in SETTINGS}

    production.plugin_settings(Production)
    for setting in SETTINGS:
        source = "auth" if setting.auth or setting.secret else "env"
        assert getattr(Production, setting.name) == _token(setting, source), setting.name


def test_a_secret_is_never_read_from_env_tokens():
    secrets = [setting.name for setting in SETTINGS if setting.secret]
    assert secrets == ["GRADE_FREEZE_CREDENTIALS_CLIENT_SECRET"]

    class Production:
        ENV_TOKENS = dict.fromkeys(secrets, "from the non-secret YAML")
        AUTH_TOKENS = {}

    production.plugin_settings(Production)
    assert [getattr(Production, name) for name in secrets] == [None]


def _names_read_by_the_package():
    """``GRADE_FREEZE_*`` names the package's code reads (attributes and strings), outside the definitions."""
    names = {}
    for path in PACKAGE.rglob("*.py"):
        if path.name in ("setting_definitions.py", "tutor_plugin.py") or "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            value = node.attr if isinstance(node, ast.Attribute) else (
                node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None)
            if value and value.startswith("GRADE_FREEZE") and value.replace("_", "").isalnum() and value.isupper():
                names.setdefault(value, set()).add(str(path.relative_to(PACKAGE)))
    return names


def test_every_setting_the_code_reads_is_defined_and_every_definition_is_read():
    read = _names_read_by_the_package()
    assert sorted(set(read) - set(BY_NAME) - NOT_SETTINGS) == []
    assert sorted(set(BY_NAME) - set(read)) == []


def test_the_check_finds_a_setting_nobody_defined():
    """The check can fail: a module reading an undefined setting is found."""
    read = _names_read_by_the_package()
    assert "GRADE_FREEZE_FAIL_CLOSED" not in read  # replaced by GRADE_FREEZE_ON_ERROR; nothing reads it
    assert "policy.py" in read["GRADE_FREEZE_ON_ERROR"]
