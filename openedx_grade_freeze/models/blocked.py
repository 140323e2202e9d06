"""
Refused grade updates, counted per course and write path.
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
