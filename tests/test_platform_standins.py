"""
Checks of the edx-platform stand-ins in tests/platform_standins.

The stand-ins must keep upstream's module paths, names and signatures (recorded, with the commit each was read
from, in tests/data/platform_signatures.json), and behave like upstream where the freeze is concerned. These
tests need no database.
"""
import importlib
import inspect
import json
from datetime import timedelta
from pathlib import Path

import jwt
import pytest

SIGNATURES = json.loads((Path(__file__).parent / "data" / "platform_signatures.json").read_text())

COURSE_ID = 'course-v1:OrgX+Freeze101+2024'
SUBSECTION_ID = 'block-v1:OrgX+Freeze101+2024+type@sequential+block@week1'


def _parameters(func):
    """A signature as the data file writes it: ``name``, ``name=``, ``*name``, ``**name``."""
    prefix = {inspect.Parameter.VAR_POSITIONAL: '*', inspect.Parameter.VAR_KEYWORD: '**'}
    return [
        prefix.get(p.kind, '') + name + ('=' if p.default is not inspect.Parameter.empty else '')
        for name, p in inspect.signature(func).parameters.items()
    ]


def _entries(version):
    return [
        pytest.param(version, entry, id=f"{version}:{entry['module']}.{entry['attribute']}")
        for entry in SIGNATURES['versions'][version]['write_points']
    ]


# Modules that upstream lets bind ``are_grades_frozen`` by name (each needs its own patch).
IMPORTS_ARE_GRADES_FROZEN_BY_NAME = [
    'lms.djangoapps.grades.tasks',
    'lms.djangoapps.grades.rest_api.v1.gradebook_views',
    'lms.djangoapps.grades.rest_api.v2.permissions',
]


@pytest.fixture
def standins(platform):
    """The stand-ins freshly imported (conftest's ``platform``)."""
    return platform


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


RELEASES = ('teak', 'ulmo', 'verawood')


def _other_calls(version):
    return [
        pytest.param(version, entry, id=f"{version}:{entry['module']}.{entry['attribute']}")
        for entry in SIGNATURES['versions'][version]['other_calls']
    ]


@pytest.mark.parametrize('version, entry', _entries('newest') + _entries('pr38862')
                         + [param for release in RELEASES for param in _entries(release) + _other_calls(release)])
def test_standin_signature_matches_upstream(standins, version, entry):
    """Each write point's stand-in has the parameters upstream has: the PR's, or a release's, under its variant."""
    standins.use_variant('upstream' if version == 'newest' else version)
    try:
        assert _parameters(_resolve(entry['module'], entry['attribute'])) == entry['parameters']
    finally:
        standins.use_variant('upstream')


@pytest.mark.parametrize('release', RELEASES)
def test_each_release_records_where_its_code_was_read_and_what_it_lacks(standins, release):
    """Every entry names a repository and commit; the modules a release lacks cannot be imported under its variant."""
    recorded = SIGNATURES['versions'][release]
    assert recorded['read_at'] and all(copy['repository'] and len(copy['commit']) == 40 for copy in recorded['read_at'])
    assert all(entry['repository'] and len(entry['commit']) == 40 for entry in recorded['write_points'])
    standins.use_variant(release)
    try:
        for module_name in recorded['absent']['modules']:
            with pytest.raises(ModuleNotFoundError):
                importlib.import_module(module_name)
        assert importlib.import_module('lms.djangoapps.grades.grade_utils').are_grades_frozen
    finally:
        standins.use_variant('upstream')


@pytest.mark.parametrize('shape', sorted(SIGNATURES['recently_modified_grades_shapes'].keys() - {'_about'}))
def test_recently_modified_grades_takes_each_recorded_shape(standins, shape):
    standins.use_recent_grades_shape(shape)
    try:
        from lms.djangoapps.grades import api, models_api
        expected = SIGNATURES['recently_modified_grades_shapes'][shape]['parameters']
        assert _parameters(models_api.get_recently_modified_grades) == expected
        assert api.get_recently_modified_grades is models_api.get_recently_modified_grades
    finally:
        standins.use_recent_grades_shape('users')


