"""
The machinery that replaces edx-platform functions at runtime (LMS only), checks their signatures and undoes it.

The points are the ``WritePoint`` entries of one table (``platform.write_points``), registered from
``AppConfig.ready()``; ``activate()`` wires every registered point, including the copies other modules import by
name, now or when the module is first imported. See ADR 0004.
"""
import importlib
import importlib.abc
import importlib.util
import inspect
import logging
import sys
import threading
import types
from dataclasses import dataclass, field

from edx_django_utils.monitoring import set_custom_attribute

from openedx_grade_freeze.platform.modules import service_variant
from openedx_grade_freeze.toggles import GRADE_FREEZE_PLATFORM_ADAPTER_ENABLED

log = logging.getLogger(__name__)

DRIFT_ATTRIBUTE = "grade_freeze.platform_drift"
# Modules whose later import is watched, so their by-name copies of a wired function get the wrapper too.
_WATCHED_PREFIXES = ("lms.", "openedx.", "common.", "cms.")
UNWIRED_GRADES = "grades can change there after the freeze"

# edx-platform with the filter call upstream (docs/how-tos/propose_the_filter_upstream.rst) lists in this module the
# points whose functions call the filter themselves; the adapter leaves those alone, so a veto is asked once.
UPSTREAM_FILTER_MODULE = "lms.djangoapps.grades.persistence_filter"
UPSTREAM_FILTER_SENTINEL = "FILTERED_POINTS"

FUNCTION = "function"
CLASSMETHOD = "classmethod"
METHOD = "method"


@dataclass(frozen=True)
class WritePoint:
    """
    One edx-platform function the adapter replaces: where it lives, the parameters it needs, how to wrap it.

    ``parameters`` names the parameters the wrapper reads, in order, without ``cls``/``self``; ``*name`` and
    ``**name`` mark variadic ones. ``holders`` are modules that import the function by name.
    """

    name: str
    module: str
    attribute: str
    parameters: tuple
    make_wrapper: object = field(repr=False, compare=False)
    kind: str = FUNCTION
    eager: bool = False
    holders: tuple = ()
    # What happens while the point is not wired (said in the drift report).
    unwired: str = UNWIRED_GRADES
    # Why the module may be missing from a supported release; then its absence is logged, not reported as drift.
    absent_in_releases: str = ""


@dataclass(frozen=True)
class WiredPoint:
    """
    A function replaced in one module: a write point, or a module's by-name copy of one.
    """

    name: str
    module: str
    attribute: str
    source: str


def _spelled(parameter):
    prefix = {inspect.Parameter.VAR_POSITIONAL: "*", inspect.Parameter.VAR_KEYWORD: "**"}.get(parameter.kind, "")
    return prefix + parameter.name


def signature_problem(signature, expected, bound_first=False):
    """Why ``signature`` cannot be wired for ``expected`` parameters, or None when it can.

    It can when the expected parameters are all there, in order and of the same kind, and every other parameter
    has a default or is variadic: upstream may add optional parameters, which the wrapper passes through.
    """
    parameters = list(signature.parameters.values())
    if bound_first:
        if not parameters or parameters[0].kind not in (
            inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD
        ):
            return "has no cls/self parameter"
        parameters = parameters[1:]
    spelled = [_spelled(p) for p in parameters]
    found = [name for name in spelled if name in expected]
    if found != list(expected):
        return f"has parameters {tuple(spelled)}, expected {tuple(expected)} in this order"
    required_extras = [
        spelled[index] for index, p in enumerate(parameters)
        if spelled[index] not in expected and p.default is inspect.Parameter.empty
        and p.kind not in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    ]
    if required_extras:
        return f"has new required parameters {tuple(required_extras)}"
    return None


class _Registry:
    """The registered points, and what the adapter changed, so it can be described and undone."""

    def __init__(self):
        self.lock = threading.RLock()
        self.points = {}       # point name -> WritePoint, in registration order
        self.reset()

    def reset(self):
        self.active = False
        self.reason = "not activated"
        self.wired = {}        # (module, attribute) -> WiredPoint
        self.patches = []      # (object, attribute, original value), in the order applied
        self.originals = {}    # id(original function) -> (original, WritePoint)
        self.pending = {}      # point name -> WritePoint whose module is not imported yet
        self.problems = {}     # point or module name -> what is wrong
        self.upstream = []     # point names edx-platform filters itself: not replaced
        self.absent = {}       # point name -> why its module is missing here (not drift: see absent_in_releases)

    def holders(self):
        return {holder: point for point in self.points.values() if point.name not in self.upstream
                for holder in point.holders}


_registry = _Registry()


def register(point):
    """Register a write point (again under the same name replaces it); wired at the next ``activate()``."""
    with _registry.lock:
        _registry.points[point.name] = point
    return point


