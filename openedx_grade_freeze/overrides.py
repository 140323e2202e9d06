"""
Course and org freeze overrides: validation, saving with an audit row, and the ``config_changed`` tracking event.
"""
from datetime import datetime

from django.db import IntegrityError, transaction

from openedx_grade_freeze import tracking
from openedx_grade_freeze.dates import as_utc, isoformat
from openedx_grade_freeze.exceptions import InvalidFreezeConfigurationError
from openedx_grade_freeze.keys import to_course_key
from openedx_grade_freeze.models import CourseFreezeOverride, CourseSchedule, FreezeConfigChange, OrgFreezeOverride
from openedx_grade_freeze.platform import course_overviews
from openedx_grade_freeze.policy import MAX_OFFSET_DAYS, policy_cache

_UNSET = object()

# A reason is free text that may name people: the tracking event carries at most this much of it.
TRACKED_REASON_CHARS = 200


def validate_course_override(course_key, enabled=None, offset_days=None, freeze_date=None, reason=""):
    """Raise ``InvalidFreezeConfigurationError`` (messages per field) unless these values make sense for the course."""
    errors = {}
    try:
        course_key = to_course_key(course_key)
    except ValueError as error:
        raise InvalidFreezeConfigurationError({"course_key": [str(error)]}) from error
    if too_long := _too_long(CourseFreezeOverride, "course_key", str(course_key), "A course key"):
        raise InvalidFreezeConfigurationError({"course_key": [too_long]})
    schedule = CourseSchedule.objects.filter(course_key=course_key).first()
    start = schedule.start if schedule is not None else None
    if schedule is None:
        overview = course_overviews.get_course_overview(course_key)
        if overview is None:
            errors["course_key"] = [
                f"Unknown course {course_key}: no schedule has been published for it. "
                "Publish it in Studio or run sync_course_schedules first."
            ]
        else:
            start = overview.start
    errors.update(_common_errors(enabled, offset_days, reason))
    if freeze_date is not None:
        if not isinstance(freeze_date, datetime):
            errors["freeze_date"] = [f"A freeze date must be a date and time, not {freeze_date!r}."]
        elif start is not None and as_utc(freeze_date) < as_utc(start):
            errors["freeze_date"] = [
                f"The freeze date {isoformat(freeze_date)} is before the course start {isoformat(start)}."
            ]
    if errors:
        raise InvalidFreezeConfigurationError(errors)
    return course_key


def validate_org_override(org, enabled=None, offset_days=None, reason=""):
    """Raise ``InvalidFreezeConfigurationError`` unless these values make sense for an org override."""
    errors = _common_errors(enabled, offset_days, reason)
    if not isinstance(org, str) or not org.strip() or org != org.strip():
        errors["org"] = [f"An org must be a non-empty name without surrounding spaces, not {org!r}."]
    elif too_long := _too_long(OrgFreezeOverride, "org", org, "An org name"):
        errors["org"] = [too_long]
    if errors:
        raise InvalidFreezeConfigurationError(errors)


def _too_long(model, field_name, value, what):
    """What to say when ``value`` does not fit the column (MariaDB would refuse it, SQLite would keep it), or ""."""
    limit = model._meta.get_field(field_name).max_length
    return f"{what} has at most {limit} characters; this one has {len(value)}." if len(value) > limit else ""


def _common_errors(enabled, offset_days, reason):
    errors = {}
    if enabled not in (None, True, False):
        errors["enabled"] = [f"Enabled must be inherit (None), True or False, not {enabled!r}."]
    if offset_days is not None and (isinstance(offset_days, bool) or not isinstance(offset_days, int)):
        errors["offset_days"] = [f"The offset must be a whole number of days, not {offset_days!r}."]
    elif offset_days is not None and offset_days < 0:
        errors["offset_days"] = [f"The offset must be 0 days or more, not {offset_days}."]
    elif offset_days is not None and offset_days > MAX_OFFSET_DAYS:
        errors["offset_days"] = [f"The offset must be {MAX_OFFSET_DAYS} days or fewer, not {offset_days}."]
    if not (reason or "").strip():
        errors["reason"] = ["Say why: the reason is kept in the audit log."]
    return errors


