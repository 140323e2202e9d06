"""
Refused grade updates, counted per course and write path, and per learner.
"""
from django.db import models
from opaque_keys.edx.django.models import CourseKeyField


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


class LearnerRefusals(models.Model):
    """
    How many of one learner's grade updates the freeze refused on one write path of a course, and when it first and
    last did: one row per course, learner and write path, written in bulk from the counted refusals (ADR 0021).

    .. pii: The learner's user id, and when the freeze refused their grade updates. Deleted when they are retired.
    .. pii_types: id
    .. pii_retirement: local_api
    """

    course_key = CourseKeyField(max_length=255)
    user_id = models.PositiveBigIntegerField(db_index=True)
    source = models.CharField(max_length=128)
    count = models.PositiveBigIntegerField(default=0)
    first_refused = models.DateTimeField()
    last_refused = models.DateTimeField()

    class Meta:
        app_label = "openedx_grade_freeze"
        verbose_name = "learner's refused grade updates"
        verbose_name_plural = "learners' refused grade updates"
        constraints = [
            models.UniqueConstraint(fields=("course_key", "user_id", "source"),
                                    name="grade_freeze_refused_course_user_source"),
        ]
        indexes = [models.Index(fields=("course_key", "last_refused"), name="grade_freeze_refused_recent")]

    def __str__(self):
        return f"user {self.user_id} in {self.course_key}, {self.source}: {self.count}"
