"""
Stand-in for ``get_course_overviews`` of ``openedx.core.djangoapps.content.course_overviews.api``.

Upstream serializes the overviews of the given keys with ``CourseOverviewBaseSerializer`` (every model field, plus
``display_name_with_default``, ``has_started``, ``has_ended`` and ``pacing``); courses without an overview are left
out. The stand-in returns the same keys for the fields its ``CourseOverview`` has.
"""
from openedx.core.djangoapps.content.course_overviews.models import CourseOverview


def _serialized(overview):
    return {
        'id': str(overview.id),
        'org': overview.org,
        'display_name': overview.display_name,
        'display_name_with_default': overview.display_name or overview.id.course,
        'start': overview.start.isoformat() if overview.start else None,
        'end': overview.end.isoformat() if overview.end else None,
        'self_paced': overview.self_paced,
        'pacing': overview.pacing,
        'has_ended': overview.has_ended(),
    }


def get_course_overviews(course_ids):
    """The serialized overviews of ``course_ids`` that exist, as a list."""
    wanted = {str(course_id) for course_id in course_ids}
    return [_serialized(overview) for overview in CourseOverview.get_all_courses() if str(overview.id) in wanted]
