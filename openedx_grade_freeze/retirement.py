"""
Forgetting a retired learner: their username is replaced in every free-text column of the plugin's tables.

The plugin keys learners by user id and stores no username on purpose; what can still hold one is free text written
by people or copied from elsewhere (override reasons, audit entries, errors, answers an older version kept).
"""
import logging
import re

from django.apps import apps
from django.db import models, transaction
from django.db.models.functions import Cast

log = logging.getLogger(__name__)

RETIRED_NAME = "[retired learner]"
# Usernames are made of these; a match must not be part of a longer name or word.
_NAME_CHARS = r"\w.@+-"
# Large tables whose rows belong to one learner: only the learner's own rows are read.
_READ_BY_USER_ID = {"CredentialsDelivery", "CourseGradeRecord", "FrozenGrade", "FrozenGradeDrift", "FreezeFailure",
                    "RefusedGradeValue", "UnrecordedGradeEvent"}


def forget_username(user_id, username):
    """Replace ``username`` wherever a text or JSON column of the plugin's tables holds it; the rows changed."""
    if not username:
        return 0
    pattern = re.compile(rf"(?<![{_NAME_CHARS}]){re.escape(username)}(?![{_NAME_CHARS}])", re.IGNORECASE)
    changed = 0
    with transaction.atomic():
        for model in apps.get_app_config("openedx_grade_freeze").get_models():
            fields = [field for field in model._meta.concrete_fields
                      if isinstance(field, (models.TextField, models.JSONField))]
            if fields:
                changed += _scrub(model, fields, user_id, username, pattern)
    log.info("Retired user %s: their username was removed from %s rows.", user_id, changed)
    return changed


def _scrub(model, fields, user_id, username, pattern):
    rows = model.objects.all()
    if model.__name__ in _READ_BY_USER_ID:
        rows = rows.filter(user_id=user_id)
    matches = models.Q()
    for field in fields:
        if isinstance(field, models.JSONField):
            rows = rows.annotate(**{f"_{field.name}_text": Cast(field.name, models.TextField())})
            matches |= models.Q(**{f"_{field.name}_text__icontains": username})
        else:
            matches |= models.Q(**{f"{field.name}__icontains": username})
    changed = 0
    for row in rows.filter(matches).iterator():
        names = []
        for field in fields:
            value = getattr(row, field.attname)
            scrubbed = _scrubbed(value, pattern)
            if scrubbed != value:
                setattr(row, field.attname, scrubbed)
                names.append(field.name)
        if names:
            row.save(update_fields=names)
            changed += 1
    return changed


def _scrubbed(value, pattern):
    if isinstance(value, str):
        return pattern.sub(RETIRED_NAME, value)
    if isinstance(value, dict):
        return {key: _scrubbed(item, pattern) for key, item in value.items()}
    if isinstance(value, list):
        return [_scrubbed(item, pattern) for item in value]
    return value
