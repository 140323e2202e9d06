"""
The only module that imports edx-platform (``lms.*``, ``common.*``, ``openedx.core.*``), always lazily and guarded.

Outside the LMS and Studio every function here answers "not available" (None, empty, False) instead of failing,
so the plugin imports and its tests run without edx-platform.
"""
import importlib
import logging
from dataclasses import dataclass
from datetime import datetime

log = logging.getLogger(__name__)

_MISSING = object()
_modules = {}


def _import(path):
    """Import an edx-platform module once per process; None when it is not importable here."""
    module = _modules.get(path, _MISSING)
    if module is _MISSING:
        try:
            module = importlib.import_module(path)
        except ImportError:
            module = None
        _modules[path] = module
    return module


def forget_imports():
    """Forget which edx-platform modules were found (for tests that put stand-ins on the path)."""
    _modules.clear()


def is_platform_available():
    """True when running inside edx-platform (its CourseOverview model is importable)."""
    return _import("openedx.core.djangoapps.content.course_overviews.models") is not None


@dataclass(frozen=True)
class PlatformCourseSchedule:
    """
    A course run's schedule as edx-platform's CourseOverview holds it.
    """

    course_key: object
    start: datetime | None
    end: datetime | None
    pacing: str


def _schedule_of(overview):
    return PlatformCourseSchedule(
        course_key=overview.id,
        start=overview.start,
        end=overview.end,
        pacing="self" if getattr(overview, "self_paced", False) else "instructor",
    )


def get_course_overview(course_key):
    """The CourseOverview schedule of one course run, or None outside the platform or for an unknown course."""
    models = _import("openedx.core.djangoapps.content.course_overviews.models")
    if models is None:
        return None
    try:
        return _schedule_of(models.CourseOverview.get_from_id(course_key))
    except models.CourseOverview.DoesNotExist:
        return None


def iter_course_overviews(course_keys=None):
    """Yield the CourseOverview schedule of the given course runs (all of them when None); raises outside it."""
    models = _import("openedx.core.djangoapps.content.course_overviews.models")
    if models is None:
        from openedx_grade_freeze.exceptions import PlatformUnavailableError  # pylint: disable=import-outside-toplevel

        raise PlatformUnavailableError("edx-platform's CourseOverview is not importable: not running in the LMS or Studio.")
    if course_keys is None:
        for overview in models.CourseOverview.get_all_courses():
            yield _schedule_of(overview)
        return
    for course_key in course_keys:
        try:
            yield _schedule_of(models.CourseOverview.get_from_id(course_key))
        except models.CourseOverview.DoesNotExist:
            log.warning("No CourseOverview for %s", course_key)


def get_site_configuration_value(org, name):
    """The value ``name`` in the Site Configuration of the site that owns ``org``, or None."""
    helpers = _import("openedx.core.djangoapps.site_configuration.helpers")
    if helpers is None:
        return None
    return helpers.get_value_for_org(org, name, None)


def activate():
    """Wire the freeze into edx-platform's grade write points when running in the LMS (see issue 4)."""
    log.info("openedx-grade-freeze: edx-platform grade write points are not wired by this version.")
