"""
The course freeze status page: what the freeze means for one course, for its staff, instructors and global staff.
"""
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from openedx_grade_freeze import api

# The timeline's drawing area, in SVG user units (the SVG scales to the page width).
_WIDTH, _LEFT, _RIGHT = 640, 40, 600


@dataclass(frozen=True)
class TimelinePoint:
    """One labelled date on the status page's timeline."""

    key: str
    label: str
    date: object
    x: float
    label_y: int
    anchor: str


def _timeline(status):
    """Place the course start, end, freeze date and today on one horizontal scale."""
    state = status.state
    dates = [
        ("start", "Course start", status.course_start, 22),
        ("end", "Course end", state.course_end, 132),
        ("freeze", "Grades freeze", status.freeze_date if state.enabled else None, 44),
        ("today", "Today", status.generated_at, 154),
    ]
    known = [date for _, _, date, _ in dates if date is not None]
    first, last = min(known), max(known)
    if last - first < timedelta(days=1):
        first, last = first - timedelta(days=30), last + timedelta(days=30)
    span = (last - first).total_seconds()
    points = []
    for key, label, date, label_y in dates:
        if date is None:
            continue
        share = (date - first).total_seconds() / span
        anchor = "start" if share < 0.2 else "end" if share > 0.8 else "middle"
        points.append(TimelinePoint(key, label, date, round(_LEFT + share * (_RIGHT - _LEFT), 1), label_y, anchor))
    return points


@require_GET
@login_required
def course_status_page(request, course_id):
    """``GET /api/grade_freeze/status/<course_id>/``: the freeze state, timeline and what to do about it."""
    try:
        course_key = api.to_course_key(course_id)
    except api.InvalidCourseKeyError as error:
        raise Http404(str(error)) from error
    if not api.can_read_course_status(request.user, course_key):
        return render(request, "openedx_grade_freeze/forbidden.html", {"course_id": str(course_key)}, status=403)
    try:
        status = api.get_course_status(course_key)
    except api.UnknownCourseError as error:
        raise Http404(str(error)) from error
    points = _timeline(status)
    freeze = next((point for point in points if point.key == "freeze"), None)
    return render(request, "openedx_grade_freeze/course_status.html", {
        "status": status,
        "state": status.state,  # the settings behind the status (on_error, explicit_freeze_date)
        "points": points,
        "freeze_x": freeze.x if freeze else None,
        "line": {"left": _LEFT, "right": _RIGHT, "width": _WIDTH},
        "help_url": getattr(settings, "GRADE_FREEZE_EXCEPTION_HELP_URL", None),
    })
