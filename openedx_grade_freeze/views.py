"""
A read-only view of a course's freeze state, for staff and for support tooling.
"""
from django.http import JsonResponse
from django.views.decorators.http import require_GET

from openedx_grade_freeze import api
from openedx_grade_freeze.dates import isoformat
from openedx_grade_freeze.exceptions import InvalidCourseKeyError


@require_GET
def freeze_state(request, course_id):
    """``GET …/v1/courses/<course_id>/freeze_state/``: whether the course's grades are frozen, and why (staff only)."""
    if not (request.user.is_authenticated and request.user.is_staff):
        return JsonResponse({"error": "Only staff can read a course's freeze state."}, status=403)
    try:
        state = api.get_freeze_state(course_id)
    except InvalidCourseKeyError as error:
        return JsonResponse({"error": str(error)}, status=400)
    except Exception as error:  # pylint: disable=broad-except
        # A broken setting (e.g. the site's GRADE_FREEZE value): say what is wrong instead of an HTML 500 page.
        return JsonResponse({"error": f"The freeze policy of {course_id} cannot be evaluated: {error}"}, status=500)
    return JsonResponse({
        "course_id": str(state.course_key),
        "frozen": state.frozen,
        "enabled": state.enabled,
        "freeze_date": isoformat(state.freeze_date),
        "course_end": isoformat(state.course_end),
        "offset_days": state.offset_days,
        "explicit_freeze_date": state.explicit_freeze_date,
        "source": state.source,
        # Set when the policy could not be evaluated and GRADE_FREEZE_ON_ERROR decided instead.
        "error": state.error,
        "on_error": state.on_error,
    })
