"""
An edx-platform that runs the grade persistence filter itself (the upstream patch of
docs/how-tos/propose_the_filter_upstream.rst): the adapter leaves those points alone and the freeze still holds,
asked once.
"""
import importlib
import logging
import re
from pathlib import Path

import pytest
from opaque_keys.edx.keys import CourseKey

from openedx_grade_freeze.platform import wiring, write_points
from openedx_grade_freeze.tracking import UPDATE_BLOCKED
from tests.conftest import events_named
from tests.guarded_course import COURSE, LEARNER, freeze_now, make_course

pytestmark = pytest.mark.django_db

UPSTREAM_POINTS = ["grade_utils.are_grades_frozen", "models_api.clear_user_course_grades"]
ANNOUNCEMENT = "runs the grade persistence filter itself"
# The grade points of the table (its last entry is upstream's Credentials sender, which the filter does not concern).
GRADE_POINTS = [point.name for point in write_points.POINTS if point.name != write_points.SEND_GRADE_IF_INTERESTING]
HOW_TO = Path(__file__).resolve().parent.parent / "docs" / "how-tos" / "propose_the_filter_upstream.rst"


@pytest.fixture
def patched(platform):
    """The stand-ins carrying the upstream patch's filter call (for the two points they implement it at)."""
    platform.use_variant("filter-patch")
    yield platform
    wiring.deactivate()
    platform.use_variant("upstream")


def test_points_edx_platform_filters_itself_are_not_replaced_and_the_rest_are(patched, caplog):
    from lms.djangoapps.grades import grade_utils, models_api, tasks
    caplog.set_level(logging.INFO, logger="openedx_grade_freeze.platform.wiring")
    upstream_check = grade_utils.are_grades_frozen
    upstream_clear = models_api.clear_user_course_grades

    assert wiring.activate() is True

    status = wiring.describe()
    assert status["upstream"] == UPSTREAM_POINTS
    wired_names = {name for _module, _attribute, name in status["wired"]}
    assert not any(name.startswith(("are_grades_frozen", "grade_utils.")) for name in wired_names)
    assert not any(name.startswith(("clear_user_course_grades", "models_api.")) for name in wired_names)
    assert {"PersistentCourseGrade.update_or_create",
            "PersistentCourseGrade.delete_course_grade_for_learner"} <= wired_names
    assert "api.override_subsection_grade" in status["pending"]
    assert status["problems"] == {}  # tasks' by-name copy of are_grades_frozen is upstream's own: no drift
    assert grade_utils.are_grades_frozen is upstream_check is tasks.are_grades_frozen
    assert models_api.clear_user_course_grades is upstream_clear
    assert [r.getMessage() for r in caplog.records].count(
        "openedx-grade-freeze: edx-platform runs the grade persistence filter itself at "
        "grade_utils.are_grades_frozen, models_api.clear_user_course_grades; those functions are not replaced."
    ) == 1


def test_the_freeze_holds_through_upstreams_call_and_a_refusal_is_counted_once(patched, tracking_events):
    from lms.djangoapps.grades import grade_utils, models, models_api
    make_course(patched, ended_days_ago=1)
    wiring.activate()
    course_key = CourseKey.from_string(COURSE)
    models.PersistentCourseGrade.update_or_create(LEARNER, course_key, percent_grade=0.8, letter_grade="B",
                                                 passed=True)
    assert grade_utils.are_grades_frozen(course_key) is False

    freeze_now()
    assert models_api.clear_user_course_grades(LEARNER, course_key) is None

    assert models.PersistentCourseGrade.read(LEARNER, course_key).percent_grade == 0.8  # nothing deleted
    (blocked,) = events_named(tracking_events, UPDATE_BLOCKED)
    assert blocked["source"] == "models_api.clear_user_course_grades"
    assert blocked["blocked_count"] == 1
    assert grade_utils.are_grades_frozen(course_key) is True  # the plugin's answer, through upstream's own call


def test_without_the_patch_every_point_is_replaced(platform):
    from lms.djangoapps.grades import grade_utils
    original = grade_utils.are_grades_frozen

    wiring.activate()

    assert wiring.describe()["upstream"] == []
    assert grade_utils.are_grades_frozen.grade_freeze_original is original


def test_a_broken_sentinel_module_means_every_point_is_wired(patched, monkeypatch, caplog):
    import importlib
    real_import = importlib.import_module

    def failing_import(name, *args, **kwargs):
        if name == wiring.UPSTREAM_FILTER_MODULE:
            raise RuntimeError("settings not ready")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(importlib, "import_module", failing_import)
    wiring.activate()
    monkeypatch.undo()

    assert wiring.describe()["upstream"] == []
    assert "could not read lms.djangoapps.grades.persistence_filter" in caplog.text
    from lms.djangoapps.grades import grade_utils
    assert getattr(grade_utils.are_grades_frozen, "grade_freeze_source", None) == "grade_utils.are_grades_frozen"


def test_deactivating_forgets_what_upstream_filtered(patched):
    wiring.activate()
    wiring.deactivate()
    assert wiring.describe()["upstream"] == []


def _defined(point):
    """What the point's module or class itself holds under the point's name (not what attribute lookup finds)."""
    owner = importlib.import_module(point.module)
    *path, leaf = point.attribute.split(".")
    for part in path:
        owner = getattr(owner, part)
    return owner.__dict__[leaf] if path else getattr(owner, leaf)


@pytest.mark.parametrize("name", GRADE_POINTS)
def test_any_point_named_in_filtered_points_is_left_as_edx_platform_defined_it(patched, monkeypatch, name):
    from lms.djangoapps.grades import persistence_filter
    monkeypatch.setattr(persistence_filter, "FILTERED_POINTS", (name,))
    point = next(p for p in write_points.POINTS if p.name == name)
    upstream = _defined(point)

    assert wiring.activate() is True

    status = wiring.describe()
    wired_names = {wired.name for wired in wiring.wired_points()}
    assert status["upstream"] == [name]
    assert name not in wired_names
    assert name not in status["pending"]
    assert status["problems"] == {}
    assert _defined(point) is upstream
    assert set(GRADE_POINTS) - {name} <= wired_names | set(status["pending"])


def _how_to_patch():
    text = HOW_TO.read_text(encoding="utf-8")
    return text[text.index(".. code-block:: diff"):text.index("If PR #38862 lands first")]


def test_the_upstream_patch_in_the_how_to_filters_exactly_the_plugins_grade_points():
    patch = _how_to_patch()
    listed = patch[patch.index("+FILTERED_POINTS = ("):]
    listed = re.findall(r'^\s*\+\s+"([^"]+)",$', listed[:listed.index("+)")], re.MULTILINE)
    # Every call passes its point's name as ``source``, inline or through a ``source`` variable.
    sources = re.findall(r'^\s*\+.*(?:grade_persistence_refused\(.*?|source = )"([^"]+)"', patch, re.MULTILINE)

    assert listed == GRADE_POINTS
    assert sorted(sources) == sorted(GRADE_POINTS)
