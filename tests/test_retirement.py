"""
User retirement: edx-platform's retirement signals reach the plugin in the LMS only, and afterwards no plugin table
holds the learner's username or email (the one they had before retirement began), whatever free-text column it is
in and wherever in a sentence; forwarding itself stores and logs none. Override reasons reach the tracking log capped.
"""
import importlib
import logging
import os
import subprocess
import sys

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import models
from edx_django_utils.plugins import connect_plugin_receivers

from openedx_grade_freeze import api
from openedx_grade_freeze import apps as plugin_apps
from openedx_grade_freeze import blocked, retirement
from openedx_grade_freeze.filters import GradePersistenceRequested
from openedx_grade_freeze.models import (
    DELIVERY_GRADE,
    CourseFreezeOverride,
    CredentialsDelivery,
    CredentialsPause,
    ExtendedLearnerRefreeze,
    FailedScheduleEvent,
    FreezeChunk,
    FreezeConfigChange,
    FreezeFailure,
    FreezeRun,
    LearnerException,
    LearnerExceptionChange,
    LearnerRefusals,
    OrgFreezeOverride,
    RefusedGradeValue,
    SnapshotAuditEntry,
    UnrecordedGradeEvent,
)
from openedx_grade_freeze.overrides import TRACKED_REASON_CHARS
from openedx_grade_freeze.signals import handlers
from tests.conftest import STANDINS_PATH, events_named
from tests.events import publish
from tests.forwarding import RUN, at, delivery_of, grade_event
from tests.plugin_support import REPO

pytestmark = pytest.mark.django_db

USERNAME = "Ada-Lovelace-1815"
SIGNALS = "openedx.core.djangoapps.user_api.accounts.signals"


def plugin_rows_mentioning(text):
    """Every (model, field) of the plugin whose stored value contains ``text`` (case-insensitive)."""
    found = []
    for model in apps.get_app_config("openedx_grade_freeze").get_models():
        fields = [f for f in model._meta.concrete_fields
                  if isinstance(f, (models.CharField, models.TextField, models.JSONField))]
        for row in model.objects.all():
            for field in fields:
                if text.lower() in str(getattr(row, field.attname)).lower():
                    found.append((model.__name__, field.name))
    return found


@pytest.fixture(name="retirement_signals")
def fixture_retirement_signals(platform):  # pylint: disable=unused-argument
    """edx-platform's retirement signals (stand-ins), with the plugin's receivers connected as the LMS connects them."""
    signals = importlib.import_module(SIGNALS)
    connect_plugin_receivers("lms.djangoapp")
    yield signals
    for signal in (signals.USER_RETIRE_LMS_CRITICAL, signals.USER_RETIRE_LMS_MISC):
        signal.disconnect(dispatch_uid="openedx_grade_freeze.retire_learner.critical")
        signal.disconnect(dispatch_uid="openedx_grade_freeze.retire_learner.misc")


def test_the_retirement_signal_leaves_no_username_of_the_learner(retirement_signals, forwarding, caplog):
    learner = get_user_model().objects.create(username=USERNAME)
    with caplog.at_level(logging.DEBUG, logger="openedx_grade_freeze"):
        grade_event(learner, 0.8, at(0))  # forwarded: the request carries the username, the plugin keeps none
    assert forwarding.get_grade(USERNAME, RUN) is not None
    assert plugin_rows_mentioning(USERNAME) == []
    assert USERNAME not in caplog.text

    # What older versions kept, and what operators write.
    CredentialsDelivery.objects.filter(pk=delivery_of(learner).pk).update(
        response_body=f'{{"username": "{USERNAME}", "course_run": "{RUN}"}}', last_error=f"user {USERNAME}",
    )
    UnrecordedGradeEvent.objects.create(user_id=learner.pk, course_key=RUN, percent_grade=0.8,
                                        last_modified=at(0), error=f"Deadlock while recording {USERNAME}")
    publish(RUN, end=at(60 * 24 * 90), time=at(0))
    api.set_course_override(RUN, offset_days=60, reason=f"Appeal by {USERNAME.lower()}")
    api.set_course_override(RUN, offset_days=90, reason="Second appeal")
    SnapshotAuditEntry.objects.create(course_key=RUN, action=SnapshotAuditEntry.ACTION_LEARNER_REFROZEN,
                                      user_id=learner.pk, reason=f"{USERNAME} asked for a regrade",
                                      after={"note": [f"by {USERNAME}"]})
    assert {model for model, _ in plugin_rows_mentioning(USERNAME)} == {
        "CredentialsDelivery", "UnrecordedGradeEvent", "FreezeConfigChange", "SnapshotAuditEntry",
    }  # the override's own reason was replaced by the second change

    retirement_signals.USER_RETIRE_LMS_CRITICAL.send(sender=None, user=learner)
    assert plugin_rows_mentioning(USERNAME) == []
    assert delivery_of(learner).user_id == learner.pk  # the grade's delivery itself stays, by user id
    assert SnapshotAuditEntry.objects.get().reason == "[retired learner] asked for a regrade"


