"""
The wrappers put around edx-platform's grade functions: each asks the ``GradePersistenceRequested`` filter first.

A refused write or deletion returns what upstream returns when it has nothing to write (ADR 0004 lists it per
point); nothing is raised into the caller. A check answers "frozen" without counting as a refused update.
"""
import functools
import logging

from openedx_grade_freeze.filters import ACTION_CHECK, GradePersistenceRequested
from openedx_grade_freeze.platform.wiring import mark

log = logging.getLogger(__name__)


def run_freeze_filter(course_key, user_id, source, action):
    """The filter's veto for this action, or None when it may go ahead (exceptions other than a veto propagate)."""
    try:
        GradePersistenceRequested.run_filter(course_key, user_id=user_id, source=source, action=action)
    except GradePersistenceRequested.PreventGradePersistence as veto:
        return veto
    return None


def check_wrapper(original, source, gate=False):
    """Replace an upstream "are grades frozen?" function: the filter decides, edx-platform's rule if it breaks.

    A ``gate`` is a check in front of work whose every write goes through a learner's own write point (the grade
    tasks): while learners of the frozen course have an open exception it answers "not frozen", so the work runs and
    each write is decided for its learner. Other checks answer for the course as a whole.
    """
    @functools.wraps(original)
    def frozen_check(course_key, *args, **kwargs):
        try:
            veto = run_freeze_filter(course_key, None, source, ACTION_CHECK)
            return veto is not None and not (gate and getattr(veto, "open_exceptions", 0))
        except Exception:  # pylint: disable=broad-except
            log.exception(
                "Grade freeze check failed at %s for course=%s; using edx-platform's rule.", source, course_key
            )
            return original(course_key, *args, **kwargs)
    return mark(frozen_check, original, source)


def _arguments(signature, args, kwargs):
    bound = signature.bind(*args, **kwargs)
    bound.apply_defaults()
    return bound.arguments


def guard_wrapper(func, source, signature, locate, when_refused, action, bound_first):
    """Guard a write or deletion: when the filter refuses, skip ``func`` and return ``when_refused(owner, args)``.

    ``locate(arguments)`` gives ``(course_key, user_id)``; ``owner`` is the class or instance for methods, else
    None. If the course cannot be located or the filter itself breaks, the call goes ahead (logged), as the veto
    step's own fail-open does.
    """
    def call(owner, args, kwargs):
        full = (owner, *args) if bound_first else args
        try:
            arguments = _arguments(signature, full, kwargs)
            course_key, user_id = locate(arguments)
            veto = run_freeze_filter(course_key, user_id, source, action)
        except Exception:  # pylint: disable=broad-except
            log.exception("Grade freeze check failed at %s; the %s goes ahead.", source, action)
            veto = None
        if veto is None:
            return func(*full, **kwargs)
        log.info("Grade %s refused at %s for course=%s user=%s: %s", action, source, course_key, user_id, veto)
        try:
            return when_refused(owner, arguments)
        except Exception:  # pylint: disable=broad-except
            log.exception("Could not read what is stored at %s for course=%s user=%s.", source, course_key, user_id)
            return None

    if bound_first:
        @functools.wraps(func)
        def guarded_method(owner, *args, **kwargs):
            return call(owner, args, kwargs)
        return mark(guarded_method, func, source)

    @functools.wraps(func)
    def guarded(*args, **kwargs):
        return call(None, args, kwargs)
    return mark(guarded, func, source)
