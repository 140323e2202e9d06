"""
What a site gets from the package: its migrations and templates are there and work, wherever it is installed from.

``make test-wheel`` runs this module (with the plugin-loading and instructor dashboard tests) against the built
wheel installed into a clean virtualenv, from a copy of the tests without the checkout's package beside them; in
the ordinary suite it checks the editable install the same way.
"""
from importlib.metadata import version
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.template import loader

import openedx_grade_freeze

PACKAGE_DIR = Path(openedx_grade_freeze.__file__).resolve().parent
APP = "openedx_grade_freeze"
TEMPLATES = sorted(
    path.relative_to(PACKAGE_DIR / "templates").as_posix() for path in (PACKAGE_DIR / "templates").rglob("*.html")
)


def test_the_distribution_and_the_package_share_one_version_number():
    assert version("openedx-grade-freeze") == openedx_grade_freeze.__version__


def test_the_package_carries_its_templates_and_migrations():
    assert {"openedx_grade_freeze/course_status.html", "instructor_dashboard/grade_freeze.html"} <= set(TEMPLATES)
    assert (PACKAGE_DIR / "migrations" / "0001_initial.py").is_file()


@pytest.mark.parametrize("name", TEMPLATES)
def test_every_template_is_found_in_the_package_and_compiles(name):
    template = loader.get_template(name)
    assert Path(template.origin.name).resolve() == PACKAGE_DIR / "templates" / name


@pytest.mark.django_db(transaction=True)
def test_the_migrations_undo_and_apply_again_and_no_model_change_lacks_one():
    graph = MigrationLoader(connection).graph
    leaves = graph.leaf_nodes(APP)
    assert leaves and all(graph.nodes[leaf].__module__.startswith(f"{APP}.migrations.") for leaf in leaves)
    call_command("migrate", APP, "zero", verbosity=0)
    assert "openedx_grade_freeze_courseschedule" not in connection.introspection.table_names()
    call_command("migrate", APP, verbosity=0)
    assert "openedx_grade_freeze_courseschedule" in connection.introspection.table_names()
    call_command("makemigrations", APP, "--check", "--dry-run", verbosity=0)  # SystemExit(1) when one is missing
