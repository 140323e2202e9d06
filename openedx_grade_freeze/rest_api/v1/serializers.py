"""
What the REST API sends and accepts.
"""
from rest_framework import serializers

from openedx_grade_freeze.api import PHASES
from openedx_grade_freeze.status import MAX_UPCOMING_DAYS


class RefusedUpdatesSerializer(serializers.Serializer):  # pylint: disable=abstract-method
    """Refused grade updates on one write path."""

    source = serializers.CharField(help_text="The edx-platform write path the freeze refused.")
    total = serializers.IntegerField()
    last_reported = serializers.DateTimeField(allow_null=True)


class RefusedLearnerSerializer(serializers.Serializer):  # pylint: disable=abstract-method
    """How many of one learner's grade updates the freeze refused on one write path, and when."""

    user_id = serializers.IntegerField()
    username = serializers.CharField(allow_blank=True, help_text="Empty when the user no longer exists.")
    source = serializers.CharField(help_text="The edx-platform write path the freeze refused.")
    count = serializers.IntegerField(help_text="How many of the learner's updates it refused there.")
    first_refused = serializers.DateTimeField()
    last_refused = serializers.DateTimeField()


PHASE_HELP = (
    "open (grades can change until the freeze date), undated (no freeze date yet), frozen, off (the freeze is off for "
    "the course) or error (the policy could not be evaluated: GRADE_FREEZE_ON_ERROR decided)."
)


class SnapshotSerializer(serializers.Serializer):  # pylint: disable=abstract-method
    """The course's final-grade snapshot."""

    status = serializers.CharField(
        source="label", help_text='Which run and how far ("none" before the course freezes, "complete (run N)").'
    )
    learners = serializers.IntegerField()
    frozen = serializers.IntegerField(help_text="Learners frozen with their stored course grade.")
    no_grade = serializers.IntegerField(help_text="Enrolled learners without a stored grade (frozen as 0).")
    failed = serializers.IntegerField(help_text="Learners not frozen yet; retried with backoff.")


class LearnerExceptionSerializer(serializers.Serializer):  # pylint: disable=abstract-method
    """One learner exception: whose, why, its window, who acted, and its change record."""

    id = serializers.IntegerField()
    course_id = serializers.CharField(source="course_key")
    user_id = serializers.IntegerField(help_text="The learner whose grades it opens.")
    username = serializers.CharField()
    status = serializers.CharField(help_text="requested (waiting for approval), open (approved) or closed.")
    reason = serializers.CharField()
    requested_at = serializers.DateTimeField()
    requested_by = serializers.CharField(allow_null=True)
    approved_by = serializers.CharField(
        allow_null=True, help_text="Null when granted by an operator's command or opened without approval.")
    opens_at = serializers.DateTimeField(allow_null=True, help_text="When it was approved (or granted).")
    closes_at = serializers.DateTimeField(help_text="The end of its window.")
    closed_at = serializers.DateTimeField(allow_null=True)
    closed_by = serializers.CharField(allow_null=True)
    closed_how = serializers.CharField(
        allow_blank=True, help_text="expired (its window ended), closed (early) or revoked (before it opened).")
    close_reason = serializers.CharField(allow_blank=True)
    refrozen_at = serializers.DateTimeField(allow_null=True, help_text="When the learner's grade was re-frozen.")
    refreeze_note = serializers.CharField(allow_blank=True)
    before = serializers.JSONField(
        allow_null=True, help_text="The learner's frozen grade when it opened (percent_grade, letter_grade, passed).")
    after = serializers.JSONField(allow_null=True, help_text="The learner's grade as re-frozen when it closed.")
    changed = serializers.BooleanField(help_text="Whether the re-frozen grade differs from the one before.")
    note = serializers.CharField(allow_blank=True, help_text="E.g. that it takes effect when the course freezes.")


class ExceptionCountsSerializer(serializers.Serializer):  # pylint: disable=abstract-method
    """Per learner, from the grade before their first exception to the re-frozen grade after their last."""

    learners_changed = serializers.IntegerField()
    newly_passed = serializers.IntegerField()
    no_longer_passed = serializers.IntegerField()


class LearnerExceptionsSerializer(serializers.Serializer):  # pylint: disable=abstract-method
    """A course's learner exceptions."""

    current = LearnerExceptionSerializer(many=True, help_text="Requested or open.")
    closed = LearnerExceptionSerializer(many=True)
    counts = ExceptionCountsSerializer()


class LearnerExceptionRequestSerializer(serializers.Serializer):  # pylint: disable=abstract-method
    """A request for one learner: ``user`` (a username, or a user id when ASCII digits) or ``user_id``."""

    user = serializers.CharField(required=False, help_text="A username, or a user id when it is ASCII digits.")
    user_id = serializers.IntegerField(required=False, min_value=1)
    until = serializers.DateTimeField(
        required=False, allow_null=True, default=None,
        help_text="The end of the window (default: GRADE_FREEZE_EXCEPTION_DEFAULT_DAYS days).",
    )
    reason = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="Why; kept in the audit log.")

    def validate(self, attrs):
        if ("user" in attrs) == ("user_id" in attrs):
            raise serializers.ValidationError({"user": ["Name the learner with exactly one of user and user_id."]})
        return attrs


