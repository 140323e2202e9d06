"""
Self-check of the edx-platform stand-ins in tests/platform_standins.

The stand-ins must keep upstream's module paths, names and signatures (listed in
docs/references/edx_platform_write_points.rst), and behave like upstream where the freeze is concerned. These
tests need no database and no Django settings.
"""
import importlib
import inspect
import sys
from datetime import timedelta
from pathlib import Path

import jwt
import pytest

STANDINS_DIR = Path(__file__).parent / 'platform_standins'

COURSE_ID = 'course-v1:OrgX+Freeze101+2024'
SUBSECTION_ID = 'block-v1:OrgX+Freeze101+2024+type@sequential+block@week1'

# (module, dotted attribute, signature as upstream declares it). Keep in step with the reference doc.
UPSTREAM_SIGNATURES = [
    ('lms.djangoapps.grades.grade_utils', 'are_grades_frozen', '(course_key)'),
    ('lms.djangoapps.grades.tasks', 'compute_all_grades_for_course', '(**kwargs)'),
    ('lms.djangoapps.grades.tasks', 'compute_grades_for_course_v2', '(self, **kwargs)'),
    ('lms.djangoapps.grades.tasks', 'compute_grades_for_course', '(course_key, start_id, batch_size, **kwargs)'),
    ('lms.djangoapps.grades.tasks', 'recalculate_course_and_subsection_grades_for_user', '(self, **kwargs)'),
    ('lms.djangoapps.grades.tasks', 'recalculate_subsection_grade_v3', '(self, **kwargs)'),
    ('lms.djangoapps.grades.tasks', '_recalculate_subsection_grade', '(self, **kwargs)'),
    ('lms.djangoapps.grades.tasks', '_update_subsection_grades',
     '(course_key, scored_block_usage_key, only_if_higher, user_id, score_deleted, force_update_subsections=False)'),
    ('lms.djangoapps.grades.models', 'PersistentSubsectionGrade.update_or_create_grade', '(**params)'),
    ('lms.djangoapps.grades.models', 'PersistentSubsectionGrade.bulk_create_grades',
     '(grade_params_iter, user_id, course_key)'),
    ('lms.djangoapps.grades.models', 'PersistentSubsectionGrade.read_grade', '(user_id, usage_key)'),
    ('lms.djangoapps.grades.models', 'PersistentCourseGrade.update_or_create', '(user_id, course_id, **kwargs)'),
    ('lms.djangoapps.grades.models', 'PersistentCourseGrade.read', '(user_id, course_id)'),
    ('lms.djangoapps.grades.models', 'PersistentSubsectionGradeOverride.update_or_create_override',
     '(requesting_user, subsection_grade_model, feature=None, action=None, **override_data)'),
    ('lms.djangoapps.grades.models', 'PersistentSubsectionGradeOverride.get_override', '(user_id, usage_key)'),
    ('lms.djangoapps.grades.models_api', 'update_or_create_override', '(grade, **kwargs)'),
    ('lms.djangoapps.grades.models_api', 'get_subsection_grade',
     '(user_id, course_key_or_id, usage_key_or_id)'),
    ('lms.djangoapps.grades.models_api', 'get_recently_modified_grades',
     '(course_keys, start_date, end_date, users=None)'),
    ('lms.djangoapps.grades.api', 'override_subsection_grade',
     "(user_id, course_key_or_id, usage_key_or_id, overrider=None, earned_all=None, earned_graded=None, "
     "feature='PROCTORING', comment=None)"),
    ('lms.djangoapps.grades.api', 'undo_override_subsection_grade',
     "(user_id, course_key_or_id, usage_key_or_id, feature='')"),
    ('lms.djangoapps.grades.course_grade_factory', 'CourseGradeFactory.read',
     '(self, user, course=None, collected_block_structure=None, course_structure=None, course_key=None, '
     'create_if_needed=True)'),
    ('lms.djangoapps.grades.course_grade_factory', 'CourseGradeFactory.update',
     '(self, user, course=None, collected_block_structure=None, course_structure=None, course_key=None, '
     'force_update_subsections=False)'),
    ('lms.djangoapps.grades.course_grade_factory', 'CourseGradeFactory.iter',
     '(self, users, course=None, collected_block_structure=None, course_key=None, force_update=False)'),
    ('lms.djangoapps.grades.services', 'GradesService.override_subsection_grade',
     "(self, user_id, course_key_or_id, usage_key_or_id, earned_all=None, earned_graded=None, "
     "feature='PROCTORING', overrider=None, comment=None)"),
    ('lms.djangoapps.grades.services', 'GradesService.undo_override_subsection_grade',
     "(self, user_id, course_key_or_id, usage_key_or_id, feature='PROCTORING')"),
    ('lms.djangoapps.grades.util_services', 'GradesUtilService.__init__', '(self, **kwargs)'),
    ('lms.djangoapps.grades.util_services', 'GradesUtilService.are_grades_frozen', '(self)'),
    ('lms.djangoapps.grades.rest_api.v1.gradebook_views', 'CourseGradingView.get', '(self, request, course_key)'),
    ('lms.djangoapps.grades.rest_api.v1.gradebook_views', 'GradebookBulkUpdateView.post',
     '(self, request, course_key)'),
    ('lms.djangoapps.grades.rest_api.v2.services', 'grades_frozen', '(course_key, course_end)'),
    ('lms.djangoapps.instructor_task.tasks_helper.grades', 'CourseGradeReport.generate',
     '(_xblock_instance_args, _entry_id, course_id, _task_input, action_name)'),
    ('openedx.core.djangoapps.content.course_overviews.models', 'CourseOverview.get_from_id', '(course_id)'),
    ('openedx.core.djangoapps.content.course_overviews.models', 'CourseOverview.get_all_courses',
     '(orgs=None, filter_=None, active_only=False, course_keys=None)'),
    ('openedx.core.djangoapps.site_configuration.helpers', 'get_value_for_org', '(org, val_name, default=None)'),
    ('openedx.core.djangoapps.credentials.utils', 'get_credentials_api_client', '(user) -> requests.sessions.Session'),
    ('openedx.core.djangoapps.credentials.utils', 'get_credentials_api_base_url', '(org=None)'),
    ('openedx.core.djangoapps.credentials.models', 'CredentialsApiConfig.current', '()'),
    ('openedx.core.djangoapps.credentials.models', 'CredentialsApiConfig.get_internal_api_url_for_org', '(org)'),
    ('openedx.core.djangoapps.credentials.tasks.v1.tasks', 'send_grade_to_credentials',
     '(self, username, course_run_key, verified, letter_grade, percent_grade, grade_last_updated)'),
    ('openedx.core.djangoapps.credentials.tasks.v1.tasks', 'send_grade_if_interesting',
     '(user, course_run_key, mode, status, letter_grade, percent_grade, grade_last_updated=None, verbose=False)'),
    ('openedx.core.djangoapps.credentials.signals', 'handle_grade_change',
     '(user, course_grade, course_key, **kwargs)'),
    ('openedx.core.djangoapps.credentials.signals', 'handle_cert_change', '(user, course_key, mode, status, **kwargs)'),
]

