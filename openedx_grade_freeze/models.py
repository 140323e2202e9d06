"""
Database models of the plugin: course schedules, end-date audit, freeze overrides and their audit.
"""
from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from model_utils.fields import AutoCreatedField
from model_utils.models import TimeStampedModel
from opaque_keys.edx.django.models import CourseKeyField

PACING_INSTRUCTOR = "instructor"
PACING_SELF = "self"
PACING_CHOICES = ((PACING_INSTRUCTOR, "Instructor-paced"), (PACING_SELF, "Self-paced"))

SOURCE_EVENT = "event"
SOURCE_EVENT_BUS = "event_bus"
SOURCE_SYNC = "sync"
SOURCE_PERIODIC = "periodic"
SOURCE_FORCED = "forced"
SCHEDULE_SOURCE_CHOICES = (
    (SOURCE_EVENT, "Studio publish (in process)"),
    (SOURCE_EVENT_BUS, "Studio publish (event bus)"),
    (SOURCE_SYNC, "sync_course_schedules command"),
    (SOURCE_PERIODIC, "Periodic CourseOverview check"),
    (SOURCE_FORCED, "Forced from CourseOverview (sync_course_schedules --force or admin)"),
)

FORCE_CHOICES = ((None, "Inherit"), (True, "Force freeze on"), (False, "Force freeze off"))

# Rows that change take ``TimeStampedModel``'s ``created`` and ``modified``. Audit rows are written once and never
# changed, so they keep only its ``AutoCreatedField``: a ``modified`` would always equal ``created``.


class CourseSchedule(TimeStampedModel):
    """
    The plugin's record of one course run's schedule, kept current from Studio's publish events.

    .. no_pii:
    """

    course_key = CourseKeyField(max_length=255, unique=True)
    org = models.CharField(max_length=255, db_index=True)
    start = models.DateTimeField(null=True, blank=True)
    end = models.DateTimeField(null=True, blank=True)
    pacing = models.CharField(max_length=16, choices=PACING_CHOICES, default=PACING_INSTRUCTOR)
    source = models.CharField(max_length=16, choices=SCHEDULE_SOURCE_CHOICES, default=SOURCE_EVENT)
    source_event_id = models.CharField(max_length=64, blank=True, default="")
    source_event_time = models.DateTimeField(
        null=True, blank=True, help_text="The time of the event this record came from; older events are ignored."
    )

    class Meta:
        app_label = "openedx_grade_freeze"

    def __str__(self):
        return f"{self.course_key} (end {self.end})"


class CourseEndDateChange(models.Model):
    """
    Audit row: one course's end date changed, with the freeze dates before and after and the event that said so.

    .. no_pii:
    """

    course_key = CourseKeyField(max_length=255, db_index=True)
    previous_end = models.DateTimeField(null=True, blank=True)
    new_end = models.DateTimeField(null=True, blank=True)
    previous_freeze_date = models.DateTimeField(null=True, blank=True)
    new_freeze_date = models.DateTimeField(null=True, blank=True)
    pacing = models.CharField(max_length=16, choices=PACING_CHOICES)
    source = models.CharField(max_length=16, choices=SCHEDULE_SOURCE_CHOICES)
    event_id = models.CharField(max_length=64, blank=True, default="")
    event_time = models.DateTimeField(null=True, blank=True)
    event_source = models.CharField(
        max_length=255, blank=True, default="", help_text="Which service and host sent the event."
    )
    created = AutoCreatedField(db_index=True)

    class Meta:
        app_label = "openedx_grade_freeze"
        ordering = ("-created",)

    def __str__(self):
        return f"{self.course_key}: {self.previous_end} -> {self.new_end}"


class FailedScheduleEvent(models.Model):
    """
    A schedule event that could not be applied, kept so that ``sync_course_schedules --failed`` can replay it.

    .. no_pii:
    """

    course_key = models.CharField(max_length=255, blank=True, default="", db_index=True)
    event_id = models.CharField(max_length=64, blank=True, default="")
    event_time = models.DateTimeField(null=True, blank=True)
    payload = models.TextField(blank=True, default="")
    error = models.TextField()
    created = AutoCreatedField()  # ``resolved`` says when it was dealt with; nothing else changes
    resolved = models.DateTimeField(null=True, blank=True)

    class Meta:
        app_label = "openedx_grade_freeze"
        ordering = ("-created",)

    def __str__(self):
        return f"{self.course_key or '?'} event {self.event_id}: {self.error[:60]}"


