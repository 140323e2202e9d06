"""
Sphinx configuration for the openedx-grade-freeze documentation.

Build with ``make docs`` (or ``sphinx-build -W -b html docs docs/_build/html``). Nothing here imports Django or the
package, and no extension needs the network: the settings and toggles pages are generated from the annotations in
``openedx_grade_freeze/setting_definitions.py`` by code-annotations' Sphinx extensions, which read the source.
"""
import os
import re
import sys
from datetime import date

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(HERE, "_ext"))


def _read_version():
    """``__version__`` from openedx_grade_freeze/__init__.py, read as text so the package is never imported."""
    with open(os.path.join(REPO, "openedx_grade_freeze", "__init__.py"), encoding="utf-8") as init:
        match = re.search(r"^__version__ = ['\"]([^'\"]*)['\"]", init.read(), re.M)
    if not match:
        raise RuntimeError("No __version__ in openedx_grade_freeze/__init__.py")
    return match.group(1)


project = "openedx-grade-freeze"
author = "Open edX community"
copyright = f"{date.today().year}, Axim Collaborative, Inc. and contributors"  # pylint: disable=redefined-builtin
release = _read_version()
version = release

extensions = [
    "code_annotations.contrib.sphinx.extensions.featuretoggles",
    "code_annotations.contrib.sphinx.extensions.settings",
    "tutor_settings",
]
REPO_URL = "https://github.com/openedx/openedx-grade-freeze"
# Annotated settings and toggles: docs/references/settings.rst and toggles.rst.
settings_source_path = REPO
settings_repo_url = REPO_URL
settings_repo_version = "main"
featuretoggles_source_path = os.path.join(REPO, "openedx_grade_freeze")
featuretoggles_repo_url = REPO_URL
featuretoggles_repo_version = "main/openedx_grade_freeze"
# The Tutor config values (docs/_ext/tutor_settings.py).
tutor_settings_definitions = os.path.join(REPO, "openedx_grade_freeze", "setting_definitions.py")
templates_path = []
source_suffix = {".rst": "restructuredtext"}
root_doc = "index"
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]
language = "en"
pygments_style = "sphinx"

html_theme = "alabaster"
html_static_path = []
html_title = f"{project} {release}"
