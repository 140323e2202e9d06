"""
Package metadata for openedx-grade-freeze.
"""
import os
import re

from setuptools import find_packages, setup

HERE = os.path.dirname(os.path.abspath(__file__))


def get_version(*file_paths):
    """Read ``__version__`` from the given file without importing the package."""
    with open(os.path.join(HERE, *file_paths), encoding="utf-8") as version_file:
        match = re.search(r"^__version__ = ['\"]([^'\"]*)['\"]", version_file.read(), re.M)
    if not match:
        raise RuntimeError("Unable to find version string.")
    return match.group(1)


def load_requirements(*requirements_paths):
    """Return the requirement names (no pins, no -c/-r lines) listed in the given .in files."""
    requirements = set()
    for path in requirements_paths:
        with open(os.path.join(HERE, path), encoding="utf-8") as reqs:
            for line in reqs:
                line = line.split("#", 1)[0].strip()
                if line and not line.startswith(("-c", "-r")):
                    requirements.add(line)
    return sorted(requirements)


with open(os.path.join(HERE, "README.rst"), encoding="utf-8") as readme:
    README = readme.read()
with open(os.path.join(HERE, "CHANGELOG.rst"), encoding="utf-8") as changelog:
    CHANGELOG = changelog.read()

setup(
    name="openedx-grade-freeze",
    version=get_version("openedx_grade_freeze", "__init__.py"),
    description="Freeze final grades after a course ends, record end-date changes, and forward grades to Credentials.",
    long_description=README + "\n\n" + CHANGELOG,
    long_description_content_type="text/x-rst",
    author="Open edX community",
    url="https://github.com/openedx/openedx-grade-freeze",
    packages=find_packages(include=["openedx_grade_freeze", "openedx_grade_freeze.*"]),
    # The templates are data of the top package, not packages of their own (MANIFEST.in puts them in the sdist).
    package_data={"openedx_grade_freeze": ["templates/*/*.html"]},
    include_package_data=False,
    install_requires=load_requirements("requirements/base.in"),
    python_requires=">=3.11",
    license="AGPL-3.0-only",
    zip_safe=False,
    keywords="Python edx openedx grades plugin",
    classifiers=[
        "Development Status :: 3 - Alpha",
        "Framework :: Django",
        "Framework :: Django :: 4.2",
        "Framework :: Django :: 5.2",
        "Intended Audience :: Developers",
        "Natural Language :: English",
        "Programming Language :: Python :: 3",
        "Programming Language :: Python :: 3.11",
        "Programming Language :: Python :: 3.12",
    ],
    entry_points={
        "lms.djangoapp": ["openedx_grade_freeze = openedx_grade_freeze.apps:GradeFreezeConfig"],
        "cms.djangoapp": ["openedx_grade_freeze = openedx_grade_freeze.apps:GradeFreezeConfig"],
        # Loaded only by Tutor (`tutor plugins enable grade-freeze`); Tutor is not a requirement of this package.
        "tutor.plugin.v1": ["grade-freeze = openedx_grade_freeze.tutor_plugin"],
    },
)
