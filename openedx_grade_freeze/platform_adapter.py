"""
The only module that imports edx-platform (``lms.*``, ``common.*``, ``openedx.core.*``), always lazily and guarded.

Outside the LMS and Studio every function here answers "not available" (None, empty, False) instead of failing,
so the plugin imports and its tests run without edx-platform. In the LMS, ``activate()`` routes edx-platform's
grade freeze checks and grade writes through the ``GradePersistenceRequested`` filter, and edx-platform's own
Credentials grade sends through the plugin's outbox (see ADR 0004 and ADR 0005).
"""
import functools
import importlib
import importlib.abc
import importlib.util
import inspect
import logging
import sys
import threading
import types
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from edx_django_utils.monitoring import set_custom_attribute

from openedx_grade_freeze.filters import GradePersistenceRequested

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

        raise PlatformUnavailableError(
            "edx-platform's CourseOverview is not importable: not running in the LMS or Studio."
        )
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


# ---------------------------------------------------------------------------------------------------------------
# Wiring the freeze into edx-platform's grade write points (LMS only).
# ---------------------------------------------------------------------------------------------------------------

DRIFT_ATTRIBUTE = "grade_freeze.platform_drift"
# Modules whose later import is watched, so their by-name copies of a wired function get the wrapper too.
_WATCHED_PREFIXES = ("lms.", "openedx.", "common.", "cms.")


class GradeOverrideRefused(GradePersistenceRequested.PreventGradePersistence):
    """
    A subsection grade override was refused because the course's grades are frozen (it would never apply).
    """


@dataclass(frozen=True)
class WritePoint:
    """
    One edx-platform function the adapter replaces: where it lives and the parameters it must have.
    """

    name: str
    module: str
    attribute: str
    parameters: tuple
    make_wrapper: object = field(repr=False, compare=False)
    eager: bool = False
    # What happens while the point is not wired (said in the drift report).
    unwired: str = "grades can change there after the freeze"

    @property
    def is_method(self):
        return "." in self.attribute


@dataclass(frozen=True)
class WiredPoint:
    """
    A function replaced in one module: a write point, or a module's by-name copy of one.
    """

    name: str
    module: str
    attribute: str
    source: str


def service_variant():
    """``"lms"``, ``"cms"`` or None: from ``ROOT_URLCONF`` as edx-platform sets it, else its ``SERVICE_VARIANT``."""
    root_urlconf = getattr(settings, "ROOT_URLCONF", None)
    if root_urlconf in ("lms.urls", "cms.urls"):
        return root_urlconf.split(".", 1)[0]
    variant = getattr(settings, "SERVICE_VARIANT", None)
    return variant if variant in ("lms", "cms") else None


def _veto(course_key, user_id, source):
    """The filter's veto of a grade write, or None when the write may go ahead."""
    try:
        GradePersistenceRequested.run_filter(course_key, user_id=user_id, source=source)
    except GradePersistenceRequested.PreventGradePersistence as veto:
        return veto
    return None


def _allowed_write(course_key, user_id, source):
    """True unless the filter vetoes; a broken filter lets the write through (logged), as the veto step does."""
    try:
        veto = _veto(course_key, user_id, source)
    except Exception:  # pylint: disable=broad-except
        log.exception("Grade freeze check failed at %s for course=%s; the write goes ahead.", source, course_key)
        return True
    if veto is not None:
        log.debug("Grade write refused at %s for course=%s user=%s: %s", source, course_key, user_id, veto)
    return veto is None


def _mark(wrapper, original, source):
    wrapper.grade_freeze_source = source
    wrapper.grade_freeze_original = original
    return wrapper


def _check_wrapper(original, source):
    """Replace an upstream "are grades frozen?" function with the plugin's filter."""
    @functools.wraps(original)
    def frozen_check(course_key, *args, **kwargs):
        try:
            return _veto(course_key, None, source) is not None
        except Exception:  # pylint: disable=broad-except
            log.exception(
                "Grade freeze check failed at %s for course=%s; using edx-platform's rule.", source, course_key
            )
            return original(course_key, *args, **kwargs)
    return _mark(frozen_check, original, source)


