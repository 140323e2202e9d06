"""
Datetime helpers: everything the plugin stores and compares is tz-aware UTC.
"""
import math
from datetime import date, datetime, time, timedelta, timezone


def as_utc(value):
    """Return a datetime as tz-aware UTC (naive values are taken to be UTC, as edx-platform stores them)."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        raise TypeError(f"Expected a datetime, got {value!r}")
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def isoformat(value):
    """ISO-8601 text of a datetime in UTC, or None."""
    return None if value is None else as_utc(value).isoformat()


def days_until(moment, now):
    """Days from ``now`` until ``moment``, a started day counting as one (never below 0)."""
    return max(math.ceil((moment - now).total_seconds() / 86400), 0)


def parse_window_end(text):
    """The end of a window typed by a person: a date means through the end of that day (UTC); a date and time
    without an offset is UTC. ``ValueError`` when it is neither."""
    text = (text or "").strip()
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), time.min, tzinfo=timezone.utc) + timedelta(days=1)
        moment = datetime.fromisoformat(text)
    except OverflowError as error:
        raise ValueError(f"{text!r} is past the last date of the calendar") from error
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)
