"""
Django admin: every course the plugin knows, with its freeze state now, filterable by state and upcoming window.
"""
from datetime import datetime, timedelta, timezone

from django.contrib import admin

from openedx_grade_freeze import api
from openedx_grade_freeze.admin.base import ReadOnlyAdmin
from openedx_grade_freeze.models import CourseFreezeOverview

STATE_FROZEN, STATE_OPEN, STATE_OFF, STATE_ERROR = "frozen", "open", "off", "error"


def _state_of(course_key):
    """``(state name, FreezeState, error text)`` for one course now; "error" when GRADE_FREEZE_ON_ERROR decided."""
    state = api.get_freeze_state(course_key)
    if state.error:
        return STATE_ERROR, state, state.error
    if state.frozen:
        return STATE_FROZEN, state, ""
    return (STATE_OPEN if state.enabled else STATE_OFF), state, ""


def _keep(queryset, predicate):
    """The rows whose course satisfies ``predicate(name, state)``: the state is computed, not stored."""
    keep = [
        pk for pk, course_key in queryset.values_list("pk", "course_key")
        if predicate(*_state_of(course_key)[:2])
    ]
    return queryset.filter(pk__in=keep)


class FreezeStateFilter(admin.SimpleListFilter):
    """Frozen, open, freeze off, or not computable."""

    title = "freeze state"
    parameter_name = "freeze_state"

    def lookups(self, request, model_admin):
        return (
            (STATE_FROZEN, "Frozen"), (STATE_OPEN, "Not frozen yet"), (STATE_OFF, "Freeze off"),
            (STATE_ERROR, "Configuration error"),
        )

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        return _keep(queryset, lambda name, state: name == self.value())


class UpcomingFilter(admin.SimpleListFilter):
    """Courses not frozen yet whose freeze date falls within the next N days."""

    title = "freezes within"
    parameter_name = "upcoming_days"

    def lookups(self, request, model_admin):
        return (("7", "7 days"), ("14", "14 days"), ("30", "30 days"), ("90", "90 days"))

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        horizon = datetime.now(timezone.utc) + timedelta(days=int(self.value()))
        return _keep(
            queryset,
            lambda name, state: name == STATE_OPEN and state.freeze_date is not None and state.freeze_date <= horizon,
        )


@admin.register(CourseFreezeOverview)
class CourseFreezeOverviewAdmin(ReadOnlyAdmin):
    """Each known course's freeze state now, its freeze date and the configuration layer that decided it."""

    list_display = ("course_key", "freeze_state", "freeze_date", "deciding_layer", "snapshot", "end", "pacing")
    list_filter = (FreezeStateFilter, UpcomingFilter, "pacing")
    search_fields = ("course_key", "org")
    ordering = ("course_key",)

    @admin.display(description="state")
    def freeze_state(self, obj):
        name, state, error = _state_of(obj.course_key)
        if error:
            return f"{name} ({'frozen' if state.frozen else 'not frozen'} by GRADE_FREEZE_ON_ERROR): {error}"
        return name

    @admin.display(description="freeze date")
    def freeze_date(self, obj):
        return _state_of(obj.course_key)[1].freeze_date

    @admin.display(description="final-grade snapshot")
    def snapshot(self, obj):
        entry = api.CourseListEntry(obj.course_key, _state_of(obj.course_key)[1], "")
        return api.with_snapshot_labels([entry])[0].snapshot

    @admin.display(description="decided by")
    def deciding_layer(self, obj):
        return _state_of(obj.course_key)[1].source
