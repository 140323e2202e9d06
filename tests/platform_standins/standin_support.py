"""
Shared plumbing for the edx-platform stand-ins (not an upstream module).

* ``standin_task``: a stand-in for ``celery.shared_task`` that runs tasks eagerly, in process, and records
  every call in ``task.calls``. ``delay``/``apply_async``/``apply`` all run the body synchronously, like
  ``CELERY_TASK_ALWAYS_EAGER``. Bound tasks receive a small ``self`` with ``request.id``/``request.retries``
  and a ``retry()`` that re-raises the original exception.
* ``User``/``register_user``/``get_user``/``enroll``/``enrolled_users``: the few bits of
  ``django.contrib.auth`` and ``student.CourseEnrollment`` the grade tasks need, kept in memory.
* ``InMemoryManager``: a tiny ``Model.objects`` look-alike (``get``, ``filter``, ``all``, ``update_or_create``).
* ``WRITE_LOG``: every persisted grade write and delete, in order, as ``(model_name, key, when, tick)`` tuples
  (a delete's ``model_name`` ends with ``.delete``).
* ``set_raw_score``/``raw_score``: a learner's current points on a subsection (stand-in only; no course structure).
* ``PLATFORM_VARIANT``: which edx-platform the stand-ins mimic, read when ``lms.djangoapps.grades.models`` is
  imported: ``"upstream"`` (default, today's master) or ``"pr38862"`` (open PR #38862's signatures for
  ``PersistentSubsectionGrade.update_or_create_grade``/``bulk_create_grades``) or ``"filter-patch"`` (the
  upstream patch of docs/how-tos/propose_the_filter_upstream.rst, for two of its points: see
  ``lms.djangoapps.grades.persistence_filter``), or a supported release, ``"teak"``, ``"ulmo"`` or ``"verawood"``
  (that release's code shape, as recorded in ``tests/data/platform_signatures.json``: no Grades REST API v2). Set it
  with the environment variable ``GRADE_FREEZE_STANDIN_VARIANT`` before the stand-ins are imported (each
  ``make test-releases`` run sets it to its release), or call ``use_variant(name)``.
* ``RECENT_GRADES_SHAPE``: which signature ``grades.models_api.get_recently_modified_grades`` has (``RECENT_GRADES``
  lists the shapes found upstream); the environment variable ``GRADE_FREEZE_STANDIN_RECENT_GRADES`` or
  ``use_recent_grades_shape(shape)`` chooses it, as for the variant.
* ``reset_all()``: clears every store (and request cache) in every stand-in module; call it between tests.
"""
import functools
import itertools
import os
import sys
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone

WRITE_LOG = []
_RESET_HOOKS = []
_TICK = itertools.count()

#: The supported releases the stand-ins can take the shape of (tests/data/platform_signatures.json, ``versions``).
RELEASES = ('teak', 'ulmo', 'verawood')
VARIANTS = ('upstream', 'pr38862', 'filter-patch') + RELEASES
PLATFORM_VARIANT = os.environ.get('GRADE_FREEZE_STANDIN_VARIANT', 'upstream')
if PLATFORM_VARIANT not in VARIANTS:
    raise ValueError(f'GRADE_FREEZE_STANDIN_VARIANT must be one of {VARIANTS}, not {PLATFORM_VARIANT!r}')

#: The signatures of ``get_recently_modified_grades`` found upstream (tests/data/platform_signatures.json,
#: ``recently_modified_grades_shapes``): no learner filter, one learner (``user=None``), a list (``users=None``).
RECENT_GRADES = ('course-keys-dates', 'user', 'users')
RECENT_GRADES_SHAPE = os.environ.get('GRADE_FREEZE_STANDIN_RECENT_GRADES', 'users')
if RECENT_GRADES_SHAPE not in RECENT_GRADES:
    raise ValueError(f'GRADE_FREEZE_STANDIN_RECENT_GRADES must be one of {RECENT_GRADES}, not {RECENT_GRADES_SHAPE!r}')


