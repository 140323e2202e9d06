"""
Course and org freeze overrides, and the audit of their changes.
"""
from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from model_utils.fields import AutoCreatedField
from model_utils.models import TimeStampedModel
from opaque_keys.edx.django.models import CourseKeyField

FORCE_CHOICES = ((None, "Inherit"), (True, "Force freeze on"), (False, "Force freeze off"))


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
