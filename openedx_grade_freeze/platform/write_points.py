"""
The one table of edx-platform functions the plugin replaces in the LMS: the grade write, delete and check points the
freeze guards, and upstream's Credentials grade sender, which the Credentials integration takes over.

Each entry says where the function lives, which parameters its wrapper reads and how it is wrapped. A grade point's
guard says how it finds the course and learner and what a refused call returns: what upstream returns when it has
nothing to write (ADR 0004 has the table). A point whose behaviour belongs to a feature above this package has no
wrapper here: ``AppConfig.ready()`` supplies it to ``register``, which hands every point to ``wiring``.
"""
from dataclasses import replace

from opaque_keys.edx.keys import UsageKey

from openedx_grade_freeze.filters import ACTION_DELETE, ACTION_WRITE
from openedx_grade_freeze.platform import wiring
from openedx_grade_freeze.platform.guards import check_wrapper, guard_wrapper
from openedx_grade_freeze.platform.wiring import CLASSMETHOD, FUNCTION, METHOD, WritePoint

GRADES = "lms.djangoapps.grades"
CREDENTIALS = "openedx.core.djangoapps.credentials"
# The point the Credentials integration wraps (credentials/upstream_sender.py supplies its wrapper).
SEND_GRADE_IF_INTERESTING = "credentials.send_grade_if_interesting"


def _usage_key(value):
    return UsageKey.from_string(value) if isinstance(value, str) else value


def _read_or_none(read, does_not_exist):
    try:
        return read()
    except does_not_exist:
        return None


def _nothing(owner, arguments):  # pylint: disable=unused-argument
    return None


def _none_deleted(owner, arguments):  # pylint: disable=unused-argument
    return 0


def _no_overrides(owner, arguments):  # pylint: disable=unused-argument
    return []


def _stored_course_grade(cls, a):
    return _read_or_none(lambda: cls.read(a["user_id"], a["course_id"]), cls.DoesNotExist)


def _stored_subsection_grade(cls, a):
    return _read_or_none(lambda: cls.read_grade(a["params"]["user_id"], a["params"]["usage_key"]), cls.DoesNotExist)


def _stored_subsection_grades(cls, a):
    return list(cls.bulk_read_grades(a["user_id"], a["course_key"]))


def _stored_override(cls, a):
    grade = a["subsection_grade_model"]
    return cls.get_override(grade.user_id, _usage_key(grade.usage_key))


def _stored_course_grade_of_factory(factory, a):
    """What ``CourseGradeFactory.read`` answers without computing or persisting anything."""
    return factory.read(
        a["user"], course=a["course"], collected_block_structure=a["collected_block_structure"],
        course_structure=a["course_structure"], course_key=a["course_key"], create_if_needed=False,
    )


def _subsection_course(a):
    params = a["params"]
    return params.get("course_id") or _usage_key(params["usage_key"]).course_key, params.get("user_id")


def _grade_course(grade):
    return getattr(grade, "course_id", None) or _usage_key(grade.usage_key).course_key


def _factory_course(a):
    """The course as upstream's ``CourseData`` finds it: the key, the course, or a block structure's root."""
    course_key = a["course_key"] or getattr(a["course"], "id", None)
    for structure in (a["collected_block_structure"], a["course_structure"]):
        if course_key is None and structure is not None:
            course_key = structure.root_block_usage_key.course_key
    return course_key, getattr(a["user"], "id", None)


def guarded(locate, when_refused, action=ACTION_WRITE, kind=FUNCTION):
    """A ``make_wrapper`` for ``WritePoint``: guard the function with ``locate`` and ``when_refused``."""
    def make(func, source, signature):
        return guard_wrapper(func, source, signature, locate, when_refused, action, bound_first=kind != FUNCTION)
    return make


# Holders whose freeze check gates work that writes only through a learner's own write point: the grade
# recalculation tasks (course-wide ones iterate ``CourseGradeFactory.update`` per learner). The Gradebook, the Grades
# API v2 and the XBlock service answer people about the course as a whole, so their checks stay course-wide.
_GATES = (f"{GRADES}.tasks",)


def checked(func, source, signature):  # pylint: disable=unused-argument
    """A ``make_wrapper`` that replaces an "are grades frozen?" function (a gate in the grade tasks' module)."""
    return check_wrapper(func, source, gate=source.rpartition("@")[2] in _GATES)


# The Grades REST API v2 is in the newest upstream code only: Teak, Ulmo and Verawood have no such module
# (tests/data/platform_signatures.json), so there is nothing to guard there.
_V2_NEWER = "the Grades REST API v2 is newer than Teak, Ulmo and Verawood"

_FROZEN_CHECK_HOLDERS = (
    f"{GRADES}.tasks",
    f"{GRADES}.rest_api.v1.gradebook_views",
    f"{GRADES}.rest_api.v2.permissions",
)