def set_course_override(course_key, *, reason, enabled=None, offset_days=None, freeze_date=None, user=None):
    """Create or replace a course's override (validated, audited); returns the saved override."""
    course_key = validate_course_override(course_key, enabled, offset_days, freeze_date, reason)
    return _save(
        CourseFreezeOverride, {"course_key": course_key}, FreezeConfigChange.SCOPE_COURSE, str(course_key), user,
        enabled=enabled, offset_days=offset_days, freeze_date=as_utc(freeze_date), reason=reason,
    )


def set_org_override(org, *, reason, enabled=None, offset_days=None, user=None):
    """Create or replace an org's override (validated, audited); returns the saved override."""
    validate_org_override(org, enabled, offset_days, reason)
    return _save(
        OrgFreezeOverride, {"org": org}, FreezeConfigChange.SCOPE_ORG, org, user,
        enabled=enabled, offset_days=offset_days, reason=reason,
    )


def _save(model, lookup, scope, key, user, **values):
    """Replace every value of the override found by ``lookup`` (creating it), with its audit row."""
    with transaction.atomic():
        override = model.objects.select_for_update().filter(**lookup).first()
        if override is None:
            try:
                created = _create(model, lookup, user, values)
            except IntegrityError as error:
                # Another writer created it since we looked (the unique key made this insert wait for its commit):
                # this write replaces theirs, audited as a change.
                override = model.objects.select_for_update().filter(**lookup).first()
                if override is None:
                    raise error
            else:
                _record(scope, key, None, _snapshot(created), values["reason"], user)
                return created
        before = _snapshot(override)
        _assign(override, user, values)
        override.save()
        _record(scope, key, before, _snapshot(override), values["reason"], user)
    return override


def _create(model, lookup, user, values):
    """Insert a new override in a savepoint of its own, so a failed insert leaves the caller's transaction usable."""
    override = _assign(model(**lookup), user, values)
    with transaction.atomic():
        override.save(force_insert=True)
    return override


def _assign(override, user, values):
    for name, value in values.items():
        setattr(override, name, value)
    override.changed_by = user
    return override


def delete_course_override(course_key, *, reason, user=None):
    """Remove a course's override, so lower layers decide again; audited. Returns whether one existed."""
    course_key = to_course_key(course_key)
    return _delete(CourseFreezeOverride.objects.filter(course_key=course_key), FreezeConfigChange.SCOPE_COURSE,
                   str(course_key), reason, user)


def delete_org_override(org, *, reason, user=None):
    """Remove an org's override; audited. Returns whether one existed."""
    return _delete(OrgFreezeOverride.objects.filter(org=org), FreezeConfigChange.SCOPE_ORG, org, reason, user)


def _delete(queryset, scope, key, reason, user):
    if not (reason or "").strip():
        raise InvalidFreezeConfigurationError({"reason": ["Say why: the reason is kept in the audit log."]})
    with transaction.atomic():
        override = queryset.select_for_update().first()
        if override is None:
            return False
        before = _snapshot(override)
        override.delete()
        _record(scope, key, before, None, reason, user)
    return True


def _snapshot(override):
    if override is None:
        return None
    values = {"enabled": override.enabled, "offset_days": override.offset_days, "reason": override.reason}
    if isinstance(override, CourseFreezeOverride):
        values["freeze_date"] = isoformat(override.freeze_date)
    return values


def _record(scope, key, before, after, reason, user):
    """Keep the audit row, drop cached decisions, and emit ``edx.grades.freeze.config_changed`` after commit."""
    action = "created" if before is None else "deleted" if after is None else "changed"
    FreezeConfigChange.objects.create(
        scope=scope, key=key, action=action, before=before, after=after, reason=reason, changed_by=user
    )
    policy_cache.invalidate()
    data = {
        "scope": scope,
        "key": key,
        "action": action,
        "before": _capped(before),
        "after": _capped(after),
        "reason": _capped_reason(reason),
        "changed_by_user_id": getattr(user, "id", None),
    }
    transaction.on_commit(lambda: tracking.emit(tracking.CONFIG_CHANGED, data))


def _capped_reason(reason):
    reason = reason or ""
    return reason if len(reason) <= TRACKED_REASON_CHARS else reason[: TRACKED_REASON_CHARS - 1] + "…"


def _capped(values):
    return None if values is None else dict(values, reason=_capped_reason(values.get("reason")))