def mark(wrapper, original, source):
    """Label a wrapper with its source and the function it replaces (so it is recognised and restorable)."""
    wrapper.grade_freeze_source = source
    wrapper.grade_freeze_original = original
    return wrapper


def _report_drift(name, problem, unwired=UNWIRED_GRADES):
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
    if point.kind == CLASSMETHOD:
        raw = owner.__dict__.get(leaf)
        if not isinstance(raw, classmethod):
            _report_drift(point.name, "is no longer a classmethod", point.unwired)
            return
        func = raw.__func__
    elif point.kind == METHOD:
        func = owner.__dict__.get(leaf)
        if not isinstance(func, types.FunctionType):
            _report_drift(point.name, "is no longer a plain method", point.unwired)
            return
    else:
        func = current
    try:
        signature = inspect.signature(func)
    except (TypeError, ValueError):
        _report_drift(point.name, "has no readable signature", point.unwired)
        return
    problem = signature_problem(signature, point.parameters, bound_first=point.kind != FUNCTION)
    if problem:
        _report_drift(point.name, problem, point.unwired)
        return
    if point.kind == FUNCTION:
        _registry.originals[id(current)] = (current, point)
        _rebind(module)
        return
    wrapper = point.make_wrapper(func, point.name, signature)
    _patch(owner, leaf, raw if point.kind == CLASSMETHOD else func,
           classmethod(wrapper) if point.kind == CLASSMETHOD else wrapper)
    _registry.wired[(point.module, point.attribute)] = WiredPoint(point.name, point.module, point.attribute, point.name)


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


def _check_holder(module, holders):
    """Report a module where upstream imported a wired function by name that no longer holds it."""
    point = holders.get(getattr(module, "__name__", None))
    if point is None:
        return
    attribute = point.attribute.rsplit(".", 1)[-1]
    value = getattr(module, attribute, None)
    if value is None:
        _report_drift(module.__name__, f"no longer imports {attribute} by name", point.unwired)
    elif not getattr(value, "grade_freeze_source", None):
        _report_drift(module.__name__, f"holds a {attribute} that is not the wired one", point.unwired)


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
        _check_holder(module, _registry.holders())


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
_GRADES_PROBE = "lms.djangoapps.grades.grade_utils"


def _platform_grades_error():
    """Why edx-platform's grades app cannot be imported here, or None when it can."""
    try:
        importlib.import_module(_GRADES_PROBE)
    except Exception as error:  # pylint: disable=broad-except
        return f"{type(error).__name__}: {error}"
    return None


def activate():
    """Wire every registered point into edx-platform when running in the LMS; never raises."""
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


def upstream_filtered_points():
    """The point names edx-platform's own code runs the filter at (its ``FILTERED_POINTS``); empty without it."""
    try:
        module = importlib.import_module(UPSTREAM_FILTER_MODULE)
    except ImportError:
        return frozenset()
    except Exception:  # pylint: disable=broad-except
        log.exception("openedx-grade-freeze: could not read %s; every point is wired.", UPSTREAM_FILTER_MODULE)
        return frozenset()
    names = getattr(module, UPSTREAM_FILTER_SENTINEL, ())
    return frozenset(names) if isinstance(names, (tuple, list, set, frozenset)) else frozenset()


def _wire_all():
    _registry.active = True
    _registry.reason = "wired"
    upstream = upstream_filtered_points()
    _registry.upstream = [name for name in _registry.points if name in upstream]
    if _registry.upstream:
        log.info("openedx-grade-freeze: edx-platform runs the grade persistence filter itself at %s; those "
                 "functions are not replaced.", ", ".join(_registry.upstream))
    sys.meta_path.insert(0, _finder)
    for point in _registry.points.values():
        if point.name in _registry.upstream:
            continue
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
            elif point.absent_in_releases:
                _registry.absent[point.name] = f"no module {point.module}: {point.absent_in_releases}"
                log.info("openedx-grade-freeze: %s has nothing to wire here (no module %s: %s).", point.name,
                         point.module, point.absent_in_releases)
            else:
                _report_drift(point.name, f"cannot be found: no module {point.module}", point.unwired)
            continue
        _wire_point(point, module)
    # Copies bound by name in modules imported before us (tasks, gradebook views, …, or any other).
    holders = _registry.holders()
    for module in list(sys.modules.values()):
        try:
            _rebind(module)
            _check_holder(module, holders)
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
    """What the adapter wired, what waits for its module's import, what drifted, what this release lacks and what
    edx-platform filters itself."""
    with _registry.lock:
        return {
            "active": _registry.active,
            "reason": _registry.reason,
            "wired": sorted((w.module, w.attribute, w.source) for w in _registry.wired.values()),
            "pending": sorted(_registry.pending),
            "problems": dict(_registry.problems),
            "upstream": sorted(_registry.upstream),
            "absent": dict(_registry.absent),
        }


def wired_points():
    """The ``WiredPoint`` entries currently in place."""
    with _registry.lock:
        return list(_registry.wired.values())
