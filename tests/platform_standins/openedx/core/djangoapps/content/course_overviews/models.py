"""
Stand-in for ``openedx.core.djangoapps.content.course_overviews.models`` (in memory, not a Django model).

Tests create overviews with ``CourseOverview.create(course_id, end=..., ...)`` (stand-in only) and change them
by setting attributes, e.g. ``overview.end = ...``. ``get_from_id`` and ``get_all_courses`` keep upstream's
signatures; ``get_all_courses`` returns a list instead of a queryset.

Upstream's ``get_from_id`` is request-cached and, when the overview is missing or outdated, loads the course from
the modulestore, which can raise (``OSError`` from the content store, for instance). The stand-in's store is its
cache; ``CourseOverview.fail_loading(course_key, exc)`` (stand-in only) makes ``get_from_id`` raise ``exc`` for
that course until ``fail_loading(course_key, None)`` or ``reset_all()``.
"""
from opaque_keys.edx.keys import CourseKey

from standin_support import register_reset


class CourseOverview:
    """The CourseOverview attributes the grade code and the plugin read."""

    _store = {}
    _load_failures = {}

    class DoesNotExist(Exception):
        """No overview for that course."""

    def __init__(self, id, org=None, display_name=None, start=None, end=None, self_paced=False,  # pylint: disable=redefined-builtin
                 certificate_available_date=None, certificates_display_behavior=None):
        self.id = CourseKey.from_string(str(id))  # pylint: disable=invalid-name
        self.org = org or self.id.org
        self.display_name = display_name
        self.start = start
        self.end = end
        self.self_paced = self_paced
        self.certificate_available_date = certificate_available_date
        self.certificates_display_behavior = certificates_display_behavior
        from standin_support import utcnow  # pylint: disable=import-outside-toplevel
        self.modified = utcnow()  # TimeStampedModel upstream

    def save(self):
        """As upstream's TimeStampedModel: saving sets ``modified``."""
        from standin_support import utcnow  # pylint: disable=import-outside-toplevel
        self.modified = utcnow()

    @property
    def pacing(self):
        """``'self'`` or ``'instructor'``, as upstream."""
        return 'self' if self.self_paced else 'instructor'

    def has_ended(self):
        from standin_support import utcnow  # pylint: disable=import-outside-toplevel
        return self.end is not None and utcnow() > self.end

    @classmethod
    def create(cls, course_id, **fields):
        """Stand-in only: store and return a new overview."""
        overview = cls(course_id, **fields)
        cls._store[str(overview.id)] = overview
        return overview

    @classmethod
    def fail_loading(cls, course_id, exc):
        """Stand-in only: make ``get_from_id(course_id)`` raise ``exc`` (None: load normally again)."""
        if exc is None:
            cls._load_failures.pop(str(course_id), None)
        else:
            cls._load_failures[str(course_id)] = exc

    @classmethod
    def course_exists(cls, course_id):
        """Whether an overview of ``course_id`` exists."""
        return str(course_id) in cls._store

    @classmethod
    def get_from_id(cls, course_id):
        """Return the overview of ``course_id``; raises ``CourseOverview.DoesNotExist`` (upstream would load it)."""
        failure = cls._load_failures.get(str(course_id))
        if failure is not None:
            raise failure
        try:
            return cls._store[str(course_id)]
        except KeyError:
            raise cls.DoesNotExist(str(course_id))  # pylint: disable=raise-missing-from

    @classmethod
    def get_all_courses(cls, orgs=None, filter_=None, active_only=False, course_keys=None):
        """Return all overviews, optionally filtered like upstream (``filter_`` keys are attribute names)."""
        from standin_support import utcnow  # pylint: disable=import-outside-toplevel
        overviews = list(cls._store.values())
        if course_keys:
            wanted = {str(key) for key in course_keys}
            overviews = [overview for overview in overviews if str(overview.id) in wanted]
        if orgs:
            wanted_orgs = {org.lower() for org in orgs}
            overviews = [overview for overview in overviews if overview.org.lower() in wanted_orgs]
        if filter_:
            overviews = [o for o in overviews if all(_matches(o, k, v) for k, v in filter_.items())]
        if active_only:
            now = utcnow()
            overviews = [o for o in overviews if o.end is None or o.end >= now]
        return overviews

    @classmethod
    def reset(cls):
        cls._store.clear()
        cls._load_failures.clear()


def _matches(overview, lookup, value):
    """``filter_`` keyword lookups: exact, or ``__gte``/``__gt`` as QuerySet.filter reads them."""
    name, _, operator = lookup.partition('__')
    actual = getattr(overview, name, None)
    if operator == 'gte':
        return actual is not None and actual >= value
    if operator == 'gt':
        return actual is not None and actual > value
    return actual == value


register_reset(CourseOverview.reset)