def test_the_retirement_signal_removes_the_learner_from_the_refused_list(retirement_signals):
    learner, other = (get_user_model().objects.create(username=name) for name in (USERNAME, "Grace-Hopper"))
    frozen = "course-v1:RetireX+Frozen+2025"
    publish(frozen, end=at(-60 * 24 * 90), time=at(-60 * 24 * 90))
    for user_id, source in ((learner.pk, "tasks"), (learner.pk, "gradebook"), (other.pk, "tasks")):
        with pytest.raises(GradePersistenceRequested.PreventGradePersistence):
            GradePersistenceRequested.run_filter(frozen, user_id=user_id, source=source)
    blocked.flush_blocked_counts()
    assert {entry.user_id for entry in api.get_course_status(frozen).refused_learners} == {learner.pk, other.pk}
    # Refused again after the last flush: counted in the cache, not listed yet, when the learner is retired.
    with pytest.raises(GradePersistenceRequested.PreventGradePersistence):
        GradePersistenceRequested.run_filter(frozen, user_id=learner.pk, source="tasks")

    retirement_signals.USER_RETIRE_LMS_MISC.send(sender=None, user=learner)
    blocked.flush_blocked_counts()

    assert [(entry.user_id, entry.source) for entry in api.get_course_status(frozen).refused_learners] == [
        (other.pk, "tasks")
    ]
    assert not LearnerRefusals.objects.filter(user_id=learner.pk).exists()


def test_a_short_username_is_replaced_only_as_a_whole_name(retirement_signals):
    learner = get_user_model().objects.create(username="al")
    publish(RUN, end=at(60 * 24 * 90), time=at(0))
    api.set_course_override(RUN, offset_days=60, reason="Appeal by al, approved by Alice (final)")
    retirement_signals.USER_RETIRE_LMS_MISC.send(sender=None, user=learner)
    assert FreezeConfigChange.objects.get().reason == "Appeal by [retired learner], approved by Alice (final)"


def test_retire_misc_alone_also_forgets(retirement_signals):
    learner = get_user_model().objects.create(username=USERNAME)
    publish(RUN, end=at(60 * 24 * 90), time=at(0))
    api.set_course_override(RUN, offset_days=60, reason=f"Asked by {USERNAME}")
    retirement_signals.USER_RETIRE_LMS_MISC.send(sender=None, user=learner)
    assert plugin_rows_mentioning(USERNAME) == []


def test_retirement_receivers_are_left_out_where_edx_platform_is_not():
    # This test process started without the stand-ins: the host started, with no retirement receiver.
    assert plugin_apps._retirement_receivers() == []  # pylint: disable=protected-access
    receivers = plugin_apps.GradeFreezeConfig.plugin_app["signals_config"]["lms.djangoapp"]["receivers"]
    assert all("retire" not in receiver["receiver_func_name"] for receiver in receivers)


