"""
Learner exceptions: one learner's grades in one course may change for a window although the course is frozen; each
is requested, approved, closed and re-frozen, and every step is audited (see docs/decisions/0020).
"""
from django.conf import settings
from django.db import models
from model_utils.fields import AutoCreatedField
from model_utils.models import TimeStampedModel
from opaque_keys.edx.django.models import CourseKeyField

EXCEPTION_REQUESTED = "requested"
EXCEPTION_OPEN = "open"
EXCEPTION_CLOSED = "closed"
EXCEPTION_STATUS_CHOICES = (
    (EXCEPTION_REQUESTED, "Requested, waiting for approval"),
    (EXCEPTION_OPEN, "Approved: the learner's grades may change until it closes"),
    (EXCEPTION_CLOSED, "Closed"),
)

CLOSED_EXPIRED = "expired"
CLOSED_EARLY = "closed"
CLOSED_REVOKED = "revoked"
CLOSED_HOW_CHOICES = (
    ("", "Not closed"),
    (CLOSED_EXPIRED, "Its window ended"),
    (CLOSED_EARLY, "Closed early"),
    (CLOSED_REVOKED, "Revoked before it opened"),
)


class LearnerException(TimeStampedModel):
    """
    An exception to the freeze for one learner in one course: why, until when, who asked, approved and closed it,
    and the learner's grade before it and as re-frozen after it (the change record).

    .. pii: The learner's and the staff users' ids, and the reasons: free text that may name people.
    .. pii_types: id, other
    .. pii_retirement: local_api
    """

    course_key = CourseKeyField(max_length=255)
    user_id = models.PositiveBigIntegerField(help_text="The learner whose grades may change.")
    status = models.CharField(max_length=16, choices=EXCEPTION_STATUS_CHOICES, default=EXCEPTION_REQUESTED)
    active_key = models.CharField(
        max_length=300, null=True, blank=True, unique=True, default=None,
        help_text="Course key and user id while requested or open, else empty: one at a time per learner and course.",
    )
    reason = models.TextField(help_text="Why (kept in the audit log).")
    closes_at = models.DateTimeField(help_text="The end of the window: the learner's grades are frozen again then.")
    opens_at = models.DateTimeField(null=True, blank=True, help_text="When it was approved (or granted).")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_how = models.CharField(max_length=16, choices=CLOSED_HOW_CHOICES, blank=True, default="")
    close_reason = models.TextField(blank=True, default="")
    refreeze_after = models.DateTimeField(
        null=True, blank=True, help_text="When the learner's grade is re-taken: once no process lets writes through.",
    )
    refrozen_at = models.DateTimeField(null=True, blank=True)
    refreeze_note = models.TextField(blank=True, default="", help_text="What the re-take did, or why it waits.")
    before = models.JSONField(null=True, blank=True, help_text="The learner's frozen grade when it opened.")
    after = models.JSONField(null=True, blank=True, help_text="The learner's grade as re-frozen when it closed.")

    class Meta:
        app_label = "openedx_grade_freeze"
        ordering = ("-created",)
        indexes = [
            models.Index(fields=("course_key", "status"), name="grade_freeze_exception_course"),
            models.Index(fields=("status", "closes_at"), name="grade_freeze_exception_due"),
            models.Index(fields=("user_id",), name="grade_freeze_exception_user"),
        ]
        permissions = [
            ("approve_learnerexception", "Can approve learner exceptions to the grade freeze"),
        ]

    def __str__(self):
        return f"Exception {self.pk} for user {self.user_id} in {self.course_key} [{self.status}]"


class LearnerExceptionChange(models.Model):
    """
    Audit row: who requested, approved, closed or re-froze a learner exception, when, why, and what changed.

    .. pii: The learner's and the staff user's ids, and the reason: free text that may name people.
    .. pii_types: id, other
    .. pii_retirement: local_api
    """

    ACTION_REQUESTED = "requested"
    ACTION_APPROVED = "approved"
    ACTION_CLOSED = "closed"
    ACTION_REFROZEN = "refrozen"
    ACTION_CHOICES = (
        (ACTION_REQUESTED, "Requested"),
        (ACTION_APPROVED, "Approved"),
        (ACTION_CLOSED, "Closed"),
        (ACTION_REFROZEN, "Re-frozen"),
    )

    exception = models.ForeignKey(LearnerException, on_delete=models.CASCADE, related_name="changes")
    course_key = CourseKeyField(max_length=255, db_index=True)
    user_id = models.PositiveBigIntegerField(help_text="The learner.")
    action = models.CharField(max_length=16, choices=ACTION_CHOICES)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField(blank=True, default="")
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    created = AutoCreatedField(db_index=True)

    class Meta:
        app_label = "openedx_grade_freeze"
        ordering = ("-created", "-pk")

    def __str__(self):
        return f"Exception {self.exception_id} {self.action} ({self.created})"