def _bound_arguments(signature, args, kwargs):
    bound = signature.bind(*args, **kwargs)
    bound.apply_defaults()
    return bound.arguments


def _persist_wrapper(func, source, signature, locate, stored):
    """Guard a persistence classmethod: for a frozen course return what is stored instead of writing."""
    @functools.wraps(func)
    def guarded(cls, *args, **kwargs):
        try:
            arguments = _bound_arguments(signature, args, kwargs)
            course_key, user_id = locate(arguments)
        except Exception:  # pylint: disable=broad-except
            log.exception("Could not read the course of a grade write at %s; the write goes ahead.", source)
            return func(cls, *args, **kwargs)
        if _allowed_write(course_key, user_id, source):
            return func(cls, *args, **kwargs)
        try:
            return stored(cls, arguments)
        except Exception:  # pylint: disable=broad-except
            log.exception("Could not read the stored grade at %s for course=%s user=%s.", source, course_key, user_id)
            return None
    return _mark(guarded, func, source)


def _refusing_wrapper(func, source, signature, locate, is_method=False):
    """Guard an override writer: for a frozen course raise ``GradeOverrideRefused`` instead of storing."""
    def refuse_if_frozen(args, kwargs):
        try:
            course_key, user_id = locate(_bound_arguments(signature, args, kwargs))
            veto = _veto(course_key, user_id, source)
        except Exception:  # pylint: disable=broad-except
            log.exception("Grade freeze check failed at %s; the override goes ahead.", source)
            return
        if veto is not None:
            raise GradeOverrideRefused(
                f"Subsection grade override refused: {veto.message} An override stored now would never apply.",
                course_key=getattr(veto, "course_key", course_key),
                freeze_date=getattr(veto, "freeze_date", None),
            )

    if is_method:
        @functools.wraps(func)
        def guarded_method(cls, *args, **kwargs):
            refuse_if_frozen(args, kwargs)
            return func(cls, *args, **kwargs)
        return _mark(guarded_method, func, source)

    @functools.wraps(func)
    def guarded(*args, **kwargs):
        refuse_if_frozen(args, kwargs)
        return func(*args, **kwargs)
    return _mark(guarded, func, source)


def _upstream_sender_wrapper(func, source, signature):
    """Hand upstream's Credentials grade send to the plugin's outbox when the plugin forwards the org's grades."""
    @functools.wraps(func)
    def routed(*args, **kwargs):
        try:
            arguments = _bound_arguments(signature, args, kwargs)
            taken = _hand_grade_send_to_outbox(arguments, source)
        except Exception:  # pylint: disable=broad-except
            log.exception("Could not hand edx-platform's grade send at %s to the plugin's outbox; edx-platform "
                          "sends it.", source)
            taken = False
        return None if taken else func(*args, **kwargs)
    return _mark(routed, func, source)


def _hand_grade_send_to_outbox(arguments, source):
    """True when the plugin's outbox took the send over (upstream's function returns None either way)."""
    from openedx_grade_freeze.credentials import upstream_sender  # pylint: disable=import-outside-toplevel

    return upstream_sender.take_over_grade_send(
        arguments["user"].id, arguments["course_run_key"], mode=arguments["mode"], status=arguments["status"],
        source=source,
    )


def _usage_key(value):
    from opaque_keys.edx.keys import UsageKey  # pylint: disable=import-outside-toplevel

    return UsageKey.from_string(value) if isinstance(value, str) else value


def _read_or_none(read, does_not_exist):
    try:
        return read()
    except does_not_exist:
        return None


