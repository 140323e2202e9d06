"""
Stand-in for ``lms.djangoapps.grades.tasks``: the grade recalculation tasks upstream guards with
``are_grades_frozen``, which it imports BY NAME (``from .grade_utils import are_grades_frozen``), so patching
``grade_utils.are_grades_frozen`` does not reach these tasks: patch ``lms.djangoapps.grades.tasks.are_grades_frozen``.

Tasks run eagerly through ``standin_support.standin_task``. Differences from upstream:

* enrollments and users come from ``standin_support`` (``enroll``/``register_user``), not the database;
* ``_recalculate_subsection_grade`` skips ``_has_db_updated_with_new_score`` (no race to guard against in process);
* ``_update_subsection_grades`` has no block structure: it treats ``scored_block_usage_key`` as the subsection
  and updates it through ``SubsectionGradeFactory.update`` (points from ``set_raw_score``, stand-in only), then
  sends ``SUBSECTION_SCORE_CHANGED`` (whose stand-in receiver updates the course grade, as upstream).
"""
import types
from logging import getLogger

from opaque_keys.edx.keys import CourseKey, UsageKey
from opaque_keys.edx.locator import CourseLocator

from openedx.core.djangoapps.content.course_overviews.models import CourseOverview
from standin_support import enrolled_users, get_user, set_raw_score, setting, standin_task  # pylint: disable=unused-import

from .config.waffle import DISABLE_REGRADE_ON_POLICY_CHANGE
from .course_grade_factory import CourseGradeFactory
from .grade_utils import are_grades_frozen
from .signals.signals import SUBSECTION_SCORE_CHANGED
from .subsection_grade_factory import SubsectionGradeFactory

log = getLogger(__name__)

COURSE_GRADE_TIMEOUT_SECONDS = 1200
RECALCULATE_GRADE_DELAY_SECONDS = 2
RETRY_DELAY_SECONDS = 40
SUBSECTION_GRADE_TIMEOUT_SECONDS = 300

@standin_task
def compute_all_grades_for_course(**kwargs):
    """Fan out ``compute_grades_for_course_v2`` over the course's enrollments (one batch per call)."""
    if DISABLE_REGRADE_ON_POLICY_CHANGE.is_enabled():
        log.debug('Grades: ignoring policy change regrade due to waffle switch')
        return
    course_key = CourseKey.from_string(kwargs.pop('course_key'))
    if are_grades_frozen(course_key):
        log.info("Attempted compute_all_grades_for_course for course '%s', but grades are frozen.", course_key)
        return
    for course_key_string, start_id, batch_size in _course_task_args(course_key=course_key, **kwargs):
        kwargs.update({'course_key': course_key_string, 'start_id': start_id, 'batch_size': batch_size})
        compute_grades_for_course_v2.apply_async(kwargs=kwargs, queue=setting('POLICY_CHANGE_GRADES_ROUTING_KEY'))


@standin_task(bind=True, default_retry_delay=RETRY_DELAY_SECONDS, max_retries=1,
              time_limit=COURSE_GRADE_TIMEOUT_SECONDS)
def compute_grades_for_course_v2(self, **kwargs):
    """Compute grades for one batch of learners."""
    try:
        return compute_grades_for_course(kwargs['course_key'], kwargs['start_id'], kwargs['batch_size'])
    except Exception as exc:  # pylint: disable=broad-except
        raise self.retry(kwargs=kwargs, exc=exc)  # pylint: disable=raise-missing-from


@standin_task
def compute_grades_for_course(course_key, start_id, batch_size, **kwargs):  # pylint: disable=unused-argument
    """Compute and store the grades of ``batch_size`` learners from enrollment ``start_id`` (a 0-based index)."""
    course_key = CourseKey.from_string(course_key)
    if are_grades_frozen(course_key):
        log.info("Attempted compute_grades_for_course for course '%s', but grades are frozen.", course_key)
        return
    students = enrolled_users(course_key)[start_id:start_id + batch_size]
    for result in CourseGradeFactory().iter(users=students, course_key=course_key, force_update=True):
        if result.error is not None:
            raise result.error


