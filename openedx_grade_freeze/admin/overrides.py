"""
Django admin for the plugin: schedules and their audit (read-only), freeze overrides (editable, audited).
"""
from django import forms
from django.contrib import admin
from django.contrib.messages import ERROR, SUCCESS

from openedx_grade_freeze import api, overrides
from openedx_grade_freeze.admin.base import ReadOnlyAdmin
from openedx_grade_freeze.exceptions import InvalidFreezeConfigurationError
from openedx_grade_freeze.models import (
    BlockedGradeUpdates,
    CourseEndDateChange,
    CourseFreezeOverride,
    CourseSchedule,
    FailedScheduleEvent,
    FreezeConfigChange,
    LearnerRefusals,
    OrgFreezeOverride,
)


@admin.register(CourseSchedule)
class CourseScheduleAdmin(ReadOnlyAdmin):
    """Course schedules as the plugin last saw them published."""

    list_display = ("course_key", "start", "end", "pacing", "source", "source_event_time", "modified")
    list_filter = ("pacing", "source")
    search_fields = ("course_key", "org")
    actions = ["replace_from_course_overview"]

    @admin.action(
        description="Replace from CourseOverview (whatever the stored event time)", permissions=["repair"],
    )
    def replace_from_course_overview(self, request, queryset):
        """Repair schedules held back by a future-stamped event; each end-date change is audited as forced."""
        for schedule in queryset:
            try:
                outcome = api.replace_course_schedule_from_platform(
                    schedule.course_key, who=f"admin:{request.user.get_username()}"
                )
            except Exception as error:  # pylint: disable=broad-except
                self.message_user(request, f"{schedule.course_key}: not replaced ({error})", ERROR)
            else:
                self.message_user(request, f"{schedule.course_key}: {outcome.status}", SUCCESS)

    def has_repair_permission(self, request):
        """Only staff holding the model's change permission may replace schedules (the page itself stays read-only)."""
        return request.user.has_perm("openedx_grade_freeze.change_courseschedule")


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


@admin.register(LearnerRefusals)
class LearnerRefusalsAdmin(ReadOnlyAdmin):
    """Whose grade updates the freeze refused: per course, learner and write path."""

    list_display = ("course_key", "user_id", "source", "count", "first_refused", "last_refused")
    search_fields = ("course_key", "=user_id")


class _OverrideForm(forms.ModelForm):
    """Shows the same validation messages in admin as the API raises in code."""

    def _raise_as_form_errors(self, error):
        for field, messages in error.message_dict.items():
            self.add_error(field if field in self.fields else None, messages)


class CourseFreezeOverrideForm(_OverrideForm):
    """Validates a course override against the course's schedule."""

    class Meta:
        model = CourseFreezeOverride
        fields = ("course_key", "enabled", "offset_days", "freeze_date", "reason")

    def clean(self):
        cleaned = super().clean()
        course_key = cleaned.get("course_key") if "course_key" in self.fields else self.instance.course_key
        if course_key:
            try:
                overrides.validate_course_override(
                    course_key, cleaned.get("enabled"), cleaned.get("offset_days"),
                    cleaned.get("freeze_date"), cleaned.get("reason"),
                )
            except InvalidFreezeConfigurationError as error:
                self._raise_as_form_errors(error)
        return cleaned


class OrgFreezeOverrideForm(_OverrideForm):
    """Validates an org override."""

    class Meta:
        model = OrgFreezeOverride
        fields = ("org", "enabled", "offset_days", "reason")

    def clean(self):
        cleaned = super().clean()
        org = cleaned.get("org") if "org" in self.fields else self.instance.org
        if org:
            try:
                overrides.validate_org_override(
                    org, cleaned.get("enabled"), cleaned.get("offset_days"), cleaned.get("reason")
                )
            except InvalidFreezeConfigurationError as error:
                self._raise_as_form_errors(error)
        return cleaned


class _AuditedOverrideAdmin(admin.ModelAdmin):
    """Saves and deletes through ``overrides``, so admin changes are validated, audited and tracked like API ones."""

    readonly_fields = ("changed_by", "created", "modified")
    key_field = None

    def get_readonly_fields(self, request, obj=None):
        # Saving goes by key: an edited key would leave the original override in force and create a second one.
        if obj is not None:
            return (self.key_field, *self.readonly_fields)
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        obj.pk = self.save_override(obj, request.user).pk

    def delete_model(self, request, obj):
        self.delete_override(obj, f"Deleted in admin. Last reason: {obj.reason}", request.user)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)


@admin.register(CourseFreezeOverride)
class CourseFreezeOverrideAdmin(_AuditedOverrideAdmin):
    """Per-course freeze overrides; every save and delete is audited and emits a tracking event."""

    form = CourseFreezeOverrideForm
    key_field = "course_key"
    list_display = ("course_key", "enabled", "offset_days", "freeze_date", "changed_by", "modified")
    search_fields = ("course_key",)

    def save_override(self, obj, user):
        return overrides.set_course_override(
            obj.course_key, enabled=obj.enabled, offset_days=obj.offset_days, freeze_date=obj.freeze_date,
            reason=obj.reason, user=user,
        )

    def delete_override(self, obj, reason, user):
        overrides.delete_course_override(obj.course_key, reason=reason, user=user)


@admin.register(OrgFreezeOverride)
class OrgFreezeOverrideAdmin(_AuditedOverrideAdmin):
    """Per-org freeze overrides; every save and delete is audited and emits a tracking event."""

    form = OrgFreezeOverrideForm
    key_field = "org"
    list_display = ("org", "enabled", "offset_days", "changed_by", "modified")
    search_fields = ("org",)

    def save_override(self, obj, user):
        return overrides.set_org_override(
            obj.org, enabled=obj.enabled, offset_days=obj.offset_days, reason=obj.reason, user=user
        )

    def delete_override(self, obj, reason, user):
        overrides.delete_org_override(obj.org, reason=reason, user=user)


@admin.register(FreezeConfigChange)
class FreezeConfigChangeAdmin(ReadOnlyAdmin):
    """Who changed which override, when, why, and from what to what."""

    list_display = ("created", "scope", "key", "action", "changed_by", "reason")
    list_filter = ("scope", "action")
    search_fields = ("key", "reason")
    date_hierarchy = "created"