# For each guarded function: where its arguments name the course and learner, and what a refused write returns.
_LOCATE_AND_STORED = {
    "course": (
        lambda a: (a["course_id"], a["user_id"]),
        lambda cls, a: _read_or_none(lambda: cls.read(a["user_id"], a["course_id"]), cls.DoesNotExist),
    ),
    "subsection": (
        lambda a: (a["params"].get("course_id") or _usage_key(a["params"]["usage_key"]).course_key,
                   a["params"].get("user_id")),
        lambda cls, a: _read_or_none(
            lambda: cls.read_grade(a["params"]["user_id"], a["params"]["usage_key"]), cls.DoesNotExist
        ),
    ),
    "bulk": (
        lambda a: (a["course_key"], a["user_id"]),
        lambda cls, a: list(cls.bulk_read_grades(a["user_id"], a["course_key"])),
    ),
}


def _grade_course(grade):
    return getattr(grade, "course_id", None) or _usage_key(grade.usage_key).course_key


def _method_wrapper(kind):
    def make(func, source, signature):
        if kind == "override":
            return _refusing_wrapper(
                func, source, signature,
                lambda a: (_grade_course(a["subsection_grade_model"]), a["subsection_grade_model"].user_id),
                is_method=True,
            )
        locate, stored = _LOCATE_AND_STORED[kind]
        return _persist_wrapper(func, source, signature, locate, stored)
    return make


def _function_wrapper(kind):
    def make(func, source, signature):
        if kind == "check":
            return _check_wrapper(func, source)
        if kind == "api_override":
            return _refusing_wrapper(func, source, signature, lambda a: (a["course_key_or_id"], a["user_id"]))
        if kind == "upstream_sender":
            return _upstream_sender_wrapper(func, source, signature)
        return _refusing_wrapper(func, source, signature, lambda a: (a["course"].id, None))  # v2 overrides
    return make


_GRADES = "lms.djangoapps.grades"
_CREDENTIALS = "openedx.core.djangoapps.credentials"
_UPSTREAM_SENDER_UNWIRED = "edx-platform's own Credentials sender keeps posting, older grades included"
WRITE_POINTS = (
    WritePoint("grade_utils.are_grades_frozen", f"{_GRADES}.grade_utils", "are_grades_frozen",
               ("course_key",), _function_wrapper("check"), eager=True),
    WritePoint("rest_api.v2.services.grades_frozen", f"{_GRADES}.rest_api.v2.services", "grades_frozen",
               ("course_key", "course_end"), _function_wrapper("check")),
    WritePoint("PersistentCourseGrade.update_or_create", f"{_GRADES}.models", "PersistentCourseGrade.update_or_create",
               ("user_id", "course_id", "kwargs"), _method_wrapper("course"), eager=True),
    WritePoint("PersistentSubsectionGrade.update_or_create_grade", f"{_GRADES}.models",
               "PersistentSubsectionGrade.update_or_create_grade", ("params",), _method_wrapper("subsection"),
               eager=True),
    WritePoint("PersistentSubsectionGrade.bulk_create_grades", f"{_GRADES}.models",
               "PersistentSubsectionGrade.bulk_create_grades", ("grade_params_iter", "user_id", "course_key"),
               _method_wrapper("bulk"), eager=True),
    WritePoint("PersistentSubsectionGradeOverride.update_or_create_override", f"{_GRADES}.models",
               "PersistentSubsectionGradeOverride.update_or_create_override",
               ("requesting_user", "subsection_grade_model", "feature", "action", "override_data"),
               _method_wrapper("override"), eager=True),
    WritePoint("api.override_subsection_grade", f"{_GRADES}.api", "override_subsection_grade",
               ("user_id", "course_key_or_id", "usage_key_or_id", "overrider", "earned_all", "earned_graded",
                "feature", "comment"), _function_wrapper("api_override")),
    WritePoint("rest_api.v2.services.record_subsection_grade_overrides", f"{_GRADES}.rest_api.v2.services",
               "record_subsection_grade_overrides", ("requesting_user", "course", "items"),
               _function_wrapper("v2_override")),
    # Not a grade write: upstream's Credentials sender, routed through the plugin's outbox (ADR 0005).
    WritePoint("credentials.send_grade_if_interesting", f"{_CREDENTIALS}.tasks.v1.tasks", "send_grade_if_interesting",
               ("user", "course_run_key", "mode", "status", "letter_grade", "percent_grade", "grade_last_updated",
                "verbose"), _function_wrapper("upstream_sender"), unwired=_UPSTREAM_SENDER_UNWIRED),
)
# Modules where upstream imports a wired function by name: each copy must be replaced too.
BY_NAME_HOLDERS = {
    f"{_GRADES}.tasks": "are_grades_frozen",
    f"{_GRADES}.rest_api.v1.gradebook_views": "are_grades_frozen",
    f"{_GRADES}.rest_api.v2.permissions": "are_grades_frozen",
    # The COURSE_GRADE_CHANGED and COURSE_CERT_CHANGED receivers.
    f"{_CREDENTIALS}.signals": "send_grade_if_interesting",
}