class LearnerExceptionActionSerializer(serializers.Serializer):  # pylint: disable=abstract-method
    """Approving (the reason is optional) or closing (a reason is needed) an exception."""

    reason = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="Why; kept in the audit log.")


class CourseFreezeStatusSerializer(serializers.Serializer):  # pylint: disable=abstract-method
    """A course's status: its phase, freeze state and consequences (``GRADE_FREEZE_ON_ERROR`` decides when the policy
    fails)."""

    course_id = serializers.CharField(source="course_key")
    phase = serializers.ChoiceField(choices=PHASES, help_text=PHASE_HELP)
    frozen = serializers.BooleanField()
    enabled = serializers.BooleanField()
    freeze_date = serializers.DateTimeField(allow_null=True)
    days_until_freeze = serializers.IntegerField(allow_null=True)
    course_start = serializers.DateTimeField(allow_null=True)
    course_end = serializers.DateTimeField(source="state.course_end", allow_null=True)
    offset_days = serializers.IntegerField(source="state.offset_days", allow_null=True)
    explicit_freeze_date = serializers.BooleanField(source="state.explicit_freeze_date")
    self_paced = serializers.BooleanField(source="state.self_paced")
    deciding_layer = serializers.CharField(source="decided_by", help_text="Which configuration layer decided, and how.")
    configuration_error = serializers.CharField(
        allow_blank=True, help_text="What kept the plugin's policy from deciding (empty when nothing did)."
    )
    on_error = serializers.CharField(
        source="state.on_error", allow_null=True,
        help_text="The GRADE_FREEZE_ON_ERROR rule that decided instead (platform-rule, open, closed), or null.",
    )
    refused_updates_total = serializers.IntegerField(source="refused_total")
    refused_updates = RefusedUpdatesSerializer(many=True)
    refused_learners = serializers.IntegerField(
        source="refused_learners.learner_count",
        help_text="How many learners' grade updates the freeze refused (the list: refused_learners_url).",
    )
    credentials_deliveries_pending = serializers.IntegerField(
        source="credentials.pending",
        help_text="The course's Credentials deliveries (grades and certificate dates) pending, waiting or paused.",
    )
    credentials_deliveries_failed = serializers.IntegerField(source="credentials.failed")
    snapshot = SnapshotSerializer()
    open_exceptions = LearnerExceptionSerializer(
        many=True, help_text="Learners whose grades may change now although the course is frozen.")
    learner_exceptions = LearnerExceptionsSerializer()
    personalized_due_date_learners = serializers.IntegerField(
        source="state.extended_learners",
        help_text="Learners whose grades may change now although the course is frozen, because a personalized due "
                  "date (the instructor dashboard's extensions) plus the course's offset is still ahead.",
    )


class CourseListEntrySerializer(serializers.Serializer):  # pylint: disable=abstract-method
    """One course in the list."""

    course_id = serializers.CharField(source="course_key")
    phase = serializers.ChoiceField(choices=PHASES, help_text=PHASE_HELP)
    frozen = serializers.BooleanField()
    enabled = serializers.BooleanField()
    freeze_date = serializers.DateTimeField(allow_null=True)
    course_end = serializers.DateTimeField(source="state.course_end", allow_null=True)
    deciding_layer = serializers.CharField(source="decided_by")
    configuration_error = serializers.CharField(allow_blank=True)
    on_error = serializers.CharField(source="state.on_error", allow_null=True)
    snapshot = serializers.CharField(
        source="snapshot.label", help_text="The final-grade snapshot: which run and how far."
    )


class CourseListQuerySerializer(serializers.Serializer):  # pylint: disable=abstract-method
    """The list's filters."""

    frozen = serializers.BooleanField(required=False, allow_null=True, default=None)
    upcoming_days = serializers.IntegerField(required=False, min_value=0, max_value=MAX_UPCOMING_DAYS)
    org = serializers.CharField(required=False)


class _OverrideSerializer(serializers.Serializer):  # pylint: disable=abstract-method
    """What an override sets; null (or absent) means "inherit from the layer below"."""

    enabled = serializers.BooleanField(required=False, allow_null=True, default=None)
    offset_days = serializers.IntegerField(required=False, allow_null=True, default=None)
    reason = serializers.CharField(help_text="Why; kept in the audit log.")


class OrgOverrideSerializer(_OverrideSerializer):  # pylint: disable=abstract-method
    """An org's override, as sent and as stored."""

    changed_by = serializers.CharField(source="changed_by.username", read_only=True, allow_null=True)
    modified = serializers.DateTimeField(read_only=True)


class CourseOverrideSerializer(OrgOverrideSerializer):  # pylint: disable=abstract-method
    """A course's override, as sent and as stored."""

    freeze_date = serializers.DateTimeField(
        required=False, allow_null=True, default=None, help_text="An explicit freeze date; replaces end + offset."
    )


class DeleteOverrideSerializer(serializers.Serializer):  # pylint: disable=abstract-method
    """Removing an override needs a reason too (body or ``?reason=``)."""

    reason = serializers.CharField(help_text="Why; kept in the audit log.")
