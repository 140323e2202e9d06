"""
Forwarding grades and certificate dates to Credentials: the grade ledger, the outbox, paused URLs, drift, and
grade events refused or kept (see docs/decisions/0005).
"""
from django.db import models
from model_utils.fields import AutoCreatedField
from model_utils.models import TimeStampedModel
from opaque_keys.edx.django.models import CourseKeyField

DELIVERY_GRADE = "grade"
DELIVERY_CERTIFICATE_DATE = "certificate_date"
DELIVERY_KIND_CHOICES = ((DELIVERY_GRADE, "Course grade"), (DELIVERY_CERTIFICATE_DATE, "Certificate available date"))

# The columns that say what a delivery keeps current (its subject); unique together.
DELIVERY_SUBJECT_FIELDS = ("user_id", "course_key", "kind", "certificate_type")

DELIVERY_PENDING = "pending"
DELIVERY_SENT = "sent"
DELIVERY_FAILED = "failed"
DELIVERY_REJECTED = "rejected"
DELIVERY_SKIPPED = "skipped"
DELIVERY_WAITING = "waiting"
DELIVERY_PAUSED = "paused"
DELIVERY_STATUS_CHOICES = (
    (DELIVERY_PENDING, "Pending"),
    (DELIVERY_SENT, "Sent"),
    (DELIVERY_FAILED, "Failed (see the last error; re-driven periodically when a next attempt is set)"),
    (DELIVERY_REJECTED, "Rejected by Credentials (a payload bug)"),
    (DELIVERY_SKIPPED, "Skipped (not forwarded by configuration)"),
    (DELIVERY_WAITING, "Waiting for Credentials' catalog to know the course run"),
    (DELIVERY_PAUSED, "Paused (its Credentials URL is paused; resumes after a successful probe)"),
)
# Not sent yet, and to be sent without anyone's action.
DELIVERY_UNSENT = (DELIVERY_PENDING, DELIVERY_WAITING, DELIVERY_PAUSED)


class CourseGradeRecord(TimeStampedModel):
    """
    The ledger: each learner's latest persisted course grade and when it was last modified.

    .. pii: A learner's course grade, keyed by user id; kept for forwarding to Credentials.
    .. pii_types: id, other
    .. pii_retirement: retained
    """

    user_id = models.PositiveBigIntegerField()
    course_key = CourseKeyField(max_length=255, db_index=True)
    percent_grade = models.FloatField()
    letter_grade = models.CharField(max_length=255, blank=True, default="")
    passed = models.BooleanField(default=False)
    passed_timestamp = models.DateTimeField(null=True, blank=True)
    last_modified = models.DateTimeField(
        db_index=True, help_text="The grade's last modification in the LMS (or the event time); newest wins."
    )
    source_event_id = models.CharField(max_length=64, blank=True, default="")
    source_event_time = models.DateTimeField(null=True, blank=True)

    class Meta:
        app_label = "openedx_grade_freeze"
        constraints = [
            models.UniqueConstraint(fields=("user_id", "course_key"), name="grade_freeze_grade_record_user_course"),
        ]

    def __str__(self):
        return f"user {self.user_id} in {self.course_key}: {self.percent_grade} ({self.last_modified})"


class CredentialsDelivery(TimeStampedModel):
    """
    Outbox row: one thing to keep current in Credentials (a learner's course grade, a course's certificate date).

    There is one row per subject (``DELIVERY_SUBJECT_FIELDS``: the learner, the course run, the kind and the
    certificate type); each change marks it pending again and a send always reads the latest value.

    .. pii: The learner's user id for grade deliveries; answers are stored short, the username redacted.
    .. pii_types: id
    .. pii_retirement: local_api
    """

    kind = models.CharField(max_length=32, choices=DELIVERY_KIND_CHOICES)
    user_id = models.PositiveBigIntegerField(default=0, help_text="The learner of a grade; 0 for a certificate date.")
    course_key = CourseKeyField(max_length=255, db_index=True)
    certificate_type = models.CharField(
        max_length=64, blank=True, default="", help_text="A certificate date's certificate type; empty for a grade."
    )
    status = models.CharField(max_length=16, choices=DELIVERY_STATUS_CHOICES, default=DELIVERY_PENDING)
    generation = models.PositiveIntegerField(default=0, help_text="Bumped on every change; a send compares it.")
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    lease_token = models.CharField(max_length=32, blank=True, default="")
    lease_expires_at = models.DateTimeField(
        null=True, blank=True, help_text="A worker is sending until then; after it another may take over."
    )
    last_error = models.TextField(blank=True, default="")
    response_status = models.IntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True, default="")
    sent_last_modified = models.DateTimeField(
        null=True, blank=True, help_text="Last-modified time of the newest value Credentials stored."
    )
    sent_payload = models.JSONField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    waiting_since = models.DateTimeField(
        null=True, blank=True, help_text="When Credentials' catalog first answered that it does not know the run."
    )

    class Meta:
        app_label = "openedx_grade_freeze"
        verbose_name_plural = "Credentials deliveries"
        constraints = [
            # Every column is non-null (0 and "" where they do not apply): NULLs never conflict in a unique index.
            # The index also serves lookups by user_id alone.
            models.UniqueConstraint(fields=DELIVERY_SUBJECT_FIELDS, name="grade_freeze_delivery_subject"),
        ]
        indexes = [
            models.Index(fields=("status", "next_attempt_at"), name="grade_freeze_delivery_due"),
        ]

    @property
    def subject_label(self):
        """What the row keeps current, in words."""
        if self.kind == DELIVERY_GRADE:
            return f"Grade of user {self.user_id} in {self.course_key}"
        return f"{self.certificate_type} certificate date of {self.course_key}"

    def __str__(self):
        return f"{self.subject_label} [{self.status}]"