@pytest.mark.parametrize("project, expected", [("lms.djangoapp", "1 1"), ("cms.djangoapp", "0 0")])
def test_the_lms_connects_the_retirement_receivers_once(project, expected):
    script = (
        "import django; django.setup();"
        f"from {SIGNALS} import USER_RETIRE_LMS_CRITICAL as C, USER_RETIRE_LMS_MISC as M;"
        "from openedx_grade_freeze.signals import handlers as h;"
        "from tests.plugin_support import receivers_of as r;"
        "print(r(C).count(h.retire_learner), r(M).count(h.retire_learner))"
    )
    env = dict(os.environ, GRADE_FREEZE_HOST_PROJECT=project, DJANGO_SETTINGS_MODULE="tests.host.settings",
               PYTHONPATH=os.pathsep.join([REPO, STANDINS_PATH, os.environ.get("PYTHONPATH", "")]))
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, env=env, capture_output=True, text=True, check=True, timeout=120,
    )
    assert result.stdout.split()[-2:] == expected.split()


def test_override_reasons_reach_the_tracking_log_capped(tracking_events, django_capture_on_commit_callbacks):
    reason = "Extension agreed with " + "x" * 1000
    publish(RUN, end=at(60 * 24 * 90), time=at(0))
    with django_capture_on_commit_callbacks(execute=True):
        api.set_course_override(RUN, offset_days=60, reason=reason)
    (event,) = events_named(tracking_events, "edx.grades.freeze.config_changed")
    assert len(event["reason"]) == TRACKED_REASON_CHARS
    assert len(event["after"]["reason"]) == TRACKED_REASON_CHARS


def test_receiver_ignores_a_signal_without_a_user():
    assert handlers.retire_learner(sender=None) is None


# -- Every free-text column, the email too, and names at the end of a sentence ------------------------------------

# Every column of the plugin's tables that holds text, sorted into free text (written by people, or copied from
# errors and answers: where a learner's name or email can end up) and the rest (keys, names of states, ids, grades).
# A new text column fails test_every_text_column_is_sorted until it is added to one of the two lists.
FREE_TEXT = {
    ("CourseFreezeOverride", "reason"),
    ("CredentialsDelivery", "last_error"),
    ("CredentialsDelivery", "response_body"),
    ("CredentialsDelivery", "sent_payload"),
    ("CredentialsPause", "reason"),
    ("ExtendedLearnerRefreeze", "note"),
    ("FailedScheduleEvent", "error"),
    ("FailedScheduleEvent", "payload"),
    ("FreezeChunk", "last_error"),
    ("FreezeConfigChange", "after"),
    ("FreezeConfigChange", "before"),
    ("FreezeConfigChange", "reason"),
    ("FreezeFailure", "reason"),
    ("FreezeRun", "retired_reason"),
    ("LearnerException", "after"),
    ("LearnerException", "before"),
    ("LearnerException", "close_reason"),
    ("LearnerException", "reason"),
    ("LearnerException", "refreeze_note"),
    ("LearnerExceptionChange", "after"),
    ("LearnerExceptionChange", "before"),
    ("LearnerExceptionChange", "reason"),
    ("OrgFreezeOverride", "reason"),
    ("RefusedGradeValue", "reason"),
    ("SnapshotAuditEntry", "after"),
    ("SnapshotAuditEntry", "before"),
    ("SnapshotAuditEntry", "reason"),
    ("UnrecordedGradeEvent", "error"),
}
NOT_FREE_TEXT = {
    ("BlockedGradeUpdates", "course_key"), ("BlockedGradeUpdates", "source"),
    ("CourseEndDateChange", "course_key"), ("CourseEndDateChange", "event_id"),
    ("CourseEndDateChange", "event_source"), ("CourseEndDateChange", "pacing"), ("CourseEndDateChange", "source"),
    ("CourseFreezeOverride", "course_key"),
    ("CourseGradeRecord", "course_key"), ("CourseGradeRecord", "letter_grade"),
    ("CourseGradeRecord", "source_event_id"),
    ("CourseSchedule", "course_key"), ("CourseSchedule", "org"), ("CourseSchedule", "pacing"),
    ("CourseSchedule", "source"), ("CourseSchedule", "source_event_id"),
    ("CredentialsDelivery", "certificate_type"), ("CredentialsDelivery", "course_key"),
    ("CredentialsDelivery", "kind"), ("CredentialsDelivery", "lease_token"), ("CredentialsDelivery", "status"),
    ("CredentialsPause", "base_url"),
    ("ExtendedLearnerRefreeze", "course_key"),
    ("FailedScheduleEvent", "course_key"), ("FailedScheduleEvent", "event_id"),
    ("FreezeChunk", "status"),
    ("FreezeConfigChange", "action"), ("FreezeConfigChange", "key"), ("FreezeConfigChange", "scope"),
    ("FreezeRun", "course_key"), ("FreezeRun", "current_course_key"), ("FreezeRun", "open_course_key"),
    ("FreezeRun", "retired"),
    ("FreezeRun", "status"), ("FreezeRun", "trigger"),
    ("FrozenGrade", "course_key"), ("FrozenGrade", "letter_grade"),
    ("FrozenGradeDrift", "course_key"), ("FrozenGradeDrift", "frozen_letter_grade"),
    ("FrozenGradeDrift", "letter_grade"), ("FrozenGradeDrift", "source_event_id"),
    ("LearnerException", "active_key"), ("LearnerException", "closed_how"), ("LearnerException", "course_key"),
    ("LearnerException", "status"),
    ("LearnerExceptionChange", "action"), ("LearnerExceptionChange", "course_key"),
    ("LearnerRefusals", "course_key"), ("LearnerRefusals", "source"),
    ("OrgFreezeOverride", "org"),
    ("PeriodicCheckpoint", "name"),
    ("RefusedGradeValue", "course_key"), ("RefusedGradeValue", "event_id"), ("RefusedGradeValue", "letter_grade"),
    ("RefusedGradeValue", "percent_grade"),
    ("SnapshotAuditEntry", "action"), ("SnapshotAuditEntry", "course_key"),
    ("UnrecordedGradeEvent", "course_key"), ("UnrecordedGradeEvent", "event_id"),
    ("UnrecordedGradeEvent", "letter_grade"),
    ("UpcomingFreezeNotice", "course_key"),
}

