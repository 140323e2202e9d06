"""
Tables shaped like edx-platform's ``grades_persistentcoursegrade`` and ``student_courseenrollment``.

Field names follow upstream (``lms/djangoapps/grades/models.py`` at 3b7eee77d13c…, and
``common/djangoapps/student/models/course_enrollment.py`` at 0b870c132a5e…), so the plugin's queries run
unchanged: ``user_id``, ``course_id``, ``is_active``, ``modified``.

So do the indexes, so that query plans (and ``make benchmark``) are the ones the LMS database gives; see README.rst
in this folder for where each was read.
"""
from django.conf import settings
from django.db import models
from opaque_keys.edx.django.models import CourseKeyField


class StoredCourseGrade(models.Model):
    """The rows behind the stand-in ``PersistentCourseGrade`` when it is attached to the database.

    Indexes as upstream's (``grades/models.py`` at openedx-platform 130f7d470598…; migrations 0006 and 0021): unique
    (course_id, user_id), user_id, (passed_timestamp, course_id) and (modified, course_id).
    """

    user_id = models.IntegerField(db_index=True)
    course_id = CourseKeyField(max_length=255)
    course_edited_timestamp = models.DateTimeField(null=True, blank=True)
    course_version = models.CharField(max_length=255, blank=True, default="")
    grading_policy_hash = models.CharField(max_length=255, blank=True, default="")
    percent_grade = models.FloatField(null=True)
    letter_grade = models.CharField(max_length=255, blank=True, default="")
    passed_timestamp = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(null=True)
    modified = models.DateTimeField(null=True)

    class Meta:
        app_label = "platform_store"
        db_table = "grades_persistentcoursegrade"
        unique_together = (("course_id", "user_id"),)
        indexes = [
            models.Index(fields=("passed_timestamp", "course_id"), name="passed_timestamp_course_id_idx"),
            models.Index(fields=("modified", "course_id"), name="modified_course_id_idx"),
        ]


class CourseEnrollment(models.Model):
    """Stand-in for ``common.djangoapps.student.models.CourseEnrollment``: a learner's enrollment in a run.

    Indexes as upstream's (``course_enrollment.py`` at openedx-platform 0b870c132a5e…; student migrations 0001,
    0011 and 0022 of edx-platform, 0047 of openedx-platform): unique (user_id, course_id), user_id (the foreign key
    without its constraint), course_id (kept from the key field when it became a foreign key without a constraint),
    created, and (user_id, created descending). None starts with (course_id, user_id).
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, db_constraint=False, on_delete=models.DO_NOTHING)
    course_id = CourseKeyField(max_length=255, db_index=True)
    created = models.DateTimeField(auto_now_add=True, null=True, db_index=True)
    is_active = models.BooleanField(default=True)
    mode = models.CharField(max_length=100, default="audit")

    class Meta:
        app_label = "platform_store"
        db_table = "student_courseenrollment"
        unique_together = (("user", "course_id"),)
        indexes = [models.Index(fields=("user", "-created"), name="student_cou_user_id_b19dcd_idx")]
