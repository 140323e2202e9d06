"""
Django admin for Credentials forwarding: the grade ledger, the outbox of deliveries, paused Credentials URLs, refused
and kept grade events, and grade drift after a freeze.
"""
from django.contrib import admin, messages

from openedx_grade_freeze.admin.base import ReadOnlyAdmin
from openedx_grade_freeze.credentials import breaker, outbox, sending
from openedx_grade_freeze.models import (
    DELIVERY_FAILED,
    DELIVERY_PAUSED,
    DELIVERY_PENDING,
    DELIVERY_REJECTED,
    DELIVERY_WAITING,
    CourseGradeRecord,
    CredentialsDelivery,
    CredentialsPause,
    FrozenGradeDrift,
    RefusedGradeValue,
    UnrecordedGradeEvent,
)


@admin.register(CourseGradeRecord)
class CourseGradeRecordAdmin(ReadOnlyAdmin):
    """Each learner's newest course grade, as forwarded to Credentials."""

    list_display = ("user_id", "course_key", "percent_grade", "letter_grade", "passed", "last_modified")
    list_filter = ("passed",)
    search_fields = ("=user_id", "course_key")
    date_hierarchy = "last_modified"


@admin.register(CredentialsDelivery)
class CredentialsDeliveryAdmin(ReadOnlyAdmin):
    """The outbox: what is being kept current in Credentials, and how the last attempt went."""

    list_display = (
        "subject", "kind", "status", "attempts", "next_attempt_at", "response_status", "last_error", "sent_at",
        "modified",
    )
    list_filter = ("status", "kind", "certificate_type")
    search_fields = ("=user_id", "course_key")
    actions = ("send_again",)

    @admin.display(description="Subject", ordering="course_key")
    def subject(self, delivery):
        """What the delivery keeps current, in words."""
        return delivery.subject_label

    def has_resend_permission(self, request):
        """Re-queuing is for those who may change deliveries (superusers, or the model's change permission)."""
        return request.user.has_perm("openedx_grade_freeze.change_credentialsdelivery")

    @admin.action(description="Send again now (the newest value; failed and rejected too)", permissions=["resend"])
    def send_again(self, request, queryset):
        """Mark the selected deliveries pending again and queue them."""
        ids = list(
            queryset.filter(status__in=(
                DELIVERY_PENDING, DELIVERY_FAILED, DELIVERY_REJECTED, DELIVERY_WAITING, DELIVERY_PAUSED,
            ))
            .values_list("pk", flat=True)
        )
        for row in CredentialsDelivery.objects.filter(pk__in=ids):
            outbox.submit(outbox.delivery_subject(row))
        self.message_user(request, f"Queued {len(ids)} deliveries.", messages.SUCCESS)


@admin.register(FrozenGradeDrift)
class FrozenGradeDriftAdmin(ReadOnlyAdmin):
    """Grade changes seen after a course's freeze date: kept out of the ledger and out of Credentials."""

    list_display = (
        "user_id", "course_key", "frozen_percent_grade", "percent_grade", "last_modified", "freeze_date", "created",
    )
    search_fields = ("=user_id", "course_key")


@admin.register(CredentialsPause)
class CredentialsPauseAdmin(ReadOnlyAdmin):
    """Paused Credentials URLs (the circuit breaker): a row disappears by itself when a probe succeeds."""

    list_display = ("base_url", "status_code", "reason", "created", "probes", "next_probe_at")
    actions = ("resume_now",)

    def has_resume_permission(self, request):
        """Resuming is for those who may change deliveries."""
        return request.user.has_perm("openedx_grade_freeze.change_credentialsdelivery")

    @admin.action(description="Resume now (e.g. a URL no longer configured); paused deliveries are sent again",
                  permissions=["resume"])
    def resume_now(self, request, queryset):
        """Lift the selected pauses and make every paused delivery due; a URL still broken is paused again."""
        urls = list(queryset.values_list("base_url", flat=True))
        for url in urls:
            breaker.resume(url)
        count = sending.resume_paused()
        self.message_user(request, f"Resumed {len(urls)} URLs; {count} deliveries are due.", messages.SUCCESS)


@admin.register(RefusedGradeValue)
class RefusedGradeValueAdmin(ReadOnlyAdmin):
    """Grade events with values no course grade can have: not recorded, not sent."""

    list_display = ("user_id", "course_key", "percent_grade", "reason", "event_id", "created")
    list_filter = ("reason",)
    search_fields = ("=user_id", "course_key", "event_id")


@admin.register(UnrecordedGradeEvent)
class UnrecordedGradeEventAdmin(ReadOnlyAdmin):
    """Grade events the ledger could not record: the next drain records and sends them, then deletes the row."""

    list_display = ("user_id", "course_key", "last_modified", "event_id", "error", "created")
    search_fields = ("=user_id", "course_key", "event_id")
