"""
The edx-platform functions the plugin replaces are one table (``platform/write_points.py``), registered explicitly
from ``AppConfig.ready()``; the Credentials take-over is one entry of it, and nothing registers a point on import.
"""
import ast
from pathlib import Path

import pytest

from openedx_grade_freeze.credentials import upstream_sender
from openedx_grade_freeze.platform import wiring, write_points

PACKAGE = Path(__file__).resolve().parent.parent / "openedx_grade_freeze"


def _spelled(func):
    """A call's function as written: ``name`` or ``owner.name``."""
    if isinstance(func, ast.Attribute):
        return f"{getattr(func.value, 'id', '?')}.{func.attr}"
    return getattr(func, "id", "?")


def _calls(*names):
    """The package modules (relative paths) that call any of ``names`` (spelled ``name`` or ``owner.name``)."""
    found = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Call) and _spelled(node.func) in names:
                found.add(str(path.relative_to(PACKAGE)))
    return found


def test_the_host_registered_exactly_the_table_at_startup():
    registered = wiring._registry.points  # pylint: disable=protected-access
    assert list(registered) == [point.name for point in write_points.POINTS]
    sender = registered[write_points.SEND_GRADE_IF_INTERESTING]
    assert sender.module == "openedx.core.djangoapps.credentials.tasks.v1.tasks"
    assert sender.make_wrapper is upstream_sender.route_to_outbox


def test_points_are_declared_and_registered_in_one_place_only():
    assert _calls("WritePoint", "wiring.WritePoint") == {"platform/write_points.py"}
    # The table hands its points to wiring, and only AppConfig.ready() registers the table.
    assert _calls("wiring.register", "register") == {"platform/write_points.py"}
    assert _calls("write_points.register") == {"apps.py"}


def test_a_point_without_its_wrapper_is_refused():
    with pytest.raises(ValueError, match=write_points.SEND_GRADE_IF_INTERESTING):
        write_points.register({})