# Modules that upstream lets bind ``are_grades_frozen`` by name (each needs its own patch).
IMPORTS_ARE_GRADES_FROZEN_BY_NAME = [
    'lms.djangoapps.grades.tasks',
    'lms.djangoapps.grades.rest_api.v1.gradebook_views',
]


@pytest.fixture(scope='module')
def standins():
    """Put the stand-ins on sys.path for this module's tests."""
    added = str(STANDINS_DIR) not in sys.path
    if added:
        sys.path.insert(0, str(STANDINS_DIR))
    yield importlib.import_module('standin_support')
    if added:
        sys.path.remove(str(STANDINS_DIR))


@pytest.fixture
def course(standins):
    """A course that ended yesterday, one enrolled learner, clean stores."""
    from openedx.core.djangoapps.content.course_overviews.models import CourseOverview
    importlib.import_module('lms.djangoapps.grades.api')  # connects the stand-in receivers
    standins.reset_all()
    overview = CourseOverview.create(COURSE_ID, end=standins.utcnow() - timedelta(days=1))
    standins.enroll(standins.register_user(7, 'learner'), COURSE_ID)
    yield overview
    standins.reset_all()


def _resolve(module_name, dotted):
    obj = importlib.import_module(module_name)
    for part in dotted.split('.'):
        obj = getattr(obj, part)
    return obj


@pytest.mark.parametrize('module_name, dotted, expected', UPSTREAM_SIGNATURES)
def test_signature_matches_upstream(standins, module_name, dotted, expected):  # pylint: disable=unused-argument
    assert str(inspect.signature(_resolve(module_name, dotted))) == expected


@pytest.mark.parametrize('module_name', IMPORTS_ARE_GRADES_FROZEN_BY_NAME)
def test_modules_bind_are_grades_frozen_by_name(standins, module_name):  # pylint: disable=unused-argument
    grade_utils = importlib.import_module('lms.djangoapps.grades.grade_utils')
    assert importlib.import_module(module_name).are_grades_frozen is grade_utils.are_grades_frozen


def test_util_service_looks_up_grade_utils_at_call_time(standins, course, monkeypatch):  # pylint: disable=unused-argument
    from lms.djangoapps.grades import grade_utils
    from lms.djangoapps.grades.util_services import GradesUtilService
    monkeypatch.setattr(grade_utils, 'are_grades_frozen', lambda course_key: 'patched')
    assert GradesUtilService(course_id=course.id).are_grades_frozen() == 'patched'


