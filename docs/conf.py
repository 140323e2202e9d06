"""
Sphinx configuration for the openedx-grade-freeze documentation.

Build with ``make docs`` (or ``sphinx-build -W -b html docs docs/_build/html``). Nothing here imports Django or the
package, and no extension needs the network.
"""
import os
import re
from datetime import date

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)


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

extensions = []
templates_path = []
source_suffix = {".rst": "restructuredtext"}
root_doc = "index"
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]
language = "en"
pygments_style = "sphinx"

html_theme = "alabaster"
html_static_path = []
html_title = f"{project} {release}"
