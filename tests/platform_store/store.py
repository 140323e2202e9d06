"""
Attach the in-memory stand-in ``PersistentCourseGrade`` to the ``StoredCourseGrade`` table.

The stand-in keeps its API (``update_or_create``, ``read``, ``reset``, ``objects``): its ``_store`` dict is
replaced by a mapping over the table, and its ``objects`` by the table's real manager, so bulk queries
(``filter(course_id=…, user_id__in=…)``) are real SQL, as upstream's are.
"""
from collections.abc import MutableMapping

from tests.platform_store.models import StoredCourseGrade

_FIELDS = (
    "course_edited_timestamp", "course_version", "grading_policy_hash", "percent_grade", "letter_grade",
    "passed_timestamp", "created", "modified",
)


class DatabaseGradeStore(MutableMapping):
    """A ``{(user_id, course_id string): PersistentCourseGrade}`` mapping kept in the ``StoredCourseGrade`` table."""

    def __init__(self, model):
        self.model = model

    def _rows(self, key):
        user_id, course_id = key
        return StoredCourseGrade.objects.filter(user_id=user_id, course_id=course_id)

    def _instance(self, row):
        grade = self.model(user_id=row.user_id, course_id=row.course_id)
        for name in _FIELDS:
            setattr(grade, name, getattr(row, name))
        return grade

    def __getitem__(self, key):
        row = self._rows(key).first()
        if row is None:
            raise KeyError(key)
        return self._instance(row)

    def __setitem__(self, key, grade):
        user_id, course_id = key
        values = {name: getattr(grade, name, None) for name in _FIELDS}
        values["course_version"] = values["course_version"] or ""
        values["grading_policy_hash"] = values["grading_policy_hash"] or ""
        values["letter_grade"] = values["letter_grade"] or ""
        StoredCourseGrade.objects.update_or_create(user_id=user_id, course_id=course_id, defaults=values)

    def __delitem__(self, key):
        if not self._rows(key).delete()[0]:
            raise KeyError(key)

    def __iter__(self):
        return iter(list(StoredCourseGrade.objects.values_list("user_id", "course_id")))

    def __len__(self):
        return StoredCourseGrade.objects.count()

    def values(self):
        return [self._instance(row) for row in StoredCourseGrade.objects.all()]

    def clear(self):
        StoredCourseGrade.objects.all().delete()


def attach():
    """Back the (freshly imported) stand-in ``PersistentCourseGrade`` with the table; returns the class."""
    from lms.djangoapps.grades import models  # pylint: disable=import-outside-toplevel

    cls = models.PersistentCourseGrade
    cls._store = DatabaseGradeStore(cls)  # pylint: disable=protected-access
    cls.objects = StoredCourseGrade.objects
    return cls


def detach():
    """Put the stand-in back on its in-memory dict (and its in-memory manager)."""
    from lms.djangoapps.grades import models  # pylint: disable=import-outside-toplevel
    from standin_support import InMemoryManager  # pylint: disable=import-outside-toplevel

    cls = models.PersistentCourseGrade
    cls._store = {}  # pylint: disable=protected-access
    cls.objects = InMemoryManager(cls)