class _Registry:
    """What the adapter changed, so it can be described and undone."""

    def __init__(self):
        self.lock = threading.RLock()
        self.reset()

    def reset(self):
        self.active = False
        self.reason = "not activated"
        self.wired = {}        # (module, attribute) -> WiredPoint
        self.patches = []      # (object, attribute, original value), in the order applied
        self.originals = {}    # id(original function) -> (original, WritePoint)
        self.pending = {}      # point name -> WritePoint whose module is not imported yet
        self.problems = {}     # point or module name -> what is wrong


_registry = _Registry()


def _report_drift(name, problem, unwired=WritePoint.unwired):
    _registry.problems[name] = problem
    log.error(
        "openedx-grade-freeze: edx-platform write point %s %s; it is NOT wired, so %s. Check this plugin against "
        "your edx-platform release.", name, problem, unwired,
    )
    set_custom_attribute(DRIFT_ATTRIBUTE, ",".join(sorted(_registry.problems)))


def _resolve(module, attribute):
    """(owner, leaf attribute, current value) of a dotted attribute in a module."""
    owner = module
    parts = attribute.split(".")
    for part in parts[:-1]:
        owner = getattr(owner, part)
    return owner, parts[-1], getattr(owner, parts[-1])


def _wire_point(point, module):
    """Replace one write point in its (imported) module; drift is reported, not raised."""
    try:
        owner, leaf, current = _resolve(module, point.attribute)
    except AttributeError:
        _report_drift(point.name, f"is missing from {point.module}", point.unwired)
        return
    if getattr(current, "grade_freeze_source", None):
        return
    try:
        signature = inspect.signature(current)
    except (TypeError, ValueError):
        _report_drift(point.name, "has no readable signature", point.unwired)
        return
    names = tuple(signature.parameters)
    if names != point.parameters:
        _report_drift(point.name, f"has parameters {names}, expected {point.parameters}", point.unwired)
        return
    if point.is_method:
        raw = owner.__dict__.get(leaf)
        if not isinstance(raw, classmethod):
            _report_drift(point.name, "is no longer a classmethod", point.unwired)
            return
        _patch(owner, leaf, raw, classmethod(point.make_wrapper(raw.__func__, point.name, signature)))
        _registry.wired[(point.module, point.attribute)] = WiredPoint(
            point.name, point.module, point.attribute, point.name
        )
        return
    _registry.originals[id(current)] = (current, point)
    _rebind(module)


def _patch(owner, attribute, original, replacement):
    setattr(owner, attribute, replacement)
    _registry.patches.append((owner, attribute, original))


