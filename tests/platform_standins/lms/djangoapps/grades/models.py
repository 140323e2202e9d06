"""
Stand-in for ``lms.djangoapps.grades.models``: plain in-memory classes, not Django models.

Each class keeps a class-level ``_store`` dict, sets ``created``/``modified`` like ``TimeStampedModel`` on every
write, logs each write and delete to ``standin_support.WRITE_LOG`` and has a ``reset()`` classmethod. The public
classmethods keep upstream's names and signatures (``openedx/openedx-platform`` at ``130f7d470598…``; with
``standin_support.PLATFORM_VARIANT == "pr38862"``, PR #38862's ``update_or_create_grade``/``bulk_create_grades``
as stored at ``3b7eee77d13c…``). Differences from upstream:

* no tracking events (``edx.grades.*``), no ``VisibleBlocks`` rows (``visible_blocks`` becomes a
  ``visible_blocks_id`` hash) and no ``PERSISTENT_SUBSECTION_GRADE_CHANGED`` event in the PR variant;
* of the request caches only ``PersistentCourseGrade``'s is kept (``prefetch``/``read``/``clear_prefetched_data``):
  a per-process dict holding copies, so a read after a write that bypassed it is stale, as upstream;
* ``PersistentCourseGrade.update_or_create`` sends the real openedx-event ``PERSISTENT_GRADE_SUMMARY_CHANGED``
  only when Django settings are configured (``send_event`` needs them).
"""
import copy
from hashlib import sha1

from opaque_keys.edx.keys import CourseKey, UsageKey

from lms.djangoapps.grades.signals.signals import (
    COURSE_GRADE_PASSED_FIRST_TIME,
    COURSE_GRADE_PASSED_UPDATE_IN_LEARNER_PATHWAY,
)
import standin_support
from standin_support import (
    InMemoryManager,
    django_settings_configured,
    record_delete,
    record_write,
    register_reset,
    utcnow,
)

#: Which signatures this module was imported with (``standin_support.PLATFORM_VARIANT`` at import time).
PLATFORM_VARIANT = standin_support.PLATFORM_VARIANT


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
            record_delete(type(self).__name__, key)


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
    def _update_or_create_grade(cls, params):
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
    def _bulk_create_grades(cls, grade_params_iter, user_id):
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

    if PLATFORM_VARIANT == 'pr38862':
        @classmethod
        def update_or_create_grade(cls, grading_policy_hash=None, **params):
            """Create or update the grade of ``params['user_id']`` on ``params['usage_key']``; returns it.

            The PR sends ``grading_policy_hash`` in its new event; the stand-in keeps it on the returned grade.
            """
            grade = cls._update_or_create_grade(params)
            grade.event_grading_policy_hash = grading_policy_hash
            return grade

        @classmethod
        def bulk_create_grades(cls, grade_params_iter, user_id, course_key, grading_policy_hash=None):  # pylint: disable=unused-argument
            """Create the grades in ``grade_params_iter`` (dicts of ``update_or_create_grade`` params)."""
            grades = cls._bulk_create_grades(grade_params_iter, user_id)
            for grade in grades or ():
                grade.event_grading_policy_hash = grading_policy_hash
            return grades
    else:
        @classmethod
        def update_or_create_grade(cls, **params):
            """Create or update the grade of ``params['user_id']`` on ``params['usage_key']``; returns it."""
            return cls._update_or_create_grade(params)

        @classmethod
        def bulk_create_grades(cls, grade_params_iter, user_id, course_key):  # pylint: disable=unused-argument
            """Create the grades in ``grade_params_iter`` (dicts of ``update_or_create_grade`` params)."""
            return cls._bulk_create_grades(grade_params_iter, user_id)

    @classmethod
    def delete_subsection_grades_for_learner(cls, user_id, course_key):
        """Delete the learner's subsection grades in the course and their overrides; returns how many rows went."""
        grades = [grade for grade in cls._store.values()
                  if grade.user_id == user_id and str(grade.course_id) == str(course_key)]
        deleted = 0
        for grade in grades:
            override = PersistentSubsectionGradeOverride.get_override(user_id, grade.usage_key)
            if override is not None:  # on_delete=CASCADE
                override.delete()
                deleted += 1
            grade.delete()
            deleted += 1
        return deleted

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

    _CACHE_NAMESPACE = 'grades.models.PersistentCourseGrade'
    #: Stand-in for the request cache: {course id string: {user_id: grade copy}}; cleared by ``reset_all()``.
    _prefetched = {}

    @classmethod
    def read(cls, user_id, course_id):
        """The prefetched grade when the course was prefetched, else the stored one; raises ``DoesNotExist``."""
        prefetched = cls._prefetched.get(str(course_id))
        if prefetched is not None:
            try:
                return prefetched[user_id]
            except KeyError:
                raise cls.DoesNotExist(f'{user_id} {course_id} (not prefetched)')  # pylint: disable=raise-missing-from
        try:
            return cls._store[(user_id, str(course_id))]
        except KeyError:
            raise cls.DoesNotExist(f'{user_id} {course_id}')  # pylint: disable=raise-missing-from

    @classmethod
    def delete_course_grade_for_learner(cls, course_id, user_id):
        """Delete the learner's course grade (if any) and drop it from the request cache."""
        grade = cls._store.get((user_id, str(course_id)))
        if grade is not None:
            grade.delete()
        cls._prefetched.get(str(course_id), {}).pop(user_id, None)

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
        course_cache = cls._prefetched.get(str(course_id))
        if course_cache is not None:
            course_cache[user_id] = copy.copy(grade)
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
        """Cache copies of the given users' grades in the course (as they are now)."""
        user_ids = {user.id for user in users}
        cls._prefetched[str(course_id)] = {
            grade.user_id: copy.copy(grade) for grade in cls._store.values()
            if grade.user_id in user_ids and str(grade.course_id) == str(course_id)
        }

    @classmethod
    def clear_prefetched_data(cls, course_key):
        """Forget the prefetched grades of the course."""
        cls._prefetched.pop(str(course_key), None)

    @classmethod
    def reset(cls):
        super().reset()
        cls._prefetched.clear()


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