@pytest.mark.parametrize('module_name', IMPORTS_ARE_GRADES_FROZEN_BY_NAME)
def test_modules_bind_are_grades_frozen_by_name(newest_upstream, standins, module_name):  # pylint: disable=unused-argument
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
def test_are_grades_frozen_rule(newest_upstream, standins, course, days_since_end, flag_on, frozen):
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
    from lms.djangoapps.grades.rest_api.v1.gradebook_views import CourseGradingView, GradebookBulkUpdateView
    from openedx.core.lib.api.view_utils import DeveloperErrorResponseException

    class Request:
        user = standins.get_user(7)
        data = [{'user_id': 7, 'usage_id': SUBSECTION_ID, 'grade': {'earned_graded_override': 5.0}}]

    assert GradebookBulkUpdateView().post(Request, course.id).status_code == 202
    assert CourseGradingView().get(Request, course.id).data['grades_frozen'] is False
    course.end = standins.utcnow() - timedelta(days=31)
    with pytest.raises(DeveloperErrorResponseException) as error:
        GradebookBulkUpdateView().post(Request, course.id)
    response = error.value.response
    assert (response.status_code, response.data['error_code']) == (403, 'grades_frozen')
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


def _signals_sent(names):
    """Connect a recorder to the platform signals ``names``; returns the list it fills and a disconnect function."""
    from openedx.core.djangoapps.signals import signals
    sent = []
    receivers = []
    for name in names:
        def receiver(sender, name=name, **kwargs):  # pylint: disable=unused-argument
            sent.append((name, kwargs))
        getattr(signals, name).connect(receiver, weak=False)
        receivers.append((getattr(signals, name), receiver))
    return sent, lambda: [signal.disconnect(receiver) for signal, receiver in receivers]


def test_update_persists_subsections_in_bulk_then_the_course_grade_then_signals(standins, course):
    from lms.djangoapps.grades.course_grade_factory import CourseGradeFactory
    standins.set_raw_score(7, SUBSECTION_ID, 8, 10)
    sent, disconnect = _signals_sent(['COURSE_GRADE_CHANGED', 'COURSE_GRADE_NOW_PASSED', 'COURSE_GRADE_NOW_FAILED'])
    try:
        grade = CourseGradeFactory().update(standins.get_user(7), course_key=course.id)
    finally:
        disconnect()
    assert [write[0] for write in standins.WRITE_LOG] == ['PersistentSubsectionGrade', 'PersistentCourseGrade',
                                                         'PersistentCourseGrade']  # the second: passed_timestamp
    assert [name for name, _ in sent] == ['COURSE_GRADE_CHANGED', 'COURSE_GRADE_NOW_PASSED']
    assert sent[0][1]['course_grade'] is grade and sent[0][1]['deadline'] == course.end


def test_update_signals_even_when_the_write_returns_nothing(standins, course, monkeypatch):
    from lms.djangoapps.grades.course_grade_factory import CourseGradeFactory
    from lms.djangoapps.grades.models import PersistentCourseGrade
    standins.set_raw_score(7, SUBSECTION_ID, 1, 10)
    monkeypatch.setattr(PersistentCourseGrade, 'update_or_create', classmethod(lambda cls, *a, **kw: None))
    sent, disconnect = _signals_sent(['COURSE_GRADE_CHANGED', 'COURSE_GRADE_NOW_FAILED'])
    try:
        CourseGradeFactory().update(standins.get_user(7), course_key=course.id)
    finally:
        disconnect()
    assert [name for name, _ in sent] == ['COURSE_GRADE_CHANGED', 'COURSE_GRADE_NOW_FAILED']


def test_prefetched_course_grade_read_can_be_stale(standins, course):
    from lms.djangoapps.grades.models import PersistentCourseGrade
    from lms.djangoapps.grades.models_api import prefetch_course_and_subsection_grades
    PersistentCourseGrade.update_or_create(7, course.id, percent_grade=0.8, letter_grade='Pass', passed=True)
    prefetch_course_and_subsection_grades(course.id, [standins.get_user(7)])
    PersistentCourseGrade.read(7, course.id).percent_grade = 0.1  # the cached copy, not the stored row
    assert PersistentCourseGrade.objects.get(user_id=7).percent_grade == 0.8
    assert PersistentCourseGrade.read(7, course.id).percent_grade == 0.1
    standins.reset_all()
    with pytest.raises(PersistentCourseGrade.DoesNotExist):
        PersistentCourseGrade.read(7, course.id)


def test_course_overview_load_can_fail(standins, course):
    from lms.djangoapps.grades.course_grade_factory import CourseGradeFactory
    from openedx.core.djangoapps.content.course_overviews.models import CourseOverview
    CourseOverview.fail_loading(course.id, OSError('content store down'))
    with pytest.raises(OSError):
        CourseOverview.get_from_id(course.id)
    with pytest.raises(OSError):
        CourseGradeFactory().update(standins.get_user(7), course_key=course.id)
    assert standins.WRITE_LOG == []
    CourseOverview.fail_loading(course.id, None)
    assert CourseOverview.get_from_id(course.id) is course