class PeriodicCheckpoint(TimeStampedModel):
    """
    Where a periodic task left off (for example the newest ``CourseOverview`` change it compared), by task name.

    .. no_pii:
    """

    name = models.CharField(max_length=64, unique=True)
    position = models.DateTimeField(null=True, blank=True)

    class Meta:
        app_label = "openedx_grade_freeze"

    def __str__(self):
        return f"{self.name}: {self.position}"


class FreezeOverride(TimeStampedModel):
    """
    What a course or org override can set; None in ``enabled`` or ``offset_days`` means "inherit".

    .. no_pii:
    """

    enabled = models.BooleanField(null=True, blank=True, default=None, choices=FORCE_CHOICES)
    offset_days = models.IntegerField(
        null=True, blank=True, validators=[MinValueValidator(0)],
        help_text="Days after the course end at which grades freeze. Empty: inherit.",
    )
    reason = models.TextField(help_text="Why this override exists (kept in the audit log).")
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        abstract = True


class CourseFreezeOverride(FreezeOverride):
    """
    A course team's or operator's freeze settings for one course run, above every other layer.

    .. pii: Which staff user last changed the override, and its reason: free text that may name people.
    .. pii_types: id, other
    .. pii_retirement: local_api
    """

    course_key = CourseKeyField(max_length=255, unique=True)
    freeze_date = models.DateTimeField(
        null=True, blank=True, help_text="An explicit freeze date; it replaces end + offset."
    )

    class Meta:
        app_label = "openedx_grade_freeze"

    def __str__(self):
        return f"Freeze override for {self.course_key}"


class OrgFreezeOverride(FreezeOverride):
    """
    An operator's freeze settings for every course run of one organization.

    .. pii: Which staff user last changed the override, and its reason: free text that may name people.
    .. pii_types: id, other
    .. pii_retirement: local_api
    """

    org = models.CharField(max_length=255, unique=True)

    class Meta:
        app_label = "openedx_grade_freeze"

    def __str__(self):
        return f"Freeze override for org {self.org}"


class FreezeConfigChange(models.Model):
    """
    Audit row: who changed a course or org freeze override, when, why, and from what to what.

    .. pii: Which staff user made the change, and its reason: free text that may name people.
    .. pii_types: id, other
    .. pii_retirement: local_api
    """

    SCOPE_COURSE = "course"
    SCOPE_ORG = "org"

    scope = models.CharField(max_length=8, choices=((SCOPE_COURSE, "Course"), (SCOPE_ORG, "Organization")))
    key = models.CharField(max_length=255, db_index=True, help_text="The course key or org.")
    action = models.CharField(max_length=16)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    reason = models.TextField(blank=True, default="")
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = AutoCreatedField(db_index=True)

    class Meta:
        app_label = "openedx_grade_freeze"
        ordering = ("-created",)

    def __str__(self):
        return f"{self.scope} {self.key} {self.action}"


class BlockedGradeUpdates(models.Model):
    """
    How many grade updates the freeze has refused for one course and write path, updated when they are reported.

    .. no_pii:
    """

    course_key = CourseKeyField(max_length=255)
    source = models.CharField(max_length=128)
    total = models.PositiveBigIntegerField(default=0)
    last_reported = models.DateTimeField(null=True, blank=True)
    freeze_date = models.DateTimeField(null=True, blank=True, help_text="The freeze date at the last report.")

    class Meta:
        app_label = "openedx_grade_freeze"
        verbose_name_plural = "blocked grade updates"
        constraints = [
            models.UniqueConstraint(fields=("course_key", "source"), name="grade_freeze_blocked_course_source"),
        ]

    def __str__(self):
        return f"{self.course_key} {self.source}: {self.total}"


# -- Forwarding grades and certificate dates to Credentials (see docs/decisions/0005) ---------------------------

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


# -- Final-grade snapshots (see docs/decisions/0011 and 0012) ------------------------------------------------------

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


class UpcomingFreezeNotice(models.Model):
    """
    The freeze date last announced for a course by ``edx.grades.freeze.upcoming``; a new date is announced again.

    .. no_pii:
    """

    course_key = CourseKeyField(max_length=255, unique=True)
    freeze_date = models.DateTimeField(help_text="The freeze date the last announcement gave.")
    announced_at = models.DateTimeField()

    class Meta:
        app_label = "openedx_grade_freeze"

    def __str__(self):
        return f"{self.course_key}: freeze {self.freeze_date} announced {self.announced_at}"


class CourseFreezeOverview(CourseSchedule):
    """
    The admin's overview of every known course's freeze state (a view of ``CourseSchedule``; no table of its own).

    .. no_pii:
    """

    class Meta:
        app_label = "openedx_grade_freeze"
        proxy = True
        verbose_name = "course freeze overview"
        verbose_name_plural = "course freeze overview"


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
