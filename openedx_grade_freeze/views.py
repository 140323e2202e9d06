"""
The course freeze status page, and its list of refused learners as CSV: what the freeze means for one course, for its
staff, instructors and global staff.
"""
import csv
import re
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from openedx_grade_freeze import api
from openedx_grade_freeze.dates import isoformat

# The timeline's drawing area, in SVG user units (the SVG scales to the page width).
_WIDTH, _LEFT, _RIGHT = 640, 40, 600
# The status page lists the learners refused last; the CSV has them all.
RECENT_REFUSED_LEARNERS = 20
CSV_COLUMNS = ("course_id", "user_id", "username", "source", "count", "first_refused", "last_refused")


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


class _Refused(Exception):
    """The caller may not read the course's status: answer with this page."""

    def __init__(self, response):
        super().__init__()
        self.response = response


def _readable_status(request, course_id):
    """The course's status, for a caller allowed to read it: 404 for an invalid or unknown course, 403 otherwise."""
    try:
        course_key = api.to_course_key(course_id)
    except api.InvalidCourseKeyError as error:
        raise Http404(str(error)) from error
    if not api.can_read_course_status(request.user, course_key):
        raise _Refused(render(request, "openedx_grade_freeze/forbidden.html", {"course_id": str(course_key)},
                              status=403))
    try:
        return api.get_course_status(course_key)
    except api.UnknownCourseError as error:
        raise Http404(str(error)) from error


@require_GET
@login_required
def course_status_page(request, course_id):
    """``GET /api/grade_freeze/status/<course_id>/``: the freeze state, timeline and what to do about it."""
    try:
        status = _readable_status(request, course_id)
    except _Refused as refused:
        return refused.response
    points = _timeline(status)
    freeze = next((point for point in points if point.key == "freeze"), None)
    return render(request, "openedx_grade_freeze/course_status.html", {
        "status": status,
        "state": status.state,  # the settings behind the status (on_error, explicit_freeze_date)
        "points": points,
        "freeze_x": freeze.x if freeze else None,
        "line": {"left": _LEFT, "right": _RIGHT, "width": _WIDTH},
        "help_url": getattr(settings, "GRADE_FREEZE_EXCEPTION_HELP_URL", None),
        "refused_learner_count": status.refused_learners.learner_count(),
        "recent_refused_learners": status.refused_learners.most_recent(RECENT_REFUSED_LEARNERS),
    })


class _Lines:
    """What ``csv.writer`` writes, handed back line by line."""

    def write(self, line):
        return line


# A spreadsheet runs a cell that starts with one of these as a formula: such a cell gets a leading apostrophe.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value):
    value = "" if value is None else str(value)
    return f"'{value}" if value.startswith(_FORMULA_START) else value


def _csv_lines(status):
    writer = csv.writer(_Lines())
    yield writer.writerow(CSV_COLUMNS)
    for entry in status.refused_learners:
        yield writer.writerow([_cell(value) for value in (
            status.course_key, entry.user_id, entry.username, entry.source, entry.count,
            isoformat(entry.first_refused), isoformat(entry.last_refused),
        )])


@require_GET
@login_required
def refused_learners_csv(request, course_id):
    """``GET /api/grade_freeze/status/<course_id>/refused.csv``: every learner the freeze refused, for a spreadsheet."""
    try:
        status = _readable_status(request, course_id)
    except _Refused as refused:
        return refused.response
    response = StreamingHttpResponse(_csv_lines(status), content_type="text/csv; charset=utf-8")
    filename = re.sub(r"[^A-Za-z0-9.-]+", "_", str(status.course_key))
    response["Content-Disposition"] = f'attachment; filename="refused-learners-{filename}.csv"'
    return response