NAME = "jane.doe"
EMAIL = "Jane.Doe@example.com"
# The learner named at the end of sentences and in brackets, among other words that only look alike.
TEXT = (f"Regrade requested by {NAME}. Confirmed by mail ({EMAIL.lower()}), cc {EMAIL}. "
        f"Not {NAME}.smith, {NAME}2, x{EMAIL} or {NAME}@other.org; again: {NAME.upper()}...")
SCRUBBED = ("Regrade requested by [retired learner]. Confirmed by mail ([retired learner]), cc [retired learner]. "
            f"Not {NAME}.smith, {NAME}2, x{EMAIL} or {NAME}@other.org; again: [retired learner]...")


def text_columns():
    """Every (model, field) of the plugin's tables that holds text (char, text or JSON)."""
    return {
        (model.__name__, field.name)
        for model in apps.get_app_config("openedx_grade_freeze").get_models()
        if not model._meta.proxy
        for field in model._meta.concrete_fields
        if isinstance(field, (models.CharField, models.TextField, models.JSONField))
    }


def test_every_text_column_is_sorted_and_retirement_scrubs_the_free_text_ones():
    assert FREE_TEXT.isdisjoint(NOT_FREE_TEXT)
    assert text_columns() == FREE_TEXT | NOT_FREE_TEXT
    scrubbed = {(model.__name__, field.name) for model, fields in retirement.free_text_columns() for field in fields}
    assert scrubbed == FREE_TEXT