def test_deletes_are_logged(standins, course):
    from lms.djangoapps.grades import api, tasks
    from lms.djangoapps.grades.models import PersistentCourseGrade, PersistentSubsectionGrade
    standins.set_raw_score(7, SUBSECTION_ID, 8, 10)
    _recalculate(tasks)
    api.override_subsection_grade(7, COURSE_ID, SUBSECTION_ID, earned_graded=2.0)
    del standins.WRITE_LOG[:]
    api.undo_override_subsection_grade(7, COURSE_ID, SUBSECTION_ID)
    assert standins.WRITE_LOG[0][0] == 'PersistentSubsectionGradeOverride.delete'
    assert PersistentCourseGrade.read(7, COURSE_ID).percent_grade == 0.8  # recalculated from the raw score
    del standins.WRITE_LOG[:]
    api.clear_user_course_grades(7, course.id)
    assert [write[0] for write in standins.WRITE_LOG] == [
        'PersistentSubsectionGrade.delete', 'PersistentCourseGrade.delete']
    assert PersistentSubsectionGrade.objects.count() == PersistentCourseGrade.objects.count() == 0


def test_proctoring_rejection_overrides_then_invalidates_the_certificate(standins, course):
    from lms.djangoapps.certificates import api as certificates_api
    from lms.djangoapps.grades import tasks
    from lms.djangoapps.grades.services import GradesService
    standins.set_raw_score(7, SUBSECTION_ID, 8, 10)
    _recalculate(tasks)
    learner = standins.get_user(7)
    certificates_api.create_certificate(learner, course.id, 'verified', 'downloadable')
    GradesService().override_subsection_grade(7, COURSE_ID, SUBSECTION_ID, earned_all=0.0, earned_graded=0.0)
    assert certificates_api.invalidate_certificate(7, COURSE_ID, source='proctoring') is True
    assert certificates_api.get_certificate_for_user_id(learner, course.id).status == 'unavailable'
    assert GradesService().get_subsection_grade_override(7, COURSE_ID, SUBSECTION_ID).earned_graded_override == 0.0
    assert standins.WRITE_LOG[-1][0] == 'GeneratedCertificate'


def test_v2_errors_are_drf_exceptions(newest_upstream, standins, course):  # pylint: disable=unused-argument
    from rest_framework.exceptions import APIException

    from lms.djangoapps.grades.rest_api.v2.errors import GradesFrozen
    assert issubclass(GradesFrozen, APIException)
    assert (GradesFrozen.status_code, GradesFrozen.default_code) == (403, 'grades_frozen')


def test_pr38862_variant_passes_the_grading_policy_hash(standins, course, monkeypatch):  # pylint: disable=unused-argument
    standins.use_variant('pr38862')
    try:
        importlib.import_module('lms.djangoapps.grades.api')  # connects the stand-in receivers
        from lms.djangoapps.grades import tasks
        from lms.djangoapps.grades.course_grade_factory import CourseGradeFactory
        from lms.djangoapps.grades.models import PersistentSubsectionGrade
        from openedx.core.djangoapps.content.course_overviews.models import CourseOverview
        CourseOverview.create(COURSE_ID, end=course.end)  # the variant's modules are fresh: so are their stores
        calls = []
        for name in ('update_or_create_grade', 'bulk_create_grades'):
            original = getattr(PersistentSubsectionGrade, name).__func__

            def spy(cls, *args, _original=original, _name=name, **kwargs):
                calls.append((_name, kwargs.get('grading_policy_hash')))
                return _original(cls, *args, **kwargs)
            monkeypatch.setattr(PersistentSubsectionGrade, name, classmethod(spy))
        standins.set_raw_score(7, SUBSECTION_ID, 8, 10)
        CourseGradeFactory().update(standins.get_user(7), course_key=COURSE_ID)
        _recalculate(tasks)
        # The recalculation's course-grade update calls bulk_create_grades with nothing to create, as upstream.
        assert calls == [('bulk_create_grades', 'standin-policy'), ('update_or_create_grade', 'standin-policy'),
                         ('bulk_create_grades', 'standin-policy')]
    finally:
        standins.use_variant('upstream')
