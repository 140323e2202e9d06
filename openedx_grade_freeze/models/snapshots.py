"""
Final-grade snapshots: freeze runs, their chunks, frozen grades, learners not frozen yet, and the audit
(see docs/decisions/0011 and 0012).
"""
from django.conf import settings
from django.db import models
from model_utils.fields import AutoCreatedField
from model_utils.models import TimeStampedModel
from opaque_keys.edx.django.models import CourseKeyField

RUN_PENDING = "pending"
RUN_RUNNING = "running"
RUN_COMPLETE = "complete"
RUN_STATUS_CHOICES = ((RUN_PENDING, "Pending"), (RUN_RUNNING, "Running"), (RUN_COMPLETE, "Complete"))

RETIRED_SUPERSEDED = "superseded"
RETIRED_UNFROZEN = "unfrozen"
RETIRED_CHOICES = (
    ("", "Current"),
    (RETIRED_SUPERSEDED, "Superseded (the course is no longer past its freeze date)"),
    (RETIRED_UNFROZEN, "Unfrozen by an operator"),
)

TRIGGER_PERIODIC = "periodic"
TRIGGER_COMMAND = "command"
TRIGGER_CHOICES = ((TRIGGER_PERIODIC, "Periodic task"), (TRIGGER_COMMAND, "freeze_final_grades command"))

CHUNK_PENDING = "pending"
CHUNK_DONE = "done"
CHUNK_STATUS_CHOICES = ((CHUNK_PENDING, "Pending"), (CHUNK_DONE, "Done"))


class FreezeRun(TimeStampedModel):
    """
    One run that takes a course's final-grade snapshot: its status, what started it and, once complete, its counts.

    .. pii: Records which staff user started the run, when it was started by a command.
    .. pii_types: id
    .. pii_retirement: retained
    """

    course_key = CourseKeyField(max_length=255, db_index=True)
    open_course_key = models.CharField(
        max_length=255, null=True, blank=True, unique=True, default=None,
        help_text="The course key while the run is pending or running, else empty: two runs never overlap.",
    )
    current_course_key = models.CharField(
        max_length=255, null=True, blank=True, unique=True, default=None,
        help_text="The course key from the run's start until it is retired, else empty: a course has one open run "
                  "or one current snapshot, never both.",
    )
    status = models.CharField(max_length=16, choices=RUN_STATUS_CHOICES, default=RUN_PENDING)
    retired = models.CharField(max_length=16, choices=RETIRED_CHOICES, blank=True, default="")
    retired_at = models.DateTimeField(null=True, blank=True)
    retired_reason = models.TextField(blank=True, default="")
    trigger = models.CharField(max_length=16, choices=TRIGGER_CHOICES, default=TRIGGER_PERIODIC)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    freeze_date = models.DateTimeField(null=True, blank=True, help_text="The course's freeze date when it started.")
    chunk_size = models.PositiveIntegerField(default=1000)
    learners = models.PositiveIntegerField(default=0)
    frozen = models.PositiveIntegerField(default=0, help_text="Learners with a stored grade, frozen.")
    no_grade = models.PositiveIntegerField(default=0, help_text="Enrolled learners without a stored grade.")
    failed = models.PositiveIntegerField(default=0, help_text="Learners not frozen yet; retried with backoff.")
    skipped = models.PositiveIntegerField(default=0)
    resent = models.PositiveIntegerField(default=0, help_text="Frozen grades re-sent to Credentials to agree.")
    agreed_at = models.DateTimeField(
        null=True, blank=True, help_text="When Credentials was last made to agree with the snapshot; empty: not yet.",
    )
    planned_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        app_label = "openedx_grade_freeze"
        ordering = ("-created",)
        indexes = [models.Index(fields=("course_key", "status", "retired"), name="grade_freeze_run_current")]

    def __str__(self):
        return f"Freeze run {self.pk} of {self.course_key} [{self.status}{' ' + self.retired if self.retired else ''}]"


class FreezeChunk(TimeStampedModel):
    """
    A slice of a run's learners by user id (``first_user_id`` to ``last_user_id``), frozen in one transaction.

    .. no_pii:
    """

    run = models.ForeignKey(FreezeRun, on_delete=models.CASCADE, related_name="chunks")
    index = models.PositiveIntegerField()
    first_user_id = models.PositiveBigIntegerField()
    last_user_id = models.PositiveBigIntegerField()
    status = models.CharField(max_length=16, choices=CHUNK_STATUS_CHOICES, default=CHUNK_PENDING)
    attempts = models.PositiveIntegerField(default=0)
    learners = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True, default="")

    class Meta:
        app_label = "openedx_grade_freeze"
        constraints = [models.UniqueConstraint(fields=("run", "index"), name="grade_freeze_chunk_run_index")]
        indexes = [models.Index(fields=("run", "status"), name="grade_freeze_chunk_status")]

    def __str__(self):
        return f"Chunk {self.index} of run {self.run_id}: users {self.first_user_id}-{self.last_user_id}"


