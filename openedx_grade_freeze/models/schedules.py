"""
Course schedules: each run's schedule as last published, its end-date changes, failed events, checkpoints.
"""
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
