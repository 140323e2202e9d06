"""
Stand-in for ``openedx.core.djangoapps.catalog.utils`` (``get_programs`` only), programs in memory.

Upstream reads programs from the cache filled by ``cache_programs``, per site. The stand-in has one site and
``set_programs`` (stand-in only) fills it with program dicts shaped as upstream's cache
(``{'uuid', 'courses': [{'course_runs': [{'key': ...}]}]}``).
"""
from standin_support import register_reset

_PROGRAMS = []


def set_programs(programs):
    """Stand-in only: replace the cached programs."""
    _PROGRAMS[:] = list(programs)


def get_programs(site=None, uuid=None, uuids=None, course=None, catalog_course_uuid=None, organization=None):  # pylint: disable=unused-argument
    """The cached programs (of every site; the stand-in has one)."""
    if uuid is not None:
        return next((program for program in _PROGRAMS if program.get('uuid') == uuid), None)
    return list(_PROGRAMS)


@register_reset
def _reset_programs():
    _PROGRAMS.clear()
