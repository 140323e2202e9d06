"""
Django admin for learner exceptions: grant one (add), approve requests and close exceptions (actions, with a reason),
each through the API, so it is validated, audited and tracked as everywhere else; the audit log read-only.
"""
from django import forms
from django.contrib import admin
from django.contrib.admin.helpers import ActionForm
from django.contrib.messages import ERROR, SUCCESS

from openedx_grade_freeze import api
from openedx_grade_freeze.admin.base import ReadOnlyAdmin
from openedx_grade_freeze.admin.snapshots import ByUsernameSearch
from openedx_grade_freeze.models import LearnerException, LearnerExceptionChange

APPROVE_PERMISSION = "openedx_grade_freeze.approve_learnerexception"


def _messages(error):
    return [message for messages in error.message_dict.values() for message in messages]


class GrantForm(forms.ModelForm):
    """Grant an exception to one learner: checked as ``grant_grade_exception`` checks it, before anything is saved."""

    user = forms.CharField(label="Learner", help_text="A username, or a user id (ASCII digits).")

    class Meta:
        model = LearnerException
        fields = ("course_key", "user", "closes_at", "reason")
        labels = {"closes_at": "Until"}

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request
        self.learner = None

    def clean(self):
        cleaned = super().clean()
        try:
            self.learner = api.find_user(cleaned.get("user", ""))
        except api.UnknownUserError as error:
            self.add_error("user", str(error))
            return cleaned
        if not cleaned.get("course_key") or not cleaned.get("closes_at"):
            return cleaned
        try:
            api.grant_learner_exceptions(
                cleaned["course_key"], [self.learner], reason=cleaned.get("reason"), until=cleaned["closes_at"],
                user=self.request.user if self.request else None, dry_run=True,
            )
        except api.UnknownCourseError as error:
            self.add_error("course_key", str(error))
        except api.InvalidLearnerExceptionError as error:
            for field, messages in error.message_dict.items():
                target = {"until": "closes_at"}.get(field, field)
                self.add_error(target if target in self.fields else None, messages)
        except api.LearnerExceptionNotAllowedError as error:
            self.add_error(None, str(error))
        return cleaned


class ReasonActionForm(ActionForm):
    """The actions' reason, typed beside the action list (closing needs one; approving keeps the request's)."""

    reason = forms.CharField(required=False, label="Reason", widget=forms.TextInput(attrs={"size": 60}))


@admin.register(LearnerException)
class LearnerExceptionAdmin(ByUsernameSearch, admin.ModelAdmin):
    """Learner exceptions: grant (add), approve and close; never edited in place."""

    form = GrantForm
    action_form = ReasonActionForm
    actions = ["approve_requests", "close_exceptions"]
    list_display = ("pk", "course_key", "user_id", "status", "closes_at", "requested_by", "approved_by", "closed_how",
                    "refrozen_at")
    list_filter = ("status", "closed_how")
    date_hierarchy = "created"
    readonly_fields = (
        "course_key", "user_id", "status", "reason", "opens_at", "closes_at", "requested_by", "approved_by",
        "closed_at", "closed_by", "closed_how", "close_reason", "refreeze_after", "refrozen_at", "refreeze_note",
        "before", "after", "created", "modified",
    )

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is not None:
            return form

        class RequestBoundGrantForm(form):  # pylint: disable=too-few-public-methods
            def __init__(self, *args, **form_kwargs):
                super().__init__(*args, request=request, **form_kwargs)

        return RequestBoundGrantForm

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else ()

    def get_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else GrantForm.Meta.fields

    def has_add_permission(self, request):
        return request.user.has_perm(APPROVE_PERMISSION) or request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        """Grant through the API (validated, audited, tracked); the admin then shows the exception it opened."""
        (record,) = api.grant_learner_exceptions(
            obj.course_key, [form.learner], reason=obj.reason, until=obj.closes_at, user=request.user,
        )
        obj.pk = record.id

    @admin.action(description="Approve the selected requests (they open now)")
    def approve_requests(self, request, queryset):
        """Approve each request: never one's own, and only by global staff or holders of the approve permission."""
        reason = request.POST.get("reason", "")
        for exception in queryset:
            self._act(request, exception, "approved", lambda pk: api.approve_learner_exception(
                pk, user=request.user, reason=reason))

    @admin.action(description="Close the selected exceptions (give a reason)")
    def close_exceptions(self, request, queryset):
        """Close each exception early (its learner's grade is then re-frozen), or revoke a request."""
        reason = request.POST.get("reason", "")
        for exception in queryset:
            self._act(request, exception, "closed", lambda pk: api.close_learner_exception(
                pk, user=request.user, reason=reason))

    def _act(self, request, exception, done, action):
        try:
            record = action(exception.pk)
        except api.InvalidLearnerExceptionError as error:
            self.message_user(request, f"Exception {exception.pk}: not {done}: {' '.join(_messages(error))}", ERROR)
        except (api.LearnerExceptionNotAllowedError, api.UnknownLearnerExceptionError) as error:
            self.message_user(request, f"Exception {exception.pk}: not {done}: {error}", ERROR)
        else:
            self.message_user(request, f"Exception {record.id} {done} ({record.closed_how or record.status}).",
                              SUCCESS)


@admin.register(LearnerExceptionChange)
class LearnerExceptionChangeAdmin(ByUsernameSearch, ReadOnlyAdmin):
    """Who requested, approved, closed or re-froze each learner exception, when, why and what changed."""

    list_display = ("created", "exception", "course_key", "user_id", "action", "changed_by", "reason")
    list_filter = ("action",)
    date_hierarchy = "created"