class FrozenGradeDrift(models.Model):
    """
    A grade change seen for a course past its freeze date: recorded here, not stored in the ledger nor forwarded.

    .. pii: A learner's changed course grade, keyed by user id.
    .. pii_types: id, other
    .. pii_retirement: retained
    """

    user_id = models.PositiveBigIntegerField(db_index=True)
    course_key = CourseKeyField(max_length=255, db_index=True)
    percent_grade = models.FloatField()
    letter_grade = models.CharField(max_length=255, blank=True, default="")
    passed = models.BooleanField(default=False)
    last_modified = models.DateTimeField()
    frozen_percent_grade = models.FloatField(null=True, blank=True, help_text="The ledger's (frozen) grade.")
    frozen_letter_grade = models.CharField(max_length=255, blank=True, default="")
    freeze_date = models.DateTimeField(null=True, blank=True)
    source_event_id = models.CharField(max_length=64, blank=True, default="")
    created = AutoCreatedField(db_index=True)

    class Meta:
        app_label = "openedx_grade_freeze"
        ordering = ("-created",)

    def __str__(self):
        return f"user {self.user_id} in {self.course_key}: {self.frozen_percent_grade} -> {self.percent_grade}"


class CredentialsPause(TimeStampedModel):
    """
    A paused Credentials URL (the circuit breaker): it answered a redirect, 401, 403 or 404, so nothing is sent there
    but one probe an interval; a successful probe deletes the row and resumes every paused delivery.

    .. no_pii:
    """

    base_url = models.CharField(max_length=255, unique=True)
    status_code = models.IntegerField(null=True, blank=True)
    reason = models.TextField()
    next_probe_at = models.DateTimeField()
    probes = models.PositiveIntegerField(default=0, help_text="Probes that failed since the pause began.")

    class Meta:
        app_label = "openedx_grade_freeze"

    def __str__(self):
        return f"{self.base_url} paused (HTTP {self.status_code})"


class RefusedGradeValue(models.Model):
    """
    A grade event whose values no course grade can have (NaN, infinity, a percentage outside 0..1): not recorded.

    .. pii: The learner's user id and the impossible grade value.
    .. pii_types: id, other
    .. pii_retirement: retained
    """

    user_id = models.PositiveBigIntegerField(db_index=True)
    course_key = CourseKeyField(max_length=255, db_index=True)
    percent_grade = models.CharField(max_length=64, help_text="The value as the event carried it.")
    letter_grade = models.CharField(max_length=255, blank=True, default="")
    event_id = models.CharField(max_length=64, blank=True, default="")
    reason = models.CharField(max_length=255)
    created = AutoCreatedField(db_index=True)

    class Meta:
        app_label = "openedx_grade_freeze"
        ordering = ("-created",)

    def __str__(self):
        return f"user {self.user_id} in {self.course_key}: {self.percent_grade} ({self.reason})"


class UnrecordedGradeEvent(models.Model):
    """
    A grade event the ledger could not record (a database error): kept so the next drain records and sends it.

    .. pii: A learner's course grade, keyed by user id; deleted once recorded.
    .. pii_types: id, other
    .. pii_retirement: retained
    """

    user_id = models.PositiveBigIntegerField()
    course_key = CourseKeyField(max_length=255)
    percent_grade = models.FloatField()
    letter_grade = models.CharField(max_length=255, blank=True, default="")
    passed_timestamp = models.DateTimeField(null=True, blank=True)
    last_modified = models.DateTimeField()
    event_id = models.CharField(max_length=64, blank=True, default="")
    event_time = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True, default="")
    created = AutoCreatedField()

    class Meta:
        app_label = "openedx_grade_freeze"
        ordering = ("last_modified", "id")

    def __str__(self):
        return f"user {self.user_id} in {self.course_key} at {self.last_modified}"
