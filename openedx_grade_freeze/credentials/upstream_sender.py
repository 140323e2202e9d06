"""
Taking over edx-platform's own Credentials grade sender: its sends become requests to the plugin's ordered outbox.

``route_to_outbox`` is the wrapper of upstream's ``send_grade_if_interesting``, one entry of the patch-point table
(``platform/write_points.py``); ``AppConfig.ready()`` supplies it there. It asks ``take_over_grade_send`` first.
See docs/decisions/0005-credentials-outbox-and-ordering.rst.
"""
import functools
import logging

from django.db import transaction

from openedx_grade_freeze.credentials import ledger, outbox
from openedx_grade_freeze.credentials.config import forwarding_enabled
from openedx_grade_freeze.dates import as_utc, isoformat
from openedx_grade_freeze.keys import to_course_key
from openedx_grade_freeze.models import (
    DELIVERY_PENDING,
    DELIVERY_SENT,
    CourseGradeRecord,
    CredentialsDelivery,
    FrozenGradeDrift,
)
from openedx_grade_freeze.platform import credentials_service, grades, wiring
from openedx_grade_freeze.toggles import (
    GRADE_FREEZE_CREDENTIALS_MIRROR_UPSTREAM_CONDITIONS,
    GRADE_FREEZE_CREDENTIALS_REPLACE_UPSTREAM_SENDER,
)

log = logging.getLogger(__name__)

# What ``request_grade_send`` did.
QUEUED = "queued"            # the delivery is pending again; its send task is queued on commit
UP_TO_DATE = "up-to-date"    # already pending, or Credentials already holds the ledger's grade
SEEDED = "seeded"            # the ledger had nothing: recorded from the LMS's stored grade, and queued
DRIFT = "drift"              # the LMS's stored grade changed after the freeze: recorded as drift, not sent
NO_GRADE = "no-grade"        # neither the ledger nor the LMS holds a grade

# Marks ledger rows recorded from the LMS's stored grade rather than from an event.
SEED_SOURCE = "lms-persistent-course-grade"


def replaces_upstream_sender(org):
    """True when upstream's grade sends for ``org`` go through the plugin's outbox instead of posting."""
    return GRADE_FREEZE_CREDENTIALS_REPLACE_UPSTREAM_SENDER.is_enabled() and forwarding_enabled(org)


def take_over_grade_send(user_id, course_key, mode=None, status=None, source=""):
    """Handle one call of upstream's ``send_grade_if_interesting``; False when upstream must send it itself."""
    course_key = to_course_key(course_key)
    if not replaces_upstream_sender(course_key.org):
        return False
    if GRADE_FREEZE_CREDENTIALS_MIRROR_UPSTREAM_CONDITIONS.is_enabled():
        # Judged on the mode and status upstream was given (a certificate change passes the new ones), as it would.
        conditions = credentials_service.upstream_grade_send_conditions(user_id, course_key, mode=mode, status=status)
        if conditions is not None and not conditions["send"]:
            log.debug("Upstream grade send of user %s in %s not needed: %s.", user_id, course_key,
                      conditions["reason"])
            return True
    outcome = request_grade_send(user_id, course_key, reason=source or "edx-platform's send_grade_if_interesting")
    if outcome == NO_GRADE:
        log.info(
            "No grade of user %s in %s in the ledger or the LMS's stored grades; edx-platform's own sender "
            "handles this one.", user_id, course_key,
        )
        return False
    return True


def request_grade_send(user_id, course_key, reason=""):
    """Have Credentials receive the ledger's newest grade of one learner, in order, through the outbox.

    When the LMS's stored grade is newer than the ledger's (a learner graded before the plugin was installed, or a
    grade event the ledger failed to record), it is recorded first. Call it for an org whose grades are forwarded.
    Returns what it did (``QUEUED``, ``UP_TO_DATE``…).
    """
    course_key = to_course_key(course_key)
    subject = outbox.grade_subject(user_id, course_key)
    with transaction.atomic():
        record = CourseGradeRecord.objects.filter(user_id=user_id, course_key=course_key).first()
        outcome = record_newer_lms_grade(user_id, course_key, record, reason)
        if outcome is not None:
            return outcome
        record = record or CourseGradeRecord.objects.filter(user_id=user_id, course_key=course_key).first()
        if record is None:
            return NO_GRADE
        delivery = CredentialsDelivery.objects.filter(**subject).first()
        if delivery is not None and _covers(delivery, record):
            log.debug("Credentials delivery %s already covers user %s's grade in %s (%s).",
                      delivery.pk, user_id, course_key, reason)
            return UP_TO_DATE
        delivery_id = outbox.submit(subject)
    log.info("Credentials delivery %s of user %s in %s queued: %s.", delivery_id, user_id, course_key, reason)
    return QUEUED