def _rebind(module):
    """Replace every copy of a wired upstream function that ``module`` holds by name."""
    if not _registry.originals:
        return
    try:
        namespace = vars(module)
    except TypeError:
        return
    name = getattr(module, "__name__", "?")
    for attribute, value in list(namespace.items()):
        if not isinstance(value, types.FunctionType):  # never touch other objects: some invent attributes
            continue
        # A module imported after activation copies our wrapper, not the original: give it its own, restorable one.
        original = getattr(value, "grade_freeze_original", value)
        entry = _registry.originals.get(id(original))
        if entry is None or entry[0] is not original:
            continue
        point = entry[1]
        source = point.name if name == point.module else f"{point.attribute}@{name}"
        if getattr(value, "grade_freeze_source", None) == source:
            continue
        wrapper = point.make_wrapper(original, source, inspect.signature(original))
        _patch(module, attribute, original, wrapper)
        _registry.wired[(name, attribute)] = WiredPoint(point.name, name, attribute, source)


def _check_holder(module):
    """Report a module where upstream imported a wired function by name that no longer holds it."""
    attribute = BY_NAME_HOLDERS.get(getattr(module, "__name__", None))
    if attribute is None:
        return
    unwired = _UPSTREAM_SENDER_UNWIRED if attribute == "send_grade_if_interesting" else WritePoint.unwired
    value = getattr(module, attribute, None)
    if value is None:
        _report_drift(module.__name__, f"no longer imports {attribute} by name", unwired)
    elif not getattr(value, "grade_freeze_source", None):
        _report_drift(module.__name__, f"holds a {attribute} that is not the wired one", unwired)


def _on_import(module):
    """Wire what a newly imported edx-platform module defines or holds."""
    with _registry.lock:
        if not _registry.active:
            return
        name = module.__name__
        for point in [p for p in _registry.pending.values() if p.module == name]:
            del _registry.pending[point.name]
            _wire_point(point, module)
            log.info("openedx-grade-freeze: wired %s on import of %s.", point.name, name)
        before = len(_registry.wired)
        _rebind(module)
        if len(_registry.wired) > before:
            log.info("openedx-grade-freeze: wired the grade freeze into %s on import.", name)
        _check_holder(module)


class _WiringLoader(importlib.abc.Loader):
    """Runs a module's own loader, then wires the module."""

    def __init__(self, loader):
        self.loader = loader

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        self.loader.exec_module(module)
        try:
            _on_import(module)
        except Exception:  # pylint: disable=broad-except
            log.exception("openedx-grade-freeze: could not wire %s on import.", module.__name__)

    def __getattr__(self, name):
        return getattr(self.loader, name)


class _WiringFinder(importlib.abc.MetaPathFinder):
    """Watches imports of edx-platform modules so that ones imported after activation get wired too."""

    def find_spec(self, fullname, path, target=None):
        if not fullname.startswith(_WATCHED_PREFIXES):
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                break
        else:
            return None
        if spec.loader is not None and hasattr(spec.loader, "exec_module"):
            spec.loader = _WiringLoader(spec.loader)
        return spec


_finder = _WiringFinder()


def _platform_grades_error():
    """Why edx-platform's grades app cannot be imported here, or None when it can."""
    try:
        importlib.import_module(f"{_GRADES}.grade_utils")
    except Exception as error:  # pylint: disable=broad-except
        return f"{type(error).__name__}: {error}"
    return None


def activate():
    """Wire the freeze into edx-platform's grade write points when running in the LMS; never raises."""
    from openedx_grade_freeze.toggles import (  # pylint: disable=import-outside-toplevel
        GRADE_FREEZE_PLATFORM_ADAPTER_ENABLED,
    )

    try:
        with _registry.lock:
            deactivate()
            if not GRADE_FREEZE_PLATFORM_ADAPTER_ENABLED.is_enabled():
                return _off("disabled by GRADE_FREEZE_PLATFORM_ADAPTER_ENABLED")
            variant = service_variant()
            if variant == "cms":
                return _off("this is Studio (cms); grades are written only in the LMS")
            if variant != "lms":
                return _off("not running in edx-platform's LMS (neither ROOT_URLCONF nor SERVICE_VARIANT says lms)")
            error = _platform_grades_error()
            if error is not None:
                return _off(f"no edx-platform here, its grades app is not importable ({error})")
            _wire_all()
            return True
    except Exception:  # pylint: disable=broad-except
        log.exception("openedx-grade-freeze: could not wire edx-platform's grade write points; the LMS runs with "
                      "edx-platform's own freeze rule.")
        try:
            deactivate()
        except Exception:  # pylint: disable=broad-except
            log.exception("openedx-grade-freeze: could not undo a partial wiring.")
        _registry.reason = "failed: see the error log"
        return False


