"""
The course freeze status page: what the freeze means for one course, for its staff, instructors and global staff;
its form to request an exception for one learner, and its list of refused learners as CSV.
"""
import csv
import re
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from openedx_grade_freeze import api
from openedx_grade_freeze.dates import isoformat, parse_window_end

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


# The fields of the request form (the dashboard section's form fills them in with a GET).
_FORM_FIELDS = ("user", "until", "reason")


def _readable_course(request, course_id):
    """The course key, or the answer to give instead (404 for an invalid or unknown course, 403 for outsiders)."""
    try:
        course_key = api.to_course_key(course_id)
    except api.InvalidCourseKeyError as error:
        raise Http404(str(error)) from error
    if not api.can_read_course_status(request.user, course_key):
        return None, render(request, "openedx_grade_freeze/forbidden.html", {"course_id": str(course_key)},
                            status=403)
    return course_key, None


def _status_or_404(course_key):
    try:
        return api.get_course_status(course_key)
    except api.UnknownCourseError as error:
        raise Http404(str(error)) from error


def _page(request, course_key, form_values=None, form_errors=None, http_status=200):
    status = _status_or_404(course_key)
    points = _timeline(status)
    freeze = next((point for point in points if point.key == "freeze"), None)
    values = form_values if form_values is not None else {name: request.GET.get(name, "") for name in _FORM_FIELDS}
    return render(request, "openedx_grade_freeze/course_status.html", {
        "status": status,
        "state": status.state,  # the settings behind the status (on_error, explicit_freeze_date)
        "points": points,
        "freeze_x": freeze.x if freeze else None,
        "line": {"left": _LEFT, "right": _RIGHT, "width": _WIDTH},
        "help_url": getattr(settings, "GRADE_FREEZE_EXCEPTION_HELP_URL", None),
        "refused_learner_count": status.refused_learners.learner_count(),
        "recent_refused_learners": status.refused_learners.most_recent(RECENT_REFUSED_LEARNERS),
        "exceptions": status.learner_exceptions,
        "form": values,
        "form_errors": form_errors or {},
        # Errors not about one field of the form (who may request, the course).
        "form_general_errors": [message for field, messages in (form_errors or {}).items()
                                if field not in _FORM_FIELDS for message in messages],
        "requested": request.GET.get("requested", ""),
    }, status=http_status)


@require_GET
@login_required
def course_status_page(request, course_id):
    """``GET /api/grade_freeze/status/<course_id>/``: the freeze state, timeline and what to do about it."""
    course_key, refusal = _readable_course(request, course_id)
    if refusal is not None:
        return refusal
    return _page(request, course_key)


@require_POST
@login_required
def request_exception(request, course_id):
    """``POST /api/grade_freeze/status/<course_id>/exceptions``: ask for an exception for one learner (the course's
    staff and instructors, global staff), then show the page again; errors are shown on the form."""
    course_key, refusal = _readable_course(request, course_id)
    if refusal is not None:
        return refusal
    values = {name: request.POST.get(name, "").strip() for name in _FORM_FIELDS}
    errors, http_status = {}, 400
    try:
        until = parse_window_end(values["until"]) if values["until"] else None
    except ValueError:
        errors["until"] = [f"Give a date (2026-12-20) or a date and time, not {values['until']!r}."]
    try:
        learner = api.find_user(values["user"])
    except api.UnknownUserError as error:
        errors["user"] = [str(error)]
    if not errors:
        try:
            record = api.request_learner_exception(course_key, learner, reason=values["reason"], until=until,
                                                   user=request.user)
        except api.InvalidLearnerExceptionError as error:
            errors = error.message_dict
        except api.LearnerExceptionNotAllowedError as error:
            errors, http_status = {"__all__": [str(error)]}, 403
        else:
            page = reverse("openedx_grade_freeze:course_status_page", args=[str(course_key)])
            return HttpResponseRedirect(f"{page}?requested={record.id}#learner-exceptions", status=303)
    return _page(request, course_key, values, errors, http_status)


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
    course_key, refusal = _readable_course(request, course_id)
    if refusal is not None:
        return refusal
    status = _status_or_404(course_key)
    response = StreamingHttpResponse(_csv_lines(status), content_type="text/csv; charset=utf-8")
    filename = re.sub(r"[^A-Za-z0-9.-]+", "_", str(status.course_key))
    response["Content-Disposition"] = f'attachment; filename="refused-learners-{filename}.csv"'
    return response