def _forget_standin_modules():
    for module_name in list(sys.modules):
        if module_name.split('.')[0] in ('lms', 'openedx', 'common'):
            del sys.modules[module_name]


def use_variant(name):
    """Mimic edx-platform ``name`` (see ``VARIANTS``): forgets the imported stand-in modules, so import them again."""
    global PLATFORM_VARIANT  # pylint: disable=global-statement
    if name not in VARIANTS:
        raise ValueError(f'unknown stand-in variant {name!r}; one of {VARIANTS}')
    PLATFORM_VARIANT = name
    _forget_standin_modules()


def use_recent_grades_shape(shape):
    """Give ``get_recently_modified_grades`` the signature ``shape`` (see ``RECENT_GRADES``); forgets the modules."""
    global RECENT_GRADES_SHAPE  # pylint: disable=global-statement
    if shape not in RECENT_GRADES:
        raise ValueError(f'unknown get_recently_modified_grades shape {shape!r}; one of {RECENT_GRADES}')
    RECENT_GRADES_SHAPE = shape
    _forget_standin_modules()


def has_grades_api_v2():
    """Whether the mimicked edx-platform has the Grades REST API v2 (newest upstream only, not the releases)."""
    return PLATFORM_VARIANT not in RELEASES


def utcnow():
    """Return an aware UTC ``datetime`` (django.utils.timezone.now() without needing Django settings)."""
    return datetime.now(timezone.utc)


def register_reset(hook):
    """Register a callable that ``reset_all`` runs; returns it, so it can be used as a decorator."""
    _RESET_HOOKS.append(hook)
    return hook


def reset_all():
    """Clear every in-memory store of every stand-in module."""
    WRITE_LOG.clear()
    for hook in _RESET_HOOKS:
        hook()


def django_settings_configured():
    """Whether Django settings are usable (stand-ins degrade gracefully in plain-python runs)."""
    try:
        from django.conf import settings  # pylint: disable=import-outside-toplevel
    except ImportError:  # pragma: no cover
        return False
    return settings.configured


def setting(name, default=None):
    """Read a Django setting when settings are configured, otherwise return ``default``."""
    if not django_settings_configured():
        return default
    from django.conf import settings  # pylint: disable=import-outside-toplevel
    return getattr(settings, name, default)


# --- users and enrollments -------------------------------------------------------------------------------------

@dataclass
class User:
    """The attributes of ``django.contrib.auth`` users that the grade code reads."""

    id: int
    username: str = ''
    email: str = ''
    is_staff: bool = False

    class DoesNotExist(Exception):
        """No such user."""


_USERS = {}
_ENROLLMENTS = {}


def register_user(user_id, username=None, is_staff=False):
    """Create (or replace) a stand-in user and return it."""
    user = User(id=user_id, username=username or f'user{user_id}', email=f'user{user_id}@example.com',
                is_staff=is_staff)
    _USERS[user_id] = user
    return user


def get_user(user_id=None, username=None):
    """``User.objects.get(id=...)`` / ``get(username=...)`` stand-in."""
    for user in _USERS.values():
        if (user_id is not None and user.id == user_id) or (username is not None and user.username == username):
            return user
    raise User.DoesNotExist(f'user id={user_id} username={username}')


def enroll(user, course_key):
    """Enroll ``user`` in ``course_key`` (registering the user if needed)."""
    _USERS.setdefault(user.id, user)
    users = _ENROLLMENTS.setdefault(str(course_key), [])
    if all(existing.id != user.id for existing in users):
        users.append(user)


def enrolled_users(course_key):
    """Users enrolled in ``course_key``, in enrollment order."""
    return list(_ENROLLMENTS.get(str(course_key), []))


@register_reset
def _reset_users():
    _USERS.clear()
    _ENROLLMENTS.clear()


# --- a minimal Model.objects ----------------------------------------------------------------------------------

