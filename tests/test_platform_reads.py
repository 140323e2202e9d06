"""
What the adapter reads from edx-platform for Credentials forwarding, against the stand-ins (and without them).
"""
import importlib
from datetime import timedelta

import jwt
import pytest
from django.contrib.auth import get_user_model
from django.test import override_settings

from openedx_grade_freeze.platform import credentials_service, grades, modules

COURSE = "course-v1:OrgX+Freeze101+2024"
SUBSECTION = "block-v1:OrgX+Freeze101+2024+type@sequential+block@week1"
LEARNER = 7

pytestmark = pytest.mark.django_db


@pytest.fixture
def learner():
    return get_user_model().objects.create(id=LEARNER, username="learner")


def in_a_program():
    from openedx.core.djangoapps.catalog.utils import set_programs

    set_programs([{"uuid": "p1", "courses": [{"course_runs": [{"key": COURSE}]}]}])


def test_everything_answers_none_outside_the_platform():
    modules.forget_imports()
    assert grades.get_persisted_course_grade(LEARNER, COURSE) is None
    assert credentials_service.get_credentials_api_client() is None
    assert credentials_service.get_credentials_base_url("OrgX") is None
    assert credentials_service.upstream_grade_send_conditions(LEARNER, COURSE) is None


def test_persisted_course_grade_is_the_stored_course_grade(platform):
    importlib.import_module("lms.djangoapps.grades.api")  # connects the recalculation receivers, as in the LMS
    from lms.djangoapps.grades import tasks
    from lms.djangoapps.grades.models import PersistentCourseGrade
    from openedx.core.djangoapps.content.course_overviews.models import CourseOverview

    CourseOverview.create(COURSE, end=platform.utcnow() + timedelta(days=5))
    platform.enroll(platform.register_user(LEARNER, "learner"), COURSE)
    assert grades.get_persisted_course_grade(LEARNER, COURSE) is None

    tasks.set_raw_score(LEARNER, SUBSECTION, 8, 10)
    tasks.recalculate_subsection_grade_v3.apply_async(kwargs={
        "user_id": LEARNER, "course_id": COURSE, "usage_id": SUBSECTION, "only_if_higher": False,
        "score_deleted": False, "score_db_table": "csm",
    })

    grade = grades.get_persisted_course_grade(LEARNER, COURSE)
    stored = PersistentCourseGrade.read(LEARNER, COURSE)
    assert grade.modified is not None and grade.modified == stored.modified
    assert (grade.user_id, grade.percent_grade) == (LEARNER, stored.percent_grade)


@override_settings(CREDENTIALS_SERVICE_USERNAME="credentials_service_user",
                   CREDENTIALS_INTERNAL_SERVICE_URL="http://credentials.test")
def test_credentials_client_is_the_platform_jwt_client_for_the_service_user(platform):
    from openedx.core.djangoapps.site_configuration.helpers import set_value_for_org

    assert credentials_service.get_credentials_api_client() is None  # the service user does not exist yet
    get_user_model().objects.create(username="credentials_service_user", is_staff=True)

    client = credentials_service.get_credentials_api_client(org="OrgX")

    scheme, token = client.headers["Authorization"].split(" ")
    claims = jwt.decode(token, options={"verify_signature": False})
    assert (scheme, claims["preferred_username"], claims["administrator"]) == ("JWT", "credentials_service_user", True)
    assert credentials_service.get_credentials_base_url() == "http://credentials.test/api/v2/"
    set_value_for_org("OrgX", "CREDENTIALS_INTERNAL_SERVICE_URL", "http://credentials.orgx.test")
    assert credentials_service.get_credentials_base_url("OrgX") == "http://credentials.orgx.test/api/v2/"


@pytest.mark.parametrize("setup, mode, status, expected", [
    ("", "verified", "downloadable", (True, "upstream would send this grade")),
    ("", "audit", "downloadable", (False, "mode (audit) or status (downloadable) is not interesting to Credentials")),
    ("", "verified", "unavailable", (False, "mode (verified) or status (unavailable) is not interesting")),
    ("not in a program", "verified", "notpassing", (False, "the course run is not in any program")),
    ("records off", "verified", "downloadable", (False, "learner records are disabled for org OrgX")),
    ("credentials off", "verified", "downloadable", (False, "the Credentials service is disabled by config")),
    ("", None, None, (False, "no certificate record in the course run")),
    # Upstream's own lookup (get_generated_certificate) would see honor/unavailable defaults here; the plugin reads
    # the stored certificate, so a plain grade change of a verified, downloadable learner qualifies.
    ("certificate", None, None, (True, "upstream would send this grade")),
    ("audit certificate", None, None, (False, "mode (audit) or status (downloadable) is not interesting")),
])
def test_upstream_send_conditions_mirror_send_grade_if_interesting(platform, learner, setup, mode, status, expected):
    from lms.djangoapps.certificates.api import create_certificate
    from openedx.core.djangoapps.credentials.models import CredentialsApiConfig
    from openedx.core.djangoapps.site_configuration.helpers import set_value_for_org

    if setup != "not in a program":
        in_a_program()
    if setup == "records off":
        set_value_for_org("OrgX", "ENABLE_LEARNER_RECORDS", False)
    if setup == "credentials off":
        CredentialsApiConfig.current().enabled = False
    if setup == "certificate":
        create_certificate(learner, COURSE, mode="verified", status="downloadable")
    if setup == "audit certificate":
        create_certificate(learner, COURSE, mode="audit", status="downloadable")

    conditions = credentials_service.upstream_grade_send_conditions(LEARNER, COURSE, mode=mode, status=status)

    assert conditions["send"] is expected[0] and conditions["verified"] is expected[0]
    assert conditions["reason"].startswith(expected[1])


def test_unknown_learner_is_not_sent(platform):
    assert credentials_service.upstream_grade_send_conditions(999, COURSE)["reason"] == "unknown user"