@standin_task(bind=True, time_limit=SUBSECTION_GRADE_TIMEOUT_SECONDS, max_retries=2,
              default_retry_delay=RETRY_DELAY_SECONDS)
def recalculate_course_and_subsection_grades_for_user(self, **kwargs):  # pylint: disable=unused-argument
    """Recompute a learner's course grade, forcing subsection grades to update."""
    user_id = kwargs.get('user_id')
    course_key_str = kwargs.get('course_key')
    if not (user_id or course_key_str):
        raise Exception(f'recalculate_course_and_subsection_grades_for_user missing kwargs from {kwargs}')
    user = get_user(user_id)
    course_key = CourseKey.from_string(course_key_str)
    if are_grades_frozen(course_key):
        log.info(
            "Attempted recalculate_course_and_subsection_grades_for_user for course '%s', but grades are frozen.",
            course_key,
        )
        return
    previous_course_grade = CourseGradeFactory().read(user, course_key=course_key)
    if previous_course_grade and previous_course_grade.attempted:
        CourseGradeFactory().update(user=user, course_key=course_key, force_update_subsections=True)


@standin_task(bind=True, time_limit=SUBSECTION_GRADE_TIMEOUT_SECONDS, max_retries=2,
              default_retry_delay=RETRY_DELAY_SECONDS)
def recalculate_subsection_grade_v3(self, **kwargs):
    """Latest version of the subsection recalculation task; see ``_recalculate_subsection_grade``."""
    _recalculate_subsection_grade(self, **kwargs)


def _recalculate_subsection_grade(self, **kwargs):
    """
    Update a stored subsection grade.

    Keyword arguments as upstream: user_id, anonymous_user_id, course_id, usage_id, only_if_higher,
    expected_modified_time, score_deleted, event_transaction_id, event_transaction_type, score_db_table,
    force_update_subsections (optional).
    """
    try:
        course_key = CourseLocator.from_string(kwargs['course_id'])
        if are_grades_frozen(course_key):
            log.info("Attempted _recalculate_subsection_grade for course '%s', but grades are frozen.", course_key)
            return
        scored_block_usage_key = UsageKey.from_string(kwargs['usage_id']).replace(course_key=course_key)
        _update_subsection_grades(
            course_key,
            scored_block_usage_key,
            kwargs['only_if_higher'],
            kwargs['user_id'],
            kwargs['score_deleted'],
            kwargs.get('force_update_subsections', False),
        )
    except Exception as exc:  # pylint: disable=broad-except
        raise self.retry(kwargs=kwargs, exc=exc)  # pylint: disable=raise-missing-from


def _update_subsection_grades(
        course_key, scored_block_usage_key, only_if_higher, user_id, score_deleted, force_update_subsections=False
):
    """Update the learner's subsection grade and signal the change (stand-in: one subsection, no blocks)."""
    student = get_user(user_id)
    try:
        course = CourseOverview.get_from_id(course_key)
    except CourseOverview.DoesNotExist:
        course = types.SimpleNamespace(id=course_key, end=None)
    subsection_grade_factory = SubsectionGradeFactory(student, course=course)
    subsection_grade = subsection_grade_factory.update(
        scored_block_usage_key, only_if_higher, score_deleted, force_update_subsections,
    )
    SUBSECTION_SCORE_CHANGED.send(
        sender=None, course=course, course_structure=None, user=student, subsection_grade=subsection_grade,
    )


def _course_task_args(course_key, **kwargs):
    """Yield ``(course_key_string, start_id, batch_size)`` batches over the course's enrollments."""
    from_settings = kwargs.pop('from_settings', True)
    batch_size = 100 if from_settings else kwargs.pop('batch_size', 100)
    total = len(enrolled_users(course_key))
    if total == 0:
        log.warning('No enrollments found for %s', course_key)
    for start_id in range(0, total, batch_size):
        yield (str(course_key), start_id, batch_size)
