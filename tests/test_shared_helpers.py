"""
Shared fixtures and helpers live in conftest.py files and helper modules: no test module imports from another.
"""
import ast
import re
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
_TEST_MODULE = re.compile(r"(^|\.)test_\w+$")


def _imports_of_test_modules(path):
    """(line, module) of every import of a ``test_*`` module, in statements and in scripts written as strings."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.ImportFrom) and node.module and _TEST_MODULE.search(node.module):
            found.append((node.lineno, node.module))
        elif isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names if _TEST_MODULE.search(alias.name)]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            found += [(node.lineno, name) for name in re.findall(r"from (tests(?:\.\w+)*\.test_\w+) import",
                                                                 node.value)]
    return found


def _python_files():
    return sorted(p for p in TESTS.rglob("*.py") if "platform_standins" not in p.parts)


@pytest.mark.parametrize("path", _python_files(), ids=lambda p: str(p.relative_to(TESTS)))
def test_nothing_imports_from_a_test_module(path):
    assert _imports_of_test_modules(path) == []


def test_the_check_finds_such_an_import(tmp_path):
    """The check can fail: an import of a test module, plain or inside a subprocess script, is found."""
    sample = tmp_path / "sample.py"
    test = "test_"  # spelled apart, so this file does not match itself
    sample.write_text(
        f"from tests.{test}credentials_forwarding import grade_event\n"
        f"import tests.integration.{test}celery_workers\n"
        f"SCRIPT = 'from tests.{test}plugin_loading import _receivers as r'\n"
        "from tests.forwarding import grade_event\n"
    )
    assert [module for _, module in _imports_of_test_modules(sample)] == [
        "tests.test_credentials_forwarding", "tests.integration.test_celery_workers", "tests.test_plugin_loading",
    ]