def a_row_of_each_model_with_free_text(learner):
    """One row of every model that has a free-text column, each such column holding ``TEXT``."""
    run = FreezeRun.objects.create(course_key=RUN)
    exception = LearnerException.objects.create(course_key=RUN, user_id=learner.pk, reason=TEXT, closes_at=at(0))
    existing = {FreezeRun: run, LearnerException: exception}
    required = {
        CourseFreezeOverride: {"course_key": RUN},
        OrgFreezeOverride: {"org": "Org"},
        FreezeConfigChange: {"scope": "org", "key": "Org", "action": "changed"},
        FailedScheduleEvent: {"course_key": RUN},
        CredentialsDelivery: {"kind": DELIVERY_GRADE, "user_id": learner.pk, "course_key": RUN},
        CredentialsPause: {"base_url": "http://credentials", "next_probe_at": at(0)},
        RefusedGradeValue: {"user_id": learner.pk, "course_key": RUN, "percent_grade": "nan"},
        UnrecordedGradeEvent: {"user_id": learner.pk, "course_key": RUN, "percent_grade": 0.5, "last_modified": at(0)},
        FreezeRun: None,  # the run above
        FreezeChunk: {"run": run, "index": 0, "first_user_id": 1, "last_user_id": learner.pk},
        FreezeFailure: {"run": run, "user_id": learner.pk},
        ExtendedLearnerRefreeze: {"run": run, "course_key": RUN, "user_id": learner.pk},
        SnapshotAuditEntry: {"course_key": RUN, "action": SnapshotAuditEntry.ACTION_LEARNER_REFROZEN},
        LearnerException: None,  # the exception above
        LearnerExceptionChange: {"exception": exception, "course_key": RUN, "user_id": learner.pk,
                                 "action": LearnerExceptionChange.ACTION_REQUESTED},
    }
    assert {model.__name__ for model, _ in retirement.free_text_columns()} == {model.__name__ for model in required}
    rows = []
    for model, fields in retirement.free_text_columns():
        row = existing[model] if required[model] is None else model(**required[model])
        for field in fields:
            setattr(row, field.attname, {"note": [TEXT]} if isinstance(field, models.JSONField) else TEXT)
        row.save()
        rows.append(row)
    return rows


def test_retirement_removes_the_original_email_and_the_username_wherever_a_sentence_has_them(
    retirement_signals, platform,
):
    learner = get_user_model().objects.create(username=NAME, email=EMAIL)
    rows = a_row_of_each_model_with_free_text(learner)
    # The pipeline's first step records the originals and gives the user the retired email (DeactivateLogoutView).
    status = importlib.import_module("openedx.core.djangoapps.user_api.models").UserRetirementStatus \
        .create_retirement(learner)
    learner.email = status.retired_email
    learner.save()

    retirement_signals.USER_RETIRE_LMS_MISC.send(sender=None, user=learner)

    cleared = {("CredentialsDelivery", "last_error"), ("CredentialsDelivery", "response_body")}  # answers go whole
    for row in rows:
        row.refresh_from_db()
        for model, fields in retirement.free_text_columns():
            for field in fields if isinstance(row, model) else ():
                expected = {"note": [SCRUBBED]} if isinstance(field, models.JSONField) else SCRUBBED
                if (model.__name__, field.name) in cleared:
                    expected = ""
                assert getattr(row, field.attname) == expected, (model.__name__, field.name)


def test_without_edx_platform_the_users_own_email_is_removed():
    learner = get_user_model().objects.create(username=NAME, email=EMAIL)
    publish(RUN, end=at(60 * 24 * 90), time=at(0))
    api.set_course_override(RUN, offset_days=60, reason=TEXT)
    handlers.retire_learner(sender=None, user=learner)
    assert FreezeConfigChange.objects.get().reason == SCRUBBED


def test_a_scrubbed_char_column_keeps_to_its_length():
    learner = get_user_model().objects.create(username="al", email="al@example.com")
    reason = ("al " * 90)[:255]
    RefusedGradeValue.objects.create(user_id=learner.pk, course_key=RUN, percent_grade="nan", reason=reason)
    api.retire_learner(learner.pk, "al", email="al@example.com")
    scrubbed = RefusedGradeValue.objects.get().reason
    assert len(scrubbed) <= 255 and "al " not in scrubbed and scrubbed.startswith("[retired learner] [retired")
