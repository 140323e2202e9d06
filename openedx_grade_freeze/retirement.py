"""
Forgetting a retired learner: their username and email are replaced in every free-text column of the plugin's tables.

The plugin keys learners by user id and stores no username or email on purpose; what can still hold one is free text
written by people or copied from elsewhere (override reasons, audit entries, errors, answers an older version kept).
"""
import logging
import re

from django.apps import apps
from django.db import models, transaction
from django.db.models.functions import Cast

from openedx_grade_freeze.platform import retirement as platform_retirement

log = logging.getLogger(__name__)

RETIRED_NAME = "[retired learner]"
# Usernames and emails are made of these; a match must not be part of a longer name, address or word. A sentence
# may end right after one: full stops that end it do not make it longer.
_NAME_CHARS = r"\w.@+-"
# Large tables whose rows belong to one learner: only the learner's own rows are read.
_READ_BY_USER_ID = {"CredentialsDelivery", "CourseGradeRecord", "FrozenGrade", "FrozenGradeDrift", "FreezeFailure",
                    "RefusedGradeValue", "UnrecordedGradeEvent"}
# Every text and JSON column is free text; of the char columns (keys, states, ids, grades) only these are.
_FREE_TEXT_CHAR_COLUMNS = {("RefusedGradeValue", "reason")}


def free_text_columns():
    """``[(model, [fields])]``: every column of the plugin's tables where a learner's name or email can end up."""
    columns = []
    for model in apps.get_app_config("openedx_grade_freeze").get_models():
        if model._meta.proxy:
            continue
        fields = [field for field in model._meta.concrete_fields
                  if isinstance(field, (models.TextField, models.JSONField))
                  or (model.__name__, field.name) in _FREE_TEXT_CHAR_COLUMNS]
        if fields:
            columns.append((model, fields))
    return columns


def forget_learner(user_id, username, email=""):
    """Replace the learner's username and email (and the ones they had before retirement began, in the LMS)
    wherever a free-text column holds them; returns the rows changed."""
    names = {username, email, *platform_retirement.original_identity(user_id)}
    names = sorted({name for name in names if name}, key=len, reverse=True)  # an email before the name it contains
    if not names:
        return 0
    pattern = re.compile(
        "|".join(rf"(?<![{_NAME_CHARS}]){re.escape(name)}(?=\.*(?:[^{_NAME_CHARS}]|$))" for name in names),
        re.IGNORECASE,
    )
    changed = 0
    with transaction.atomic():
        for model, fields in free_text_columns():
            changed += _scrub(model, fields, user_id, names, pattern)
    log.info("Retired user %s: their username and email were removed from %s rows.", user_id, changed)
    return changed


def _scrub(model, fields, user_id, names, pattern):
    rows = model.objects.all()
    if model.__name__ in _READ_BY_USER_ID:
        rows = rows.filter(user_id=user_id)
    matches = models.Q()
    for field in fields:
        lookup = field.name
        if isinstance(field, models.JSONField):
            lookup = f"_{field.name}_text"
            rows = rows.annotate(**{lookup: Cast(field.name, models.TextField())})
        for name in names:
            matches |= models.Q(**{f"{lookup}__icontains": name})
    changed = 0
    for row in rows.filter(matches).iterator():
        changed_fields = []
        for field in fields:
            value = getattr(row, field.attname)
            scrubbed = _scrubbed(value, pattern)
            if isinstance(scrubbed, str) and getattr(field, "max_length", None):
                scrubbed = scrubbed[: field.max_length]  # a replacement may be longer than what it replaced
            if scrubbed != value:
                setattr(row, field.attname, scrubbed)
                changed_fields.append(field.name)
        if changed_fields:
            row.save(update_fields=changed_fields)
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
