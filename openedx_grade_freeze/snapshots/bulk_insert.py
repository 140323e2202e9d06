"""
Writing a chunk's frozen grades: multi-row INSERTs whose numbers and times are written into the statement.

Not ``bulk_create``, nor parameters for every value: preparing each field of each model instance, then adapting and
escaping each parameter in the driver, took most of a chunk's time (profiled on MariaDB). Here a row costs one
formatted string; the only parameters are the strings (course key and letter grade), which the driver escapes.
"""
import math
from datetime import datetime

from django.conf import settings
from django.db import connection

from openedx_grade_freeze.models import FrozenGrade

# Rows per INSERT: keeps each statement far below MySQL's max_allowed_packet and SQLite's parameter limit.
ROWS_PER_STATEMENT = 1000

_COLUMNS = ("run", "course_key", "user_id", "has_grade", "percent_grade", "letter_grade", "passed",
            "passed_timestamp", "grade_modified", "frozen_at", "refrozen")


def _boolean(value):
    return "TRUE" if value else "FALSE"


def _number(value):
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"not a finite number: {value!r}")
    return repr(number)


def _datetime_writer():
    """A function writing a datetime column's value as an SQL literal, stored as Django stores it.

    Naive, in the connection's time zone (UTC in the LMS); made once per statement, as reading the setting and the
    zone for each value cost more than the formatting.
    """
    zone = connection.timezone if settings.USE_TZ else None

    def literal(value):
        if value is None:
            return "NULL"
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime, not {type(value).__name__}")
        if zone is not None and value.tzinfo is not None:
            value = value.astimezone(zone).replace(tzinfo=None)
        # Digits, dashes, colons, a space and a dot only: nothing to escape.
        return f"'{value.isoformat(sep=' ')}'"

    return literal


def insert_frozen_grades(run, values_by_user, frozen_at):
    """Insert one frozen grade per ``(user_id, values)``; ``values`` as ``runs.grade_values`` makes them."""
    if not values_by_user:
        return
    quote, _datetime = connection.ops.quote_name, _datetime_writer()
    columns = ", ".join(quote(FrozenGrade._meta.get_field(name).column) for name in _COLUMNS)
    head = f"INSERT INTO {quote(FrozenGrade._meta.db_table)} ({columns}) VALUES "
    constant_head = f"({int(run.pk)}, %s, "
    constant_tail = f", {_datetime(frozen_at)}, FALSE)"
    course_key = str(run.course_key)
    with connection.cursor() as cursor:
        for start in range(0, len(values_by_user), ROWS_PER_STATEMENT):
            rows, params = [], []
            for user_id, values in values_by_user[start:start + ROWS_PER_STATEMENT]:
                rows.append(
                    f"{constant_head}{int(user_id)}, {_boolean(values['has_grade'])}, "
                    f"{_number(values['percent_grade'])}, %s, {_boolean(values['passed'])}, "
                    f"{_datetime(values['passed_timestamp'])}, {_datetime(values['grade_modified'])}{constant_tail}"
                )
                params += (course_key, values["letter_grade"])
            cursor.execute(head + ", ".join(rows), params)
