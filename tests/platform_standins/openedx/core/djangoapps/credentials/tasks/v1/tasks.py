"""
Stand-in for ``openedx.core.djangoapps.credentials.tasks.v1.tasks`` (``send_grade_to_credentials`` only).

Upstream: a bound celery task (autoretry on any exception, 10 retries, backoff 30 s up to 600 s, jitter) that
POSTs form data to ``{get_credentials_api_base_url(org)}/grades/`` as the ``CREDENTIALS_SERVICE_USERNAME`` user
and raises on a non-2xx answer. The stand-in runs eagerly (no retries) and really POSTs with ``requests``, so
tests point it at a fake service (e.g. with ``responses`` or a local server).

``send_grade_if_interesting`` and ``is_course_run_in_a_program`` keep upstream's conditions and order (read at
``e57a655d77b6…``); programs come from the stand-in catalog cache, certificates from the stand-in certificates api.
"""
from urllib.parse import urljoin

from opaque_keys.edx.keys import CourseKey

from common.djangoapps.course_modes.models import CourseMode
from lms.djangoapps.certificates.api import get_generated_certificate
from lms.djangoapps.certificates.data import CertificateStatuses
from lms.djangoapps.grades.api import CourseGradeFactory
from openedx.core.djangoapps.catalog.utils import get_programs
from openedx.core.djangoapps.credentials.api import is_credentials_enabled
from openedx.core.djangoapps.credentials.helpers import is_learner_records_enabled_for_org
from openedx.core.djangoapps.credentials.utils import get_credentials_api_base_url, get_credentials_api_client
from standin_support import get_user, setting, standin_task

# "Interesting" means "The Credentials IDA will want to know about it"
INTERESTING_MODES = CourseMode.CERTIFICATE_RELEVANT_MODES
INTERESTING_STATUSES = [
    CertificateStatuses.notpassing,
    CertificateStatuses.downloadable,
]


@standin_task(bind=True, ignore_result=True, autoretry_for=(Exception,), max_retries=10, retry_backoff=30,
              retry_backoff_max=600, retry_jitter=True)
def send_grade_to_credentials(
    self,  # pylint: disable=unused-argument
    username,
    course_run_key,
    verified,
    letter_grade,
    percent_grade,
    grade_last_updated
):
    """POST one learner's grade in one course run to the Credentials service."""
    data = {
        'username': username,
        'course_run': course_run_key,
        'letter_grade': letter_grade,
        'percent_grade': percent_grade,
        'verified': verified,
        'lms_last_updated_at': grade_last_updated,
    }
    course_key = CourseKey.from_string(course_run_key)
    service_user = get_user(username=setting('CREDENTIALS_SERVICE_USERNAME', 'credentials_service_user'))
    client = get_credentials_api_client(service_user)
    api_url = urljoin(f'{get_credentials_api_base_url(org=course_key.org)}/', 'grades/')
    response = client.post(api_url, data=data)
    response.raise_for_status()
    return response


def send_grade_if_interesting(
    user, course_run_key, mode, status, letter_grade, percent_grade, grade_last_updated=None, verbose=False  # pylint: disable=unused-argument
):
    """Queue ``send_grade_to_credentials`` when Credentials wants this grade (upstream's checks, in order)."""
    if not is_credentials_enabled():
        return
    if not is_learner_records_enabled_for_org(course_run_key.org):
        return
    if mode is None or status is None:
        cert = get_generated_certificate(user=user, course_id=course_run_key)
        if cert is None:
            return
        mode = cert.mode
        status = cert.status
    if (
        mode not in INTERESTING_MODES
        and not CourseMode.is_eligible_for_certificate(mode)
        or status not in INTERESTING_STATUSES
    ):
        return
    if not is_course_run_in_a_program(course_run_key):
        return
    if letter_grade is None or percent_grade is None or grade_last_updated is None:
        grade = CourseGradeFactory().read(user, course_key=course_run_key, create_if_needed=False)
        if grade is None:
            return
        letter_grade = grade.letter_grade
        percent_grade = grade.percent
        grade_last_updated = grade.last_updated
    send_grade_to_credentials.delay(
        user.username, str(course_run_key), True, letter_grade, percent_grade, grade_last_updated
    )


def is_course_run_in_a_program(course_run_key):
    """Whether the course run is in any cached program (upstream searches every site)."""
    str_key = str(course_run_key)
    for program in get_programs(None):
        for course in program['courses']:
            for course_run in course['course_runs']:
                if str_key == course_run['key']:
                    return True
    return False