POINTS = (
    # Checks: answer "frozen?"; never counted as refused updates.
    WritePoint("grade_utils.are_grades_frozen", f"{GRADES}.grade_utils", "are_grades_frozen",
               ("course_key",), checked, eager=True, holders=_FROZEN_CHECK_HOLDERS),
    WritePoint("rest_api.v2.services.grades_frozen", f"{GRADES}.rest_api.v2.services", "grades_frozen",
               ("course_key", "course_end"), checked, absent_in_releases=_V2_NEWER),
    # Writes: a refused write returns what is stored.
    WritePoint("CourseGradeFactory.update", f"{GRADES}.course_grade_factory", "CourseGradeFactory.update",
               ("user", "course", "collected_block_structure", "course_structure", "course_key"),
               guarded(_factory_course, _stored_course_grade_of_factory, kind=METHOD), kind=METHOD, eager=True),
    WritePoint("PersistentCourseGrade.update_or_create", f"{GRADES}.models", "PersistentCourseGrade.update_or_create",
               ("user_id", "course_id", "**kwargs"),
               guarded(lambda a: (a["course_id"], a["user_id"]), _stored_course_grade, kind=CLASSMETHOD),
               kind=CLASSMETHOD, eager=True),
    WritePoint("PersistentSubsectionGrade.update_or_create_grade", f"{GRADES}.models",
               "PersistentSubsectionGrade.update_or_create_grade", ("**params",),
               guarded(_subsection_course, _stored_subsection_grade, kind=CLASSMETHOD), kind=CLASSMETHOD, eager=True),
    WritePoint("PersistentSubsectionGrade.bulk_create_grades", f"{GRADES}.models",
               "PersistentSubsectionGrade.bulk_create_grades", ("grade_params_iter", "user_id", "course_key"),
               guarded(lambda a: (a["course_key"], a["user_id"]), _stored_subsection_grades, kind=CLASSMETHOD),
               kind=CLASSMETHOD, eager=True),
    # Overrides: a refused override stores nothing and signals nothing.
    WritePoint("PersistentSubsectionGradeOverride.update_or_create_override", f"{GRADES}.models",
               "PersistentSubsectionGradeOverride.update_or_create_override",
               ("requesting_user", "subsection_grade_model", "feature", "action", "**override_data"),
               guarded(lambda a: (_grade_course(a["subsection_grade_model"]), a["subsection_grade_model"].user_id),
                       _stored_override, kind=CLASSMETHOD),
               kind=CLASSMETHOD, eager=True),
    WritePoint("api.override_subsection_grade", f"{GRADES}.api", "override_subsection_grade",
               ("user_id", "course_key_or_id", "usage_key_or_id", "overrider", "earned_all", "earned_graded",
                "feature", "comment"),
               guarded(lambda a: (a["course_key_or_id"], a["user_id"]), _nothing)),
    WritePoint("rest_api.v2.services.record_subsection_grade_overrides", f"{GRADES}.rest_api.v2.services",
               "record_subsection_grade_overrides", ("requesting_user", "course", "items"),
               guarded(lambda a: (a["course"].id, None), _no_overrides), absent_in_releases=_V2_NEWER),
    # Deletions: a refused deletion deletes nothing and returns what upstream returns when there is nothing (None, 0).
    WritePoint("api.undo_override_subsection_grade", f"{GRADES}.api", "undo_override_subsection_grade",
               ("user_id", "course_key_or_id", "usage_key_or_id", "feature"),
               guarded(lambda a: (a["course_key_or_id"], a["user_id"]), _nothing, action=ACTION_DELETE)),
    WritePoint("models_api.clear_user_course_grades", f"{GRADES}.models_api", "clear_user_course_grades",
               ("user_id", "course_key"),
               guarded(lambda a: (a["course_key"], a["user_id"]), _nothing, action=ACTION_DELETE)),
    WritePoint("PersistentCourseGrade.delete_course_grade_for_learner", f"{GRADES}.models",
               "PersistentCourseGrade.delete_course_grade_for_learner", ("course_id", "user_id"),
               guarded(lambda a: (a["course_id"], a["user_id"]), _nothing, action=ACTION_DELETE, kind=CLASSMETHOD),
               kind=CLASSMETHOD, eager=True),
    WritePoint("PersistentSubsectionGrade.delete_subsection_grades_for_learner", f"{GRADES}.models",
               "PersistentSubsectionGrade.delete_subsection_grades_for_learner", ("user_id", "course_key"),
               guarded(lambda a: (a["course_key"], a["user_id"]), _none_deleted, action=ACTION_DELETE,
                       kind=CLASSMETHOD),
               kind=CLASSMETHOD, eager=True),
    # Not a grade write: upstream's Credentials sender, routed through the plugin's outbox (ADR 0005).
    WritePoint(SEND_GRADE_IF_INTERESTING, f"{CREDENTIALS}.tasks.v1.tasks", "send_grade_if_interesting",
               ("user", "course_run_key", "mode", "status", "letter_grade", "percent_grade", "grade_last_updated",
                "verbose"),
               None,  # supplied by the Credentials integration through register()
               # The COURSE_GRADE_CHANGED and COURSE_CERT_CHANGED receivers import it by name.
               holders=(f"{CREDENTIALS}.signals",),
               unwired="edx-platform's own Credentials sender keeps posting, older grades included"),
)


def register(wrappers):
    """Register every point with ``wiring``; ``wrappers`` maps the name of each point without a wrapper here to the
    ``make_wrapper`` its feature supplies. A point left without one is an error: nothing would replace it."""
    missing = [point.name for point in POINTS if point.make_wrapper is None and point.name not in wrappers]
    if missing:
        raise ValueError(f"No wrapper supplied for the patch points {', '.join(missing)}")
    for point in POINTS:
        wiring.register(replace(point, make_wrapper=wrappers[point.name]) if point.make_wrapper is None else point)