class InMemoryManager:
    """Just enough of a Django manager over a model class's ``_store`` dict."""

    def __init__(self, model):
        self.model = model

    def all(self):
        return list(self.model._store.values())  # pylint: disable=protected-access

    def filter(self, **lookup):
        return [obj for obj in self.all() if all(_matches(obj, key, value) for key, value in lookup.items())]

    def get(self, **lookup):
        found = self.filter(**lookup)
        if not found:
            raise self.model.DoesNotExist(f'{self.model.__name__} matching {lookup} does not exist.')
        return found[0]

    def count(self):
        return len(self.model._store)  # pylint: disable=protected-access


def _matches(obj, key, value):
    """Compare one lookup; supports ``a__b`` attribute paths, keys compared as strings."""
    current = obj
    for part in key.split('__'):
        current = getattr(current, part, None)
    return current == value or (current is not None and str(current) == str(value))


def record_write(model_name, key, modified):
    """Append a persisted write to ``WRITE_LOG``."""
    WRITE_LOG.append((model_name, key, modified, next(_TICK)))


def record_delete(model_name, key):
    """Append a persisted delete to ``WRITE_LOG`` (as ``<model_name>.delete``)."""
    WRITE_LOG.append((f'{model_name}.delete', key, utcnow(), next(_TICK)))


# --- learners' raw scores (stand-in only: there is no course structure) -------------------------------------------

_RAW_SCORES = {}


def set_raw_score(user_id, usage_key, earned, possible):
    """A learner's current points on a subsection, picked up by the next grade computation."""
    _RAW_SCORES[(user_id, str(usage_key))] = (float(earned), float(possible))


def raw_score(user_id, usage_key):
    """``(earned, possible)`` set by ``set_raw_score``, or None."""
    return _RAW_SCORES.get((user_id, str(usage_key)))


def raw_scored_subsections(user_id, course_key):
    """The subsections (as strings) of ``course_key`` that have a raw score for ``user_id``."""
    from opaque_keys.edx.keys import UsageKey  # pylint: disable=import-outside-toplevel
    return [usage for (uid, usage) in _RAW_SCORES
            if uid == user_id and str(UsageKey.from_string(usage).course_key) == str(course_key)]


@register_reset
def _reset_raw_scores():
    _RAW_SCORES.clear()


# --- celery ------------------------------------------------------------------------------------------------------

class _TaskRequest:
    def __init__(self):
        self.id = str(uuid.uuid4())  # pylint: disable=invalid-name
        self.retries = 0


class _BoundTaskSelf:
    """What a ``bind=True`` task receives as ``self``."""

    def __init__(self, task):
        self.task = task
        self.request = _TaskRequest()

    def retry(self, kwargs=None, exc=None, **options):  # pylint: disable=unused-argument
        """Celery would re-queue; the stand-in surfaces the failure instead."""
        raise exc if exc is not None else RuntimeError('retry requested')


class StandinTask:
    """An eager, recording stand-in for a celery task object."""

    def __init__(self, func, bind=False, **options):
        functools.update_wrapper(self, func)
        self.func = func
        self.bind = bind
        self.options = options
        self.name = f'{func.__module__}.{func.__name__}'
        self.calls = []
        _ALL_TASKS.append(self)

    def __call__(self, *args, **kwargs):
        self.calls.append((args, kwargs))
        if self.bind:
            return self.func(_BoundTaskSelf(self), *args, **kwargs)
        return self.func(*args, **kwargs)

    def delay(self, *args, **kwargs):
        return self(*args, **kwargs)

    def apply_async(self, args=None, kwargs=None, **options):  # pylint: disable=unused-argument
        return self(*(args or ()), **(kwargs or {}))

    def apply(self, args=None, kwargs=None, **options):  # pylint: disable=unused-argument
        return self(*(args or ()), **(kwargs or {}))


_ALL_TASKS = []


def standin_task(*dargs, bind=False, **options):
    """``@shared_task`` / ``@shared_task(bind=True, ...)`` stand-in."""
    if dargs and callable(dargs[0]):
        return StandinTask(dargs[0])

    def decorator(func):
        return StandinTask(func, bind=bind, **options)
    return decorator


@register_reset
def _reset_task_calls():
    for task in _ALL_TASKS:
        task.calls.clear()
