"""
Django admin: every course the plugin knows, with its status now, filterable by phase and upcoming window.
"""
from django.contrib import admin

from openedx_grade_freeze import api
from openedx_grade_freeze.admin.base import ReadOnlyAdmin
from openedx_grade_freeze.models import CourseFreezeOverview
from openedx_grade_freeze.status import PHASE_ERROR


def _status(obj):
    """The row's ``CourseStatus`` now, read once per row and page."""
    if not hasattr(obj, "_grade_freeze_status"):
        obj._grade_freeze_status = api.get_course_status(obj.course_key)  # pylint: disable=protected-access
    return obj._grade_freeze_status  # pylint: disable=protected-access


def _keep(queryset, predicate):
    """The rows whose course's status satisfies ``predicate``: the status is computed, not stored."""
    keep = [pk for pk, course_key in queryset.values_list("pk", "course_key")
            if predicate(api.get_course_status(course_key))]
    return queryset.filter(pk__in=keep)


class FreezeStateFilter(admin.SimpleListFilter):
    """The course's phase: not frozen yet, no freeze date yet, frozen, freeze off, or not computable."""

    title = "freeze state"
    parameter_name = "freeze_state"

    def lookups(self, request, model_admin):
        return api.PHASES

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        return _keep(queryset, lambda status: status.phase == self.value())


class UpcomingFilter(admin.SimpleListFilter):
    """Courses about to freeze: not frozen yet, with a freeze date within the next N days."""

    title = "freezes within"
    parameter_name = "upcoming_days"

    def lookups(self, request, model_admin):
        return (("7", "7 days"), ("14", "14 days"), ("30", "30 days"), ("90", "90 days"))

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        return _keep(queryset, lambda status: status.freezes_within(int(self.value())))


@admin.register(CourseFreezeOverview)
class CourseFreezeOverviewAdmin(ReadOnlyAdmin):
    """Each known course's phase now, its freeze date and the configuration layer that decided it."""

    list_display = ("course_key", "freeze_state", "freeze_date", "deciding_layer", "snapshot", "end", "pacing")
    list_filter = (FreezeStateFilter, UpcomingFilter, "pacing")
    search_fields = ("course_key", "org")
    ordering = ("course_key",)

    @admin.display(description="state")
    def freeze_state(self, obj):
        status = _status(obj)
        if status.phase == PHASE_ERROR:
            frozen = "frozen" if status.frozen else "not frozen"
            return f"{status.phase} ({frozen} by GRADE_FREEZE_ON_ERROR): {status.configuration_error}"
        return status.phase

    @admin.display(description="freeze date")
    def freeze_date(self, obj):
        return _status(obj).freeze_date

    @admin.display(description="final-grade snapshot")
    def snapshot(self, obj):
        return _status(obj).snapshot.label

    @admin.display(description="decided by")
    def deciding_layer(self, obj):
        return _status(obj).decided_by