class FrozenGrade(models.Model):
    """
    A learner's final grade in a course as frozen by a run (or re-taken by ``refreeze_learner``).

    .. pii: A learner's final course grade, keyed by user id.
    .. pii_types: id, other
    .. pii_retirement: retained
    """

    run = models.ForeignKey(FreezeRun, on_delete=models.CASCADE, related_name="grades")
    course_key = CourseKeyField(max_length=255)
    user_id = models.PositiveBigIntegerField(db_index=True)
    has_grade = models.BooleanField(help_text="False: enrolled without a stored grade (frozen as 0, not passed).")
    percent_grade = models.FloatField()
    letter_grade = models.CharField(max_length=255, blank=True, default="")
    passed = models.BooleanField(default=False)
    passed_timestamp = models.DateTimeField(null=True, blank=True)
    grade_modified = models.DateTimeField(null=True, blank=True, help_text="The stored grade's last modification.")
    frozen_at = models.DateTimeField()
    refrozen = models.BooleanField(default=False, help_text="Re-taken by refreeze_learner after the run.")

    class Meta:
        app_label = "openedx_grade_freeze"
        # Few indexes: each costs time on every one of a run's bulk inserts. Lookups are by run and user (the
        # constraint's index) or by user id across courses (admin search).
        constraints = [models.UniqueConstraint(fields=("run", "user_id"), name="grade_freeze_frozen_run_user")]

    def __str__(self):
        return f"user {self.user_id} in {self.course_key}: {self.percent_grade} (run {self.run_id})"


class FreezeFailure(TimeStampedModel):
    """
    A learner a run could not freeze yet, with why; retried with backoff until frozen or explicitly skipped.

    .. pii: The learner's user id and why their grade could not be frozen.
    .. pii_types: id
    .. pii_retirement: retained
    """

    run = models.ForeignKey(FreezeRun, on_delete=models.CASCADE, related_name="failures")
    user_id = models.PositiveBigIntegerField()
    reason = models.TextField()
    attempts = models.PositiveIntegerField(default=1)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    skipped = models.BooleanField(default=False, help_text="An operator chose not to freeze this learner.")

    class Meta:
        app_label = "openedx_grade_freeze"
        constraints = [models.UniqueConstraint(fields=("run", "user_id"), name="grade_freeze_failure_run_user")]

    def __str__(self):
        return f"user {self.user_id} in run {self.run_id}: {self.reason[:60]}"


class ExtendedLearnerRefreeze(TimeStampedModel):
    """
    A learner of a snapshot whose own freeze date (personalized due date + offset) comes after the snapshot was
    taken: their row is re-taken once, after ``freezes_at`` (empty: never frozen, never due).

    .. pii: Which learner of a course has a personalized due date, by user id, and when their grade freezes.
    .. pii_types: id
    .. pii_retirement: retained
    """

    run = models.ForeignKey(FreezeRun, on_delete=models.CASCADE, related_name="extended_learners")
    course_key = CourseKeyField(max_length=255)
    user_id = models.PositiveBigIntegerField()
    freezes_at = models.DateTimeField(null=True, blank=True, help_text="The learner's own freeze date.")
    refrozen_at = models.DateTimeField(
        null=True, blank=True, help_text="When the learner's row was re-taken (or found unchanged); empty: not yet.",
    )
    note = models.TextField(blank=True, default="")

    class Meta:
        app_label = "openedx_grade_freeze"
        constraints = [models.UniqueConstraint(fields=("run", "user_id"), name="grade_freeze_extended_run_user")]
        # The periodic pass's one query: the rows not re-taken yet whose date has passed.
        indexes = [models.Index(fields=("refrozen_at", "freezes_at"), name="grade_freeze_extended_due")]

    def __str__(self):
        return f"user {self.user_id} in run {self.run_id}: freezes at {self.freezes_at}"


class SnapshotAuditEntry(models.Model):
    """
    Audit row: who froze, unfroze or re-froze final grades, when, why, and what changed.

    .. pii: The staff user who acted and the learner whose frozen grade changed, by id.
    .. pii_types: id, other
    .. pii_retirement: retained
    """

    ACTION_FROZEN = "frozen"
    ACTION_UNFROZEN = "unfrozen"
    ACTION_LEARNER_REFROZEN = "learner_refrozen"
    ACTION_SUPERSEDED = "superseded"
    ACTION_LEARNER_SKIPPED = "learner_skipped"
    ACTION_CHOICES = (
        (ACTION_FROZEN, "Course frozen"),
        (ACTION_UNFROZEN, "Course unfrozen"),
        (ACTION_LEARNER_REFROZEN, "Learner re-frozen"),
        (ACTION_SUPERSEDED, "Snapshot superseded"),
        (ACTION_LEARNER_SKIPPED, "Learner skipped"),
    )

    course_key = CourseKeyField(max_length=255, db_index=True)
    action = models.CharField(max_length=32, choices=ACTION_CHOICES)
    run = models.ForeignKey(FreezeRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    user_id = models.PositiveBigIntegerField(null=True, blank=True, db_index=True, help_text="The learner, if any.")
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField(blank=True, default="")
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    created = AutoCreatedField(db_index=True)

    class Meta:
        app_label = "openedx_grade_freeze"
        ordering = ("-created",)
        verbose_name_plural = "snapshot audit entries"

    def __str__(self):
        return f"{self.course_key} {self.action} ({self.created})"
