"""
Stand-in for ``lms.djangoapps.grades.models``: plain in-memory classes, not Django models.

Each class keeps a class-level ``_store`` dict, sets ``created``/``modified`` like ``TimeStampedModel`` on every
write, logs each write to ``standin_support.WRITE_LOG`` and has a ``reset()`` classmethod. The public
classmethods keep upstream's names and signatures. Differences from upstream:

* no tracking events (``edx.grades.*``) and no request caches (``prefetch``/``clear_prefetched_data`` are no-ops);
* ``visible_blocks`` is accepted and reduced to a ``visible_blocks_id`` string, no ``VisibleBlocks`` rows;
* ``PersistentCourseGrade.update_or_create`` sends the real openedx-event ``PERSISTENT_GRADE_SUMMARY_CHANGED``
  only when Django settings are configured (``send_event`` needs them).
"""
from hashlib import sha1

from opaque_keys.edx.keys import CourseKey, UsageKey

from lms.djangoapps.grades.signals.signals import (
    COURSE_GRADE_PASSED_FIRST_TIME,
    COURSE_GRADE_PASSED_UPDATE_IN_LEARNER_PATHWAY,
)
from standin_support import InMemoryManager, django_settings_configured, record_write, register_reset, utcnow


class _InMemoryModel:
    """Common storage for the stand-in models."""

    _store = None  # each subclass gets its own dict in __init_subclass__
    objects = None

    class DoesNotExist(Exception):
        """Base of every stand-in model's DoesNotExist."""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls._store = {}
        cls.DoesNotExist = type('DoesNotExist', (_InMemoryModel.DoesNotExist,), {})
        cls.objects = InMemoryManager(cls)
        register_reset(cls.reset)

    @classmethod
    def reset(cls):
        """Stand-in only: forget every row."""
        cls._store.clear()

    def _touch(self, key):
        now = utcnow()
        if getattr(self, 'created', None) is None:
            self.created = now
        self.modified = now
        type(self)._store[key] = self
        record_write(type(self).__name__, key, now)

    def delete(self):
        store = type(self)._store
        for key in [key for key, value in store.items() if value is self]:
            del store[key]


class PersistentSubsectionGrade(_InMemoryModel):
    """A learner's stored grade on one subsection."""

    FIELDS = (
        'user_id', 'course_id', 'usage_key', 'subtree_edited_timestamp', 'course_version', 'earned_all',
        'possible_all', 'earned_graded', 'possible_graded', 'first_attempted', 'visible_blocks_id',
    )

    def __init__(self, **fields):
        for name in self.FIELDS:
            setattr(self, name, fields.get(name))
        self.created = None
        self.modified = None
        self.override = None

    @property
    def full_usage_key(self):
        return self.usage_key

    def save(self):
        self._touch((self.user_id, str(self.usage_key)))

    @classmethod
    def read_grade(cls, user_id, usage_key):
        """Return the stored grade; raises ``PersistentSubsectionGrade.DoesNotExist``."""
        try:
            grade = cls._store[(user_id, str(usage_key))]
        except KeyError:
            raise cls.DoesNotExist(f'{user_id} {usage_key}')  # pylint: disable=raise-missing-from
        grade.override = PersistentSubsectionGradeOverride.get_override(user_id, usage_key)
        return grade

    @classmethod
    def bulk_read_grades(cls, user_id, course_key):
        """All stored subsection grades of ``user_id`` in ``course_key``."""
        grades = [grade for grade in cls._store.values()
                  if grade.user_id == user_id and str(grade.course_id) == str(course_key)]
        for grade in grades:
            grade.override = PersistentSubsectionGradeOverride.get_override(user_id, grade.usage_key)
        return grades

    @classmethod
    def update_or_create_grade(cls, **params):
        """Create or update the grade of ``params['user_id']`` on ``params['usage_key']``; returns it."""
        cls._prepare_params(params)
        first_attempted = params.pop('first_attempted')
        user_id = params.pop('user_id')
        usage_key = params.pop('usage_key')
        grade = cls._store.get((user_id, str(usage_key))) or cls(user_id=user_id, usage_key=usage_key)
        grade.course_id = usage_key.course_key
        for name, value in params.items():
            setattr(grade, name, value)
        grade.override = PersistentSubsectionGradeOverride.get_override(user_id, usage_key)
        if first_attempted is not None and grade.first_attempted is None:
            grade.first_attempted = first_attempted
        grade.save()
        return grade

    @classmethod
    def bulk_create_grades(cls, grade_params_iter, user_id, course_key):
        """Create the grades in ``grade_params_iter`` (dicts of ``update_or_create_grade`` params); returns them."""
        if not grade_params_iter:
            return None
        grades = []
        for params in grade_params_iter:
            cls._prepare_params(params)
            grade = cls(**params)
            grade.save()
            grade.override = PersistentSubsectionGradeOverride.get_override(user_id, grade.usage_key)
            grades.append(grade)
        return grades

    @classmethod
    def _prepare_params(cls, params):
        if isinstance(params.get('usage_key'), str):
            params['usage_key'] = UsageKey.from_string(params['usage_key'])
        if not params.get('course_id', None):
            params['course_id'] = params['usage_key'].course_key
        params['course_version'] = params.get('course_version', None) or ''
        blocks = params.pop('visible_blocks', None) or []
        params['visible_blocks_id'] = sha1(repr(list(blocks)).encode('utf-8')).hexdigest()

    @classmethod
    def prefetch(cls, course_key, users):
        """No-op in the stand-in (no request cache)."""

    @classmethod
    def clear_prefetched_data(cls, course_key):
        """No-op in the stand-in (no request cache)."""