def _covers(delivery, record):
    """Whether the delivery will send, or has sent, the ledger's grade: a pending sender reads the ledger later."""
    if delivery.status == DELIVERY_PENDING:
        return True
    sent = as_utc(delivery.sent_last_modified)
    return delivery.status == DELIVERY_SENT and sent is not None and sent >= as_utc(record.last_modified)


def newer_lms_grade(user_id, course_key, record):
    """The LMS's stored grade as a ``GradeChange`` when it is newer than the ledger's ``record``, else None.

    The second value is True when that grade was already recorded as drift (Credentials keeps the frozen grade).
    """
    return lms_grade_change(grades.get_persisted_course_grade(user_id, course_key), record)


def lms_grade_change(grade, record):
    """A ``PlatformCourseGrade`` as a ``GradeChange`` when it is newer than the ledger's ``record``, else None.

    The second value is True when that grade was already recorded as drift.
    """
    if grade is None or grade.modified is None:
        return None, False
    modified = as_utc(grade.modified)
    if record is not None and modified <= as_utc(record.last_modified):
        return None, False
    change = ledger.GradeChange(
        user_id=int(grade.user_id),
        course_key=to_course_key(grade.course_key),
        percent_grade=float(grade.percent_grade),
        letter_grade=grade.letter_grade or "",
        passed_timestamp=as_utc(grade.passed_timestamp),
        last_modified=modified,
        event_id=SEED_SOURCE,
    )
    known_drift = FrozenGradeDrift.objects.filter(
        user_id=change.user_id, course_key=change.course_key, last_modified=modified
    ).exists()
    return change, known_drift


def record_newer_lms_grade(user_id, course_key, record, reason=""):
    """Record the LMS's stored grade when it is newer than the ledger's ``record``; None when there is nothing to add.

    Returns ``SEEDED`` or ``QUEUED`` when it was recorded (and its delivery queued), ``DRIFT`` when it changed after
    the freeze and the ledger had no grade to send.
    """
    change, known_drift = newer_lms_grade(user_id, course_key, record)
    if change is None:
        return None
    if known_drift:
        # Already recorded as drift (by its event or an earlier call): Credentials keeps the frozen grade.
        return DRIFT if record is None else None
    result = ledger.record_grade_change(change)
    if result == ledger.RECORDED:
        log.info("Recorded user %s's grade in %s from the LMS (modified %s, ledger had %s) and queued it: %s.",
                 user_id, course_key, isoformat(change.last_modified),
                 isoformat(record.last_modified) if record is not None else "nothing", reason)
        return SEEDED if record is None else QUEUED
    if result == ledger.DRIFT and record is None:
        return DRIFT
    # Drift beside a frozen ledger grade, or another writer recorded this learner a moment ago: send the ledger's.
    return None


def route_to_outbox(func, source, signature):
    """Wrap upstream's sender: the outbox takes the send when the plugin forwards the org, else upstream sends."""
    @functools.wraps(func)
    def routed(*args, **kwargs):
        try:
            arguments = signature.bind(*args, **kwargs)
            arguments.apply_defaults()
            values = arguments.arguments
            taken = take_over_grade_send(
                values["user"].id, values["course_run_key"], mode=values["mode"], status=values["status"],
                source=source,
            )
        except Exception:  # pylint: disable=broad-except
            log.exception("Could not hand edx-platform's grade send at %s to the plugin's outbox; edx-platform "
                          "sends it.", source)
            taken = False
        return None if taken else func(*args, **kwargs)  # upstream's function returns None either way
    return wiring.mark(routed, func, source)
