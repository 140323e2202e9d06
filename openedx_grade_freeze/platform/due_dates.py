"""
Personalized due dates (the instructor dashboard's "Extensions"), as the edx-when library stores them, read in bulk.

edx-when is installed in every LMS; where its app is not installed, no learner has a personalized due date.
"""
import logging

from django.apps import apps
from django.db.models.signals import post_delete, post_save

log = logging.getLogger(__name__)

EDX_WHEN_APP = "edx_when"
# The edx-when field the dashboard's extensions set.
DUE = "due"
_DISPATCH_UID = "openedx_grade_freeze.personalized_due_date_changed"


def _models():
    """edx-when's models module, or None where its app is not installed."""
    if not apps.is_installed(EDX_WHEN_APP):
        return None
    from edx_when import models  # pylint: disable=import-outside-toplevel

    return models


def latest_due_dates(course_key, user_id=None):
    """Each learner's latest personalized due date in the course, ``{user_id: datetime}``, read in one query (of one
    learner only when ``user_id`` is given).

    edx-when keeps every date it was given: the newest row of a learner and block is in force, and one without an
    absolute date (a reset, or a relative date of a self-paced run) takes that block back to the course's own date.
    """
    models = _models()
    if models is None:
        return {}
    rows = models.UserDate.objects.filter(
        content_date__course_id=course_key, content_date__active=True, content_date__field=DUE,
    )
    if user_id is not None:
        rows = rows.filter(user_id=user_id)
    rows = rows.order_by("modified", "id").values_list("user_id", "content_date_id", "abs_date")
    in_force = {}
    for user_id, content_date_id, abs_date in rows:
        in_force[(user_id, content_date_id)] = abs_date  # a newer row replaces an older one
    latest = {}
    for (user_id, _), due in in_force.items():
        if due is not None and (user_id not in latest or due > latest[user_id]):
            latest[user_id] = due
    return latest


def when_changed(callback):
    """Call ``callback()`` whenever a personalized date is stored or deleted; returns whether edx-when is here."""
    models = _models()
    if models is None:
        return False

    def changed(sender, **kwargs):  # pylint: disable=unused-argument
        callback()

    post_save.connect(changed, sender=models.UserDate, dispatch_uid=f"{_DISPATCH_UID}.saved", weak=False)
    post_delete.connect(changed, sender=models.UserDate, dispatch_uid=f"{_DISPATCH_UID}.deleted", weak=False)
    return True


def when_learner_changed(callback):
    """Call ``callback(course_key, user_id)`` whenever one learner's personalized date is stored or deleted; returns
    whether edx-when is here. A failing callback is logged: the date itself is kept."""
    models = _models()
    if models is None:
        return False

    def changed(sender, instance, **kwargs):  # pylint: disable=unused-argument
        try:
            callback(instance.content_date.course_id, instance.user_id)
        except Exception:  # pylint: disable=broad-except
            log.exception("Could not follow the personalized due date %s of user %s.", instance.pk, instance.user_id)

    uid = f"{_DISPATCH_UID}.learner"
    post_save.connect(changed, sender=models.UserDate, dispatch_uid=f"{uid}.saved", weak=False)
    post_delete.connect(changed, sender=models.UserDate, dispatch_uid=f"{uid}.deleted", weak=False)
    return True