def _off(reason):
    _registry.reason = reason
    log.info("openedx-grade-freeze: edx-platform grade write points not wired: %s.", reason)
    return False


def _wire_all():
    _registry.active = True
    _registry.reason = "wired"
    sys.meta_path.insert(0, _finder)
    for point in WRITE_POINTS:
        module = sys.modules.get(point.module)
        if module is None and point.eager:
            try:
                module = importlib.import_module(point.module)
            except Exception as error:  # pylint: disable=broad-except
                _report_drift(point.name, f"cannot be imported ({type(error).__name__}: {error})", point.unwired)
                continue
        if module is None:
            if _module_exists(point.module):
                _registry.pending[point.name] = point
            else:
                _report_drift(point.name, f"cannot be found: no module {point.module}", point.unwired)
            continue
        _wire_point(point, module)
    # Copies bound by name in modules imported before us (tasks, gradebook views, …, or any other).
    for module in list(sys.modules.values()):
        try:
            _rebind(module)
            _check_holder(module)
        except Exception:  # pylint: disable=broad-except
            log.exception("openedx-grade-freeze: could not inspect module %r for freeze checks.", module)
    log.info(
        "openedx-grade-freeze: wired the grade freeze into edx-platform: %s; wired when first imported: %s.",
        ", ".join(sorted(f"{w.module}.{w.attribute}" for w in _registry.wired.values())) or "nothing",
        ", ".join(sorted(_registry.pending)) or "nothing",
    )


def _module_exists(name):
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def deactivate():
    """Restore every edx-platform function the adapter replaced and stop watching imports."""
    with _registry.lock:
        if _finder in sys.meta_path:
            sys.meta_path.remove(_finder)
        for owner, attribute, original in reversed(_registry.patches):
            setattr(owner, attribute, original)
        _registry.reset()


def describe():
    """What the adapter wired, what waits for its module's import, and what drifted (for status pages and tests)."""
    with _registry.lock:
        return {
            "active": _registry.active,
            "reason": _registry.reason,
            "wired": sorted((w.module, w.attribute, w.source) for w in _registry.wired.values()),
            "pending": sorted(_registry.pending),
            "problems": dict(_registry.problems),
        }


def wired_points():
    """The ``WiredPoint`` entries currently in place."""
    with _registry.lock:
        return list(_registry.wired.values())


# ---------------------------------------------------------------------------------------------------------------
# What the Credentials forwarding needs from edx-platform.
# ---------------------------------------------------------------------------------------------------------------

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
    from openedx_grade_freeze.keys import to_course_key  # pylint: disable=import-outside-toplevel

    models = _import(f"{_GRADES}.models")
    if models is None:
        return None
    try:
        return models.PersistentCourseGrade.read(user_id, to_course_key(course_key))
    except models.PersistentCourseGrade.DoesNotExist:
        return None


def _platform_course_grade(grade):
    from openedx_grade_freeze.keys import to_course_key  # pylint: disable=import-outside-toplevel

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
    grades_api = _import(f"{_GRADES}.api")
    if grades_api is None:
        from openedx_grade_freeze.exceptions import PlatformUnavailableError  # pylint: disable=import-outside-toplevel

        raise PlatformUnavailableError("edx-platform's grades API is not importable: not running in the LMS.")
    users = None
    if user_ids:
        from django.contrib.auth import get_user_model  # pylint: disable=import-outside-toplevel

        users = list(get_user_model().objects.filter(pk__in=user_ids))
        if not users:  # upstream reads no users as "everyone"
            return
    for grade in grades_api.get_recently_modified_grades([course_key], start, end, users=users):
        if end is not None and grade.modified is not None and grade.modified >= end:
            continue
        yield _platform_course_grade(grade)