class PersistentCourseGrade(_InMemoryModel):
    """A learner's stored grade in one course run."""

    FIELDS = (
        'user_id', 'course_id', 'course_edited_timestamp', 'course_version', 'grading_policy_hash',
        'percent_grade', 'letter_grade', 'passed_timestamp',
    )

    def __init__(self, **fields):
        for name in self.FIELDS:
            setattr(self, name, fields.get(name))
        self.created = None
        self.modified = None

    def save(self):
        self._touch((self.user_id, str(self.course_id)))

    @classmethod
    def read(cls, user_id, course_id):
        """Return the stored grade; raises ``PersistentCourseGrade.DoesNotExist``."""
        try:
            return cls._store[(user_id, str(course_id))]
        except KeyError:
            raise cls.DoesNotExist(f'{user_id} {course_id}')  # pylint: disable=raise-missing-from

    @classmethod
    def update_or_create(cls, user_id, course_id, **kwargs):
        """Create or update the course grade (``kwargs`` holds ``passed`` and grade fields); returns it."""
        passed = kwargs.pop('passed')
        if kwargs.get('course_version', None) is None:
            kwargs['course_version'] = ''
        if isinstance(course_id, str):
            course_id = CourseKey.from_string(course_id)
        grade = cls._store.get((user_id, str(course_id))) or cls(user_id=user_id, course_id=course_id)
        for name, value in kwargs.items():
            setattr(grade, name, value)
        grade.save()
        if passed and not grade.passed_timestamp:
            COURSE_GRADE_PASSED_FIRST_TIME.send(sender=None, course_id=course_id, user_id=user_id)
            grade.passed_timestamp = utcnow()
            grade.save()
            COURSE_GRADE_PASSED_UPDATE_IN_LEARNER_PATHWAY.send(sender=None, user_id=user_id, course_id=course_id)
        cls._emit_openedx_persistent_grade_summary_changed_event(course_id, user_id, grade)
        return grade

    @staticmethod
    def _emit_openedx_persistent_grade_summary_changed_event(course_id, user_id, grade):
        if not django_settings_configured():
            return
        # pylint: disable=import-outside-toplevel
        from openedx_events.learning.data import CourseData, PersistentCourseGradeData
        from openedx_events.learning.signals import PERSISTENT_GRADE_SUMMARY_CHANGED
        PERSISTENT_GRADE_SUMMARY_CHANGED.send_event(
            grade=PersistentCourseGradeData(
                user_id=user_id,
                course=CourseData(course_key=course_id),
                course_edited_timestamp=grade.course_edited_timestamp,
                course_version=grade.course_version,
                grading_policy_hash=grade.grading_policy_hash,
                percent_grade=grade.percent_grade,
                letter_grade=grade.letter_grade,
                passed_timestamp=grade.passed_timestamp,
            )
        )

    @classmethod
    def prefetch(cls, course_id, users):
        """No-op in the stand-in (no request cache)."""

    @classmethod
    def clear_prefetched_data(cls, course_key):
        """No-op in the stand-in (no request cache)."""


class PersistentSubsectionGradeOverride(_InMemoryModel):
    """A staff/proctoring override of one subsection grade (one-to-one with the grade)."""

    OVERRIDE_FIELDS = (
        'earned_all_override', 'possible_all_override', 'earned_graded_override', 'possible_graded_override',
    )

    def __init__(self, grade, **fields):
        self.grade = grade
        for name in self.OVERRIDE_FIELDS + ('system', 'override_reason'):
            setattr(self, name, fields.get(name))
        self.created = None
        self.modified = None

    def save(self):
        self._touch((self.grade.user_id, str(self.grade.usage_key)))

    @classmethod
    def prefetch(cls, user_id, course_key):
        """No-op in the stand-in (no request cache)."""

    @classmethod
    def get_override(cls, user_id, usage_key):
        """Return the override on ``user_id``'s grade for ``usage_key``, or None."""
        return cls._store.get((user_id, str(usage_key)))

    @classmethod
    def update_or_create_override(
        cls, requesting_user, subsection_grade_model, feature=None, action=None, **override_data  # pylint: disable=unused-argument
    ):
        """Create or update the override of ``subsection_grade_model``; returns it."""
        defaults = cls._prepare_override_params(subsection_grade_model, override_data)
        defaults['override_reason'] = override_data.get('comment')
        defaults['system'] = override_data.get('system')
        override = cls.get_override(subsection_grade_model.user_id, subsection_grade_model.usage_key)
        if override is None:
            override = cls(subsection_grade_model, **defaults)
        else:
            for name, value in defaults.items():
                setattr(override, name, value)
        override.requesting_user = requesting_user
        override.save()
        return override

    @staticmethod
    def _prepare_override_params(subsection_grade_model, override_data):
        """Unspecified override fields default to the grade's own values, as upstream."""
        return {
            name: override_data.get(name, getattr(subsection_grade_model, name[:-len('_override')]))
            for name in PersistentSubsectionGradeOverride.OVERRIDE_FIELDS
        }
