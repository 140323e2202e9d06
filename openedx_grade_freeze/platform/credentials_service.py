"""
What the Credentials forwarding needs from edx-platform: the service user's API client, the API root per org, and
the conditions under which upstream's own sender would send a grade.
"""
import logging

from django.conf import settings
from django.contrib.auth import get_user_model

from openedx_grade_freeze.keys import to_course_key
from openedx_grade_freeze.platform.modules import import_platform_module

log = logging.getLogger(__name__)


def _credentials_service_user():
    username = getattr(settings, "CREDENTIALS_SERVICE_USERNAME", None)
    if not username:
        log.error("CREDENTIALS_SERVICE_USERNAME is not set; cannot call the Credentials service.")
        return None
    user_model = get_user_model()
    try:
        return user_model.objects.get(username=username)
    except user_model.DoesNotExist:
        log.error("The Credentials service user %s does not exist.", username)
        return None


def get_credentials_api_client(org=None):  # pylint: disable=unused-argument
    """The platform's JWT-authenticated ``requests.Session`` for the Credentials service user, or None."""
    utils = import_platform_module("openedx.core.djangoapps.credentials.utils")
    if utils is None:
        return None
    user = _credentials_service_user()
    return None if user is None else utils.get_credentials_api_client(user)


def get_credentials_base_url(org=None):
    """The Credentials API root (``…/api/v2/``) for the org's site, or the current site's; None outside."""
    utils = import_platform_module("openedx.core.djangoapps.credentials.utils")
    return None if utils is None else utils.get_credentials_api_base_url(org=org)


def upstream_grade_send_conditions(user_id, course_key, mode=None, status=None):
    """Whether upstream's ``send_grade_if_interesting`` would send this grade, and why; None outside the LMS."""
    tasks = import_platform_module("openedx.core.djangoapps.credentials.tasks.v1.tasks")
    if tasks is None:
        return None
    course_key = to_course_key(course_key)
    user_model = get_user_model()
    try:
        user = user_model.objects.get(id=user_id)
    except user_model.DoesNotExist:
        return _conditions(False, "unknown user", mode, status)
    try:
        # The names upstream's send_grade_if_interesting calls, read from its own module, in its order.
        if not tasks.is_credentials_enabled():
            return _conditions(False, "the Credentials service is disabled by config", mode, status)
        if not tasks.is_learner_records_enabled_for_org(course_key.org):
            return _conditions(False, f"learner records are disabled for org {course_key.org}", mode, status)
        if mode is None or status is None:
            # Upstream reads these through get_generated_certificate, which returns its data class's defaults
            # (honor/unavailable) rather than the stored values, so a plain grade change never qualifies there.
            # The plugin mirrors the intent instead: the learner's stored certificate.
            certificates = import_platform_module("lms.djangoapps.certificates.api")
            cert = certificates.get_certificate_for_user_id(user, course_key) if certificates else None
            if cert is None:
                return _conditions(False, "no certificate record in the course run", mode, status)
            mode, status = cert.mode, cert.status
        if (
            mode not in tasks.INTERESTING_MODES
            and not tasks.CourseMode.is_eligible_for_certificate(mode)
            or status not in tasks.INTERESTING_STATUSES
        ):
            return _conditions(
                False, f"mode ({mode}) or status ({status}) is not interesting to Credentials", mode, status
            )
        if not tasks.is_course_run_in_a_program(course_key):
            return _conditions(False, "the course run is not in any program", mode, status)
    except AttributeError as error:
        log.error("edx-platform's send_grade_if_interesting changed (%s); cannot mirror its conditions.", error)
        return None
    return _conditions(True, "upstream would send this grade", mode, status)


def _conditions(send, reason, mode, status):
    # Upstream always posts verified=True when it sends.
    return {"send": send, "verified": send, "reason": reason, "mode": mode, "status": status}
