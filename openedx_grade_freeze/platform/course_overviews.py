"""
Course schedules as edx-platform's ``CourseOverview`` holds them (LMS and Studio).
"""
import logging
from dataclasses import dataclass
from datetime import datetime

from openedx_grade_freeze.exceptions import PlatformReadError, PlatformUnavailableError
from openedx_grade_freeze.platform.modules import import_platform_module

log = logging.getLogger(__name__)

_MODELS = "openedx.core.djangoapps.content.course_overviews.models"


@dataclass(frozen=True)
class PlatformCourseSchedule:
    """
    A course run's schedule as edx-platform's CourseOverview holds it.
    """

    course_key: object
    start: datetime | None
    end: datetime | None
    pacing: str
    modified: datetime | None = None


def _schedule_of(overview):
    return PlatformCourseSchedule(
        course_key=overview.id,
        start=overview.start,
        end=overview.end,
        pacing="self" if getattr(overview, "self_paced", False) else "instructor",
        modified=getattr(overview, "modified", None),  # TimeStampedModel: when the LMS last rebuilt it
    )


def _load(models, course_key):
    """One overview's schedule; None for an unknown course, ``PlatformReadError`` when it cannot be loaded."""
    try:
        return _schedule_of(models.CourseOverview.get_from_id(course_key))
    except models.CourseOverview.DoesNotExist:
        return None
    except Exception as error:  # get_from_id may load the course from the content store, which can fail
        raise PlatformReadError(
            f"edx-platform could not load the CourseOverview of {course_key}: {type(error).__name__}: {error}"
        ) from error


def get_course_overview(course_key):
    """The CourseOverview schedule of one course run, or None outside the platform or for an unknown course."""
    models = import_platform_module(_MODELS)
    if models is None:
        return None
    return _load(models, course_key)


def iter_course_overviews(course_keys=None):
    """Yield ``(course_key, schedule or None, error or None)`` for the given runs (all when None); raises outside."""
    models = import_platform_module(_MODELS)
    if models is None:
        raise PlatformUnavailableError(
            "edx-platform's CourseOverview is not importable: not running in the LMS or Studio."
        )
    if course_keys is None:
        for overview in models.CourseOverview.get_all_courses():
            yield overview.id, _schedule_of(overview), None
        return
    for course_key in course_keys:
        try:
            yield course_key, _load(models, course_key), None
        except PlatformReadError as error:
            yield course_key, None, error


def iter_changed_course_overviews(since):
    """Yield the schedule of every run whose CourseOverview changed at or after ``since`` (all when None)."""
    models = import_platform_module(_MODELS)
    if models is None:
        raise PlatformUnavailableError(
            "edx-platform's CourseOverview is not importable: not running in the LMS or Studio."
        )
    # get_all_courses applies filter_ as QuerySet.filter keyword arguments (openedx-platform 22eb254b).
    overviews = models.CourseOverview.get_all_courses(filter_={"modified__gte": since}) if since is not None \
        else models.CourseOverview.get_all_courses()
    for overview in overviews:
        yield _schedule_of(overview)
