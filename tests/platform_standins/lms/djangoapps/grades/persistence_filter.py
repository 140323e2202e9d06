"""
Stand-in for ``lms.djangoapps.grades.persistence_filter``, the module the upstream patch adds
(docs/how-tos/propose_the_filter_upstream.rst); it exists only in the ``filter-patch`` variant.

In that variant ``grade_utils.are_grades_frozen`` and ``models_api.clear_user_course_grades`` call the filter
themselves, as the patch makes them, and ``FILTERED_POINTS`` names those two (the patch covers all thirteen points
of ``openedx_grade_freeze/platform/write_points.py``).
The patch imports the filter from openedx-filters once it is contributed there; the stand-in takes the plugin's.
"""
import logging

import standin_support

if standin_support.PLATFORM_VARIANT != 'filter-patch':
    raise ImportError('lms.djangoapps.grades.persistence_filter exists only with the upstream patch')

from openedx_grade_freeze.filters import GradePersistenceRequested

log = logging.getLogger(__name__)

FILTERED_POINTS = (
    'grade_utils.are_grades_frozen',
    'models_api.clear_user_course_grades',
)


def grade_persistence_refused(course_key, user_id, source, action):
    """Whether a pipeline step of ``GradePersistenceRequested`` refused this write, deletion or check."""
    try:
        GradePersistenceRequested.run_filter(course_key, user_id=user_id, source=source, action=action)
    except GradePersistenceRequested.PreventGradePersistence as exc:
        log.info('Grade %s refused at %s for course %s, user %s: %s', action, source, course_key, user_id, exc)
        return True
    return False