@pytest.mark.parametrize('days_since_end, flag_on, frozen', [
    (1, True, False),
    (31, True, True),
    (31, False, False),
    (None, True, False),
])
def test_are_grades_frozen_rule(standins, course, days_since_end, flag_on, frozen):
    from lms.djangoapps.grades.config.waffle import ENFORCE_FREEZE_GRADE_AFTER_COURSE_END
    from lms.djangoapps.grades.grade_utils import are_grades_frozen
    from lms.djangoapps.grades.rest_api.v2.services import grades_frozen
    course.end = None if days_since_end is None else standins.utcnow() - timedelta(days=days_since_end)
    ENFORCE_FREEZE_GRADE_AFTER_COURSE_END.set_enabled(flag_on)
    assert are_grades_frozen(course.id) is frozen
    assert grades_frozen(course.id, course.end) is frozen


def _recalculate(tasks):
    tasks.recalculate_subsection_grade_v3.apply_async(kwargs={
        'user_id': 7, 'course_id': COURSE_ID, 'usage_id': SUBSECTION_ID, 'only_if_higher': False,
        'score_deleted': False, 'score_db_table': 'csm',
    })


def test_recalculation_writes_grades_until_frozen(standins, course):
    from lms.djangoapps.grades import tasks
    from lms.djangoapps.grades.models import PersistentCourseGrade
    tasks.set_raw_score(7, SUBSECTION_ID, 8, 10)
    _recalculate(tasks)
    grade = PersistentCourseGrade.read(7, COURSE_ID)
    assert (grade.percent_grade, grade.letter_grade) == (0.8, 'Pass')
    assert grade.passed_timestamp is not None

    course.end = standins.utcnow() - timedelta(days=31)
    writes_before = len(standins.WRITE_LOG)
    tasks.set_raw_score(7, SUBSECTION_ID, 1, 10)
    _recalculate(tasks)
    tasks.compute_all_grades_for_course(course_key=COURSE_ID)
    tasks.compute_grades_for_course(COURSE_ID, 0, 100)
    tasks.recalculate_course_and_subsection_grades_for_user(user_id=7, course_key=COURSE_ID)
    assert len(standins.WRITE_LOG) == writes_before


def test_override_after_freeze_is_stored_but_never_applied(standins, course):
    from lms.djangoapps.grades import api, tasks
    from lms.djangoapps.grades.models import PersistentCourseGrade
    tasks.set_raw_score(7, SUBSECTION_ID, 8, 10)
    _recalculate(tasks)
    course.end = standins.utcnow() - timedelta(days=31)
    writes_before = len(standins.WRITE_LOG)
    api.override_subsection_grade(7, COURSE_ID, SUBSECTION_ID, earned_graded=0.0)
    assert [write[0] for write in standins.WRITE_LOG[writes_before:]] == ['PersistentSubsectionGradeOverride']
    assert PersistentCourseGrade.read(7, COURSE_ID).percent_grade == 0.8


def test_gradebook_refuses_bulk_update_when_frozen(standins, course):
    from lms.djangoapps.grades.rest_api.v1.gradebook_views import (
        CourseGradingView,
        GradebookBulkUpdateView,
        StandinAPIError,
    )

    class Request:
        user = standins.get_user(7)
        data = [{'user_id': 7, 'usage_id': SUBSECTION_ID, 'grade': {'earned_graded_override': 5.0}}]

    assert GradebookBulkUpdateView().post(Request, course.id).status == 202
    assert CourseGradingView().get(Request, course.id).data['grades_frozen'] is False
    course.end = standins.utcnow() - timedelta(days=31)
    with pytest.raises(StandinAPIError) as error:
        GradebookBulkUpdateView().post(Request, course.id)
    assert (error.value.status_code, error.value.error_code) == (403, 'grades_frozen')
    assert CourseGradingView().get(Request, course.id).data['grades_frozen'] is True


def test_grade_report_reads_without_writing(standins, course):
    from lms.djangoapps.instructor_task.tasks_helper.grades import CourseGradeReport
    success_rows, error_rows = CourseGradeReport.generate(None, 1, course.id, {}, 'graded')
    assert (success_rows, error_rows, standins.WRITE_LOG) == ([[7, 'user7@example.com', 'learner', 0.0]], [], [])


def test_credentials_client_sends_a_jwt_for_the_user(standins, course):  # pylint: disable=unused-argument
    from openedx.core.djangoapps.credentials.utils import get_credentials_api_base_url, get_credentials_api_client
    from openedx.core.djangoapps.site_configuration.helpers import set_value_for_org
    client = get_credentials_api_client(standins.register_user(1, 'credentials_service_user', is_staff=True))
    scheme, token = client.headers['Authorization'].split(' ')
    secret = standins.setting('GRADE_FREEZE_TEST_JWT_SECRET', 'grade-freeze-test-secret-0123456789abcdef')
    claims = jwt.decode(token, secret, algorithms=['HS256'], audience='lms-key')
    assert (scheme, claims['preferred_username'], claims['administrator']) == ('JWT', 'credentials_service_user', True)
    set_value_for_org('OrgX', 'CREDENTIALS_INTERNAL_SERVICE_URL', 'http://credentials.orgx.test')
    assert get_credentials_api_base_url(org='OrgX') == 'http://credentials.orgx.test/api/v2/'
