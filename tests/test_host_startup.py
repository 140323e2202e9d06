"""
Starting the host project as the LMS or as Studio, with the edx-platform stand-ins importable, as an operator would.
"""
import os
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STANDINS = os.path.join(REPO, "tests", "platform_standins")


def start_host(project):
    """Run ``manage.py check`` in a fresh process and return what it logged."""
    env = dict(os.environ, GRADE_FREEZE_HOST_PROJECT=project, PYTHONPATH=os.pathsep.join([REPO, STANDINS]))
    result = subprocess.run(
        [sys.executable, os.path.join(REPO, "tests", "host", "manage.py"), "check"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120, check=True,
    )
    return result.stderr


@pytest.mark.parametrize("point", [
    "lms.djangoapps.grades.grade_utils.are_grades_frozen",
    "lms.djangoapps.grades.models.PersistentCourseGrade.update_or_create",
    "lms.djangoapps.grades.models.PersistentSubsectionGrade.update_or_create_grade",
    "lms.djangoapps.grades.models.PersistentSubsectionGrade.bulk_create_grades",
])
def test_lms_startup_logs_the_write_points_it_wired(point, lms_startup_log):
    (line,) = [line for line in lms_startup_log.splitlines() if "wired the grade freeze into edx-platform" in line]
    assert point in line
    assert "ERROR" not in lms_startup_log


@pytest.fixture(scope="module")
def lms_startup_log():
    return start_host("lms.djangoapp")


def test_studio_startup_wires_nothing_and_says_why():
    log = start_host("cms.djangoapp")
    assert "not wired: this is Studio" in log
    assert "wired the grade freeze into" not in log