def _credentials_service_user():
    from django.contrib.auth import get_user_model  # pylint: disable=import-outside-toplevel

    username = getattr(settings, "CREDENTIALS_SERVICE_USERNAME", None)
    if not username:
        log.error("CREDENTIALS_SERVICE_USERNAME is not set; cannot call the Credentials service.")
        return None
    user_model = get_user_model()
    try:
        return user_model.objects.get(username=username)
    except user_model.DoesNotExist:
        log.error("The Credentials service user %s does not exist.", username)
        return None


def get_credentials_api_client(org=None):  # pylint: disable=unused-argument
    """The platform's JWT-authenticated ``requests.Session`` for the Credentials service user, or None."""
    utils = _import("openedx.core.djangoapps.credentials.utils")
    if utils is None:
        return None
    user = _credentials_service_user()
    return None if user is None else utils.get_credentials_api_client(user)


def get_credentials_base_url(org=None):
    """The Credentials API root (``…/api/v2/``) for the org's site, or the current site's; None outside."""
    utils = _import("openedx.core.djangoapps.credentials.utils")
    return None if utils is None else utils.get_credentials_api_base_url(org=org)


def upstream_grade_send_conditions(user_id, course_key, mode=None, status=None):
    """Whether upstream's ``send_grade_if_interesting`` would send this grade, and why; None outside the LMS."""
    from django.contrib.auth import get_user_model  # pylint: disable=import-outside-toplevel

    from openedx_grade_freeze.keys import to_course_key  # pylint: disable=import-outside-toplevel

    tasks = _import("openedx.core.djangoapps.credentials.tasks.v1.tasks")
    if tasks is None:
        return None
    course_key = to_course_key(course_key)
    user_model = get_user_model()
    try:
        user = user_model.objects.get(id=user_id)
    except user_model.DoesNotExist:
        return _conditions(False, "unknown user", mode, status)
    try:
        # The names upstream's send_grade_if_interesting calls, read from its own module, in its order.
        if not tasks.is_credentials_enabled():
            return _conditions(False, "the Credentials service is disabled by config", mode, status)
        if not tasks.is_learner_records_enabled_for_org(course_key.org):
            return _conditions(False, f"learner records are disabled for org {course_key.org}", mode, status)
        if mode is None or status is None:
            # Upstream reads these through get_generated_certificate, which returns its data class's defaults
            # (honor/unavailable) rather than the stored values, so a plain grade change never qualifies there.
            # The plugin mirrors the intent instead: the learner's stored certificate.
            certificates = _import("lms.djangoapps.certificates.api")
            cert = certificates.get_certificate_for_user_id(user, course_key) if certificates else None
            if cert is None:
                return _conditions(False, "no certificate record in the course run", mode, status)
            mode, status = cert.mode, cert.status
        if (
            mode not in tasks.INTERESTING_MODES
            and not tasks.CourseMode.is_eligible_for_certificate(mode)
            or status not in tasks.INTERESTING_STATUSES
        ):
            return _conditions(
                False, f"mode ({mode}) or status ({status}) is not interesting to Credentials", mode, status
            )
        if not tasks.is_course_run_in_a_program(course_key):
            return _conditions(False, "the course run is not in any program", mode, status)
    except AttributeError as error:
        log.error("edx-platform's send_grade_if_interesting changed (%s); cannot mirror its conditions.", error)
        return None
    return _conditions(True, "upstream would send this grade", mode, status)


def _conditions(send, reason, mode, status):
    # Upstream always posts verified=True when it sends.
    return {"send": send, "verified": send, "reason": reason, "mode": mode, "status": status}
