"""
The Tutor plugin, rendered by real Tutor releases from PyPI into a temporary Tutor root.

Each Tutor release gets its own virtualenv under var/ (built on the first run, reused afterwards), with this
checkout installed into it without dependencies: Tutor loads the plugin through its ``tutor.plugin.v1`` entry point.
"""
import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from openedx_grade_freeze.setting_definitions import BY_NAME, SETTINGS

pytestmark = pytest.mark.tutor

CHECKOUT = Path(__file__).resolve().parent.parent
VENVS = CHECKOUT / "var" / "tutor"
# Tutor 20 runs Teak (which still has Studio's SEND_CATALOG_INFO_SIGNAL), Tutor 21 runs Ulmo (which dropped it).
TUTOR_RELEASES = {"teak": "20.0.5", "ulmo": "21.0.9"}

INIT_TASKS_SCRIPT = """
import json, sys
from tutor import config, env, hooks
hooks.Actions.CORE_READY.do()
hooks.Actions.PROJECT_ROOT_READY.do(sys.argv[1])
loaded = config.load(sys.argv[1])
print(json.dumps([[service, env.render_str(loaded, task)] for service, task in
                  hooks.Filters.CLI_DO_INIT_TASKS.iterate()]))
"""


def _run(args, **kwargs):
    result = subprocess.run(args, capture_output=True, text=True, timeout=600, check=False, **kwargs)
    assert result.returncode == 0, f"{args} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def _tutor_venv(version):
    """A virtualenv with Tutor ``version`` and this checkout (editable, no dependencies), built once."""
    venv = VENVS / version
    stamp = venv / ".grade-freeze-stamp"
    wanted = hashlib.sha256((CHECKOUT / "setup.py").read_bytes()).hexdigest()
    if not (stamp.exists() and stamp.read_text() == wanted):
        _run([sys.executable, "-m", "venv", "--clear", str(venv)])
        _run([str(venv / "bin" / "pip"), "install", "-q", f"tutor=={version}"])
        _run([str(venv / "bin" / "pip"), "install", "-q", "--no-deps", "-e", str(CHECKOUT)])
        stamp.write_text(wanted)
    return venv


@pytest.fixture(scope="module", params=sorted(TUTOR_RELEASES.items()), ids=lambda item: item[0])
def tutor_root(request, tmp_path_factory):
    """A Tutor root with the plugin enabled and two of its values set, rendered by one Tutor release."""
    release, version = request.param
    venv = _tutor_venv(version)
    root = tmp_path_factory.mktemp(f"tutor-{release}")
    environ = {**os.environ, "TUTOR_ROOT": str(root), "TUTOR_PLUGINS_ROOT": str(root / "plugins")}
    tutor = str(venv / "bin" / "tutor")
    _run([tutor, "config", "save", "--set", "GRADE_FREEZE_OFFSET_DAYS=45",
          "--set", "GRADE_FREEZE_CREDENTIALS_URL=http://credentials:8150"], env=environ)
    _run([tutor, "plugins", "enable", "grade-freeze"], env=environ)
    init_tasks = json.loads(_run([str(venv / "bin" / "python"), "-c", INIT_TASKS_SCRIPT, str(root)], env=environ))
    return {"release": release, "root": root, "init_tasks": init_tasks, "tutor": tutor, "env": environ}


def _settings(root, service):
    """The plugin's block in the rendered production settings, run as Python: name -> value."""
    text = (root / "env" / "apps" / "openedx" / "settings" / service / "production.py").read_text()
    compile(text, f"{service}/production.py", "exec")
    match = re.search(r"# openedx-grade-freeze\n(.*?)\n\n", text, re.S)
    assert match, f"no openedx-grade-freeze block in {service}/production.py"
    values = {}
    exec(match.group(1), {}, values)  # pylint: disable=exec-used
    return values


@pytest.mark.parametrize("service", ["lms", "cms"])
def test_settings_carry_the_tutor_values_and_defaults(tutor_root, service):
    values = _settings(tutor_root["root"], service)

    assert values["GRADE_FREEZE_OFFSET_DAYS"] == 45
    assert values["GRADE_FREEZE_CREDENTIALS_URL"] == "http://credentials:8150"
    assert values["GRADE_FREEZE_ENABLED"] is True
    assert values["GRADE_FREEZE_ON_ERROR"] == "platform-rule"
    assert values["GRADE_FREEZE_CREDENTIALS_ENABLED"] is False
    assert values["GRADE_FREEZE_CREDENTIALS_CLIENT_SECRET"] is None


@pytest.mark.parametrize("service", ["lms", "cms"])
def test_every_setting_written_is_one_the_plugin_defines_and_reads(tutor_root, service):
    written = set(_settings(tutor_root["root"], service)) - {"SEND_CATALOG_INFO_SIGNAL"}

    assert written == {setting.name for setting in SETTINGS if setting.tutor}
    assert "GRADE_FREEZE_FAIL_CLOSED" not in written  # replaced by GRADE_FREEZE_ON_ERROR, read by nothing
    # The plugin reads each of them (tests/test_setting_definitions.py checks every definition is read).
    assert written <= set(BY_NAME)


def test_studio_sends_course_schedules_where_the_release_has_the_toggle(tutor_root):
    studio = _settings(tutor_root["root"], "cms")
    lms = _settings(tutor_root["root"], "lms")

    if tutor_root["release"] == "teak":
        assert studio["SEND_CATALOG_INFO_SIGNAL"] is True
    else:
        assert "SEND_CATALOG_INFO_SIGNAL" not in studio
    assert "SEND_CATALOG_INFO_SIGNAL" not in lms


def test_the_image_installs_the_package(tutor_root):
    dockerfile = (tutor_root["root"] / "env" / "build" / "openedx" / "Dockerfile").read_text()

    assert 'RUN pip install "openedx-grade-freeze==' in dockerfile


def test_init_task_migrates_and_syncs_schedules_in_the_lms(tutor_root):
    ours = [task for service, task in tutor_root["init_tasks"] if "openedx_grade_freeze" in task]

    assert ours == ["./manage.py lms migrate openedx_grade_freeze\n./manage.py lms sync_course_schedules"]
    assert ["lms", ours[0]] in tutor_root["init_tasks"]


def test_disabling_the_plugin_removes_its_settings(tutor_root):
    _run([tutor_root["tutor"], "plugins", "disable", "grade-freeze"], env=tutor_root["env"])
    try:
        text = (tutor_root["root"] / "env" / "apps" / "openedx" / "settings" / "lms" / "production.py").read_text()
        assert "GRADE_FREEZE_" not in text
    finally:
        _run([tutor_root["tutor"], "plugins", "enable", "grade-freeze"], env=tutor_root["env"])
