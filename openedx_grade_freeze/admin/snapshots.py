"""
Django admin for final-grade snapshots: runs, frozen grades, learners not frozen yet, and the audit log (read-only).
"""
from django.contrib import admin
from django.contrib.auth import get_user_model

from openedx_grade_freeze.admin.base import ReadOnlyAdmin
from openedx_grade_freeze.models import FreezeFailure, FreezeRun, FrozenGrade, SnapshotAuditEntry


class ByUsernameSearch:
    """Search by course key; a number is a user id and a username is looked up in the user table (both exact)."""

    search_fields = ("course_key",)

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if term.isdigit():
            return queryset.filter(user_id=int(term)), False
        results, duplicates = super().get_search_results(request, queryset, search_term)
        if term:
            user_ids = get_user_model().objects.filter(username=term).values_list("pk", flat=True)
            results |= queryset.filter(user_id__in=list(user_ids))
        return results, duplicates


@admin.register(FreezeRun)
class FreezeRunAdmin(ReadOnlyAdmin):
    """Each run that took (or is taking) a course's snapshot, with its counts."""

    list_display = (
        "pk", "course_key", "status", "retired", "freeze_date", "learners", "frozen", "no_grade", "failed",
        "skipped", "resent", "trigger", "started_by", "created", "completed_at",
    )
    list_filter = ("status", "retired", "trigger")
    search_fields = ("course_key",)
    date_hierarchy = "created"


@admin.register(FrozenGrade)
class FrozenGradeAdmin(ByUsernameSearch, ReadOnlyAdmin):
    """Each learner's frozen final grade, per run."""

    list_display = (
        "user_id", "course_key", "run", "has_grade", "percent_grade", "letter_grade", "passed", "grade_modified",
        "frozen_at", "refrozen",
    )
    list_filter = ("has_grade", "passed", "refrozen")
    list_select_related = ("run",)


@admin.register(FreezeFailure)
class FreezeFailureAdmin(ByUsernameSearch, ReadOnlyAdmin):
    """Learners a run could not freeze yet, with why and when they are tried again."""

    list_display = ("user_id", "run", "reason", "attempts", "next_attempt_at", "resolved_at", "skipped")
    list_filter = ("skipped",)
    search_fields = ("run__course_key",)


@admin.register(SnapshotAuditEntry)
class SnapshotAuditEntryAdmin(ByUsernameSearch, ReadOnlyAdmin):
    """Who froze, unfroze or re-froze final grades, when and why."""

    list_display = ("created", "course_key", "action", "run", "user_id", "changed_by", "reason")
    list_filter = ("action",)
    date_hierarchy = "created"
