"""
Stand-in for ``openedx.core.djangoapps.credentials.tasks.v1.tasks`` (``send_grade_to_credentials`` only).

Upstream: a bound celery task (autoretry on any exception, 10 retries, backoff 30 s up to 600 s, jitter) that
POSTs form data to ``{get_credentials_api_base_url(org)}/grades/`` as the ``CREDENTIALS_SERVICE_USERNAME`` user
and raises on a non-2xx answer. The stand-in runs eagerly (no retries) and really POSTs with ``requests``, so
tests point it at a fake service (e.g. with ``responses`` or a local server).
"""
from urllib.parse import urljoin

from opaque_keys.edx.keys import CourseKey

from openedx.core.djangoapps.credentials.utils import get_credentials_api_base_url, get_credentials_api_client
from standin_support import get_user, setting, standin_task


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
