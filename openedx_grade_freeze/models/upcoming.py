"""
Advance warnings of a freeze: the freeze date last announced per course.
"""
from django.db import models
from opaque_keys.edx.django.models import CourseKeyField


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
