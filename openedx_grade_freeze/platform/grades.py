"""
Learners' stored course grades in edx-platform's LMS (``PersistentCourseGrade``), read-only.
"""
import inspect
import logging
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model

from openedx_grade_freeze.exceptions import PlatformUnavailableError
from openedx_grade_freeze.keys import to_course_key
from openedx_grade_freeze.platform.modules import import_platform_module

log = logging.getLogger(__name__)

_GRADES = "lms.djangoapps.grades"


@dataclass(frozen=True)
class PlatformCourseGrade:
    """
    A learner's course grade as edx-platform's ``PersistentCourseGrade`` stores it.
    """

    percent_grade: float
    letter_grade: str
    passed_timestamp: datetime | None
    modified: datetime | None
    user_id: int | None = None
    course_key: object = None

    @property
    def passed(self):
        return self.passed_timestamp is not None


def _stored_course_grade(user_id, course_key):
    models = import_platform_module(f"{_GRADES}.models")
    if models is None:
        return None
    try:
        return models.PersistentCourseGrade.read(user_id, to_course_key(course_key))
    except models.PersistentCourseGrade.DoesNotExist:
        return None


def _platform_course_grade(grade):
    return PlatformCourseGrade(
        percent_grade=grade.percent_grade,
        letter_grade=grade.letter_grade or "",
        passed_timestamp=grade.passed_timestamp,
        modified=grade.modified,
        user_id=grade.user_id,
        course_key=to_course_key(str(grade.course_id)),
    )


def get_persisted_course_grade(user_id, course_key):
    """The learner's stored course grade as a ``PlatformCourseGrade``, or None (none stored, or not in the LMS)."""
    grade = _stored_course_grade(user_id, course_key)
    return None if grade is None else _platform_course_grade(grade)


def iter_persisted_course_grades(course_key, user_ids=None, start=None, end=None):
    """Yield a run's stored course grades as ``PlatformCourseGrade``, oldest ``modified`` first; raises outside the LMS.

    Only those of ``user_ids`` when given, and modified in [``start``, ``end``). Read with upstream's
    ``get_recently_modified_grades``, as ``notify_credentials`` does (its end is inclusive, so ``end`` is dropped).
    """
    grades_api = import_platform_module(f"{_GRADES}.api")
    if grades_api is None:
        raise PlatformUnavailableError("edx-platform's grades API is not importable: not running in the LMS.")
    users = None
    if user_ids:
        users = list(get_user_model().objects.filter(pk__in=user_ids))
        if not users:  # upstream reads no users as "everyone"
            return
    for grade in _recently_modified_grades(grades_api.get_recently_modified_grades, course_key, start, end, users):
        if end is not None and grade.modified is not None and grade.modified >= end:
            continue
        yield _platform_course_grade(grade)


def _learner_filter(func):
    """How ``get_recently_modified_grades`` takes learners in this release: ``"users"``, ``"user"`` or None.

    Copies of edx-platform differ: ``(course_keys, start_date, end_date)``, then ``user=None`` (one learner) or
    ``users=None`` (a list) added (tests/data/platform_signatures.json).
    """
    try:
        parameters = inspect.signature(func).parameters
    except (TypeError, ValueError):
        return None
    for name in ("users", "user"):
        if name in parameters:
            return name
    return None


def _recently_modified_grades(func, course_key, start, end, users):
    """Upstream's grades of one run modified in [start, end], of ``users`` (all when None), oldest first."""
    if users is None:
        return func([course_key], start, end)
    learner_filter = _learner_filter(func)
    if learner_filter == "users":
        return func([course_key], start, end, users=users)
    if learner_filter == "user":
        grades = [grade for user in users for grade in func([course_key], start, end, user=user)]
        return sorted(grades, key=lambda grade: (grade.modified is None, grade.modified))
    log.info("edx-platform's get_recently_modified_grades takes no learners here; reading the run's grades and "
             "keeping those of %s learners.", len(users))
    wanted = {user.id for user in users}
    return (grade for grade in func([course_key], start, end) if grade.user_id in wanted)


def _grades_models():
    models = import_platform_module(f"{_GRADES}.models")
    if models is None:
        raise PlatformUnavailableError("edx-platform's grades models are not importable: not running in the LMS.")
    return models


_BULK_FIELDS = ("user_id", "percent_grade", "letter_grade", "passed_timestamp", "modified")


def read_course_grades_in_range(course_key, first_user_id, last_user_id):
    """The course's stored grades of users ``first_user_id`` to ``last_user_id`` (inclusive), one query.

    Upstream's ``(course_id, user_id)`` unique index serves the range; raises outside the LMS.
    """
    course_key = to_course_key(course_key)
    rows = (
        _grades_models().PersistentCourseGrade.objects
        .filter(course_id=course_key, user_id__gte=first_user_id, user_id__lte=last_user_id)
        .values_list(*_BULK_FIELDS)
    )
    return [
        PlatformCourseGrade(
            percent_grade=percent, letter_grade=letter or "", passed_timestamp=passed, modified=modified,
            user_id=user_id, course_key=course_key,
        )
        for user_id, percent, letter, passed, modified in rows
    ]


def graded_user_ids_after(course_key, after_user_id, limit):
    """Up to ``limit`` ids of users with a stored grade in the course, above ``after_user_id``, ascending."""
    return list(
        _grades_models().PersistentCourseGrade.objects
        .filter(course_id=to_course_key(course_key), user_id__gt=after_user_id)
        .order_by("user_id").values_list("user_id", flat=True)[:limit]
    )


def request_course_regrade(course_key):
    """Queue edx-platform's ``compute_all_grades_for_course`` for the course; raises outside the LMS.

    Upstream's task refuses (logs and returns) while its own ``are_grades_frozen`` says the course is frozen.
    """
    tasks = import_platform_module(f"{_GRADES}.tasks")
    if tasks is None:
        raise PlatformUnavailableError("edx-platform's grades tasks are not importable: not running in the LMS.")
    tasks.compute_all_grades_for_course.apply_async(kwargs={"course_key": str(to_course_key(course_key))})
