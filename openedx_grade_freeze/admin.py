"""
Django admin for the plugin: schedules and their audit (read-only), freeze overrides (editable, audited).
"""
from django.contrib import admin

from openedx_grade_freeze.models import (
    BlockedGradeUpdates,
    CourseEndDateChange,
    CourseSchedule,
    FailedScheduleEvent,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """An admin page that shows records and lets nobody add, edit or delete them."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CourseSchedule)
class CourseScheduleAdmin(ReadOnlyAdmin):
    """Course schedules as the plugin last saw them published."""

    list_display = ("course_key", "start", "end", "pacing", "source", "source_event_time", "modified")
    list_filter = ("pacing", "source")
    search_fields = ("course_key", "org")


@admin.register(CourseEndDateChange)
class CourseEndDateChangeAdmin(ReadOnlyAdmin):
    """Every course end-date change, with the event that caused it."""

    list_display = (
        "course_key", "previous_end", "new_end", "previous_freeze_date", "new_freeze_date", "source", "event_time",
        "created",
    )
    list_filter = ("source", "pacing")
    search_fields = ("course_key", "event_id")
    date_hierarchy = "created"


@admin.register(FailedScheduleEvent)
class FailedScheduleEventAdmin(ReadOnlyAdmin):
    """Schedule events that could not be applied; replay with ``sync_course_schedules --failed``."""

    list_display = ("course_key", "event_id", "event_time", "created", "resolved")
    list_filter = ("resolved",)
    search_fields = ("course_key", "event_id")


@admin.register(BlockedGradeUpdates)
class BlockedGradeUpdatesAdmin(ReadOnlyAdmin):
    """How many grade updates the freeze refused, per course and write path."""

    list_display = ("course_key", "source", "total", "last_reported")
    search_fields = ("course_key",)
