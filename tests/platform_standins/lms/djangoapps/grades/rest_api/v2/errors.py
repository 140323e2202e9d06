"""
Stand-in for ``lms.djangoapps.grades.rest_api.v2.errors`` (``GradesFrozen`` only; upstream is a DRF
``APIException`` with status 403 and problem type ``grades/grades-frozen``).
"""


class GradesFrozen(Exception):
    """The course's grades are frozen, so they may not change."""

    status_code = 403
    default_detail = 'The grades of this course are frozen.'
    default_code = 'grades-frozen'
