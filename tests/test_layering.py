"""
The platform boundary: only ``openedx_grade_freeze.platform`` may import edx-platform, statically, by name, or name
one of its modules in a string (a dotted path handed to a loader, a patch point, a signal path).
"""
import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "openedx_grade_freeze"
PLATFORM_ROOTS = ("lms", "cms", "common", "openedx.core")


def _is_platform(module):
    return bool(module) and any(module == root or module.startswith(root + ".") for root in PLATFORM_ROOTS)


# Dotted names that start like edx-platform's modules but are not: edx-django-utils' plugin entry-point groups.
NOT_PLATFORM_MODULES = {"lms.djangoapp", "cms.djangoapp"}
_DOTTED = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)+$")


def _platform_imports(path):
    """(line, module) of every edx-platform module a file imports or names: import statements, ``import_module("…")``
    calls and any other string that is a dotted edx-platform path."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names if _is_platform(alias.name)]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and _is_platform(node.module):
            found.append((node.lineno, node.module))
        elif (
            isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) in (
                "import_module", "import_platform_module", "__import__")
            and node.args and isinstance(node.args[0], ast.Constant) and _is_platform(str(node.args[0].value))
        ):
            found.append((node.lineno, node.args[0].value))
        elif (
            isinstance(node, ast.Constant) and isinstance(node.value, str) and _DOTTED.match(node.value)
            and _is_platform(node.value) and node.value not in NOT_PLATFORM_MODULES
        ):
            found.append((node.lineno, node.value))
    return sorted(set(found))


def _modules_outside_platform():
    return sorted(p for p in PACKAGE.rglob("*.py") if "platform" not in p.relative_to(PACKAGE).parts[:1])


@pytest.mark.parametrize("path", _modules_outside_platform(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_only_the_platform_package_imports_edx_platform(path):
    assert _platform_imports(path) == []


def test_the_platform_package_does_import_edx_platform():
    """The check can fail: the platform package's own reads are found by it."""
    found = [m for p in (PACKAGE / "platform").rglob("*.py") for _, m in _platform_imports(p)]
    assert "openedx.core.djangoapps.content.course_overviews.models" in found


def test_a_dotted_platform_path_in_a_string_is_found(tmp_path):
    """The check can fail: a platform module named in a string outside the platform package is found."""
    sample = tmp_path / "sample.py"
    sample.write_text(
        'TASKS = "openedx.core.djangoapps.credentials.tasks.v1.tasks"\n'
        'GROUP = "lms.djangoapp"\n'
        'TEXT = "lms.djangoapps.grades is where grades live"\n'
    )
    assert _platform_imports(sample) == [(1, "openedx.core.djangoapps.credentials.tasks.v1.tasks")]
