"""
Tests of the Credentials client against the fake Credentials service, over real HTTP.
"""

import ast
import datetime
import email.utils
import time
from decimal import Decimal
from pathlib import Path

import pytest
import requests
from django.core.cache import cache
from edx_django_utils.cache import RequestCache
from edx_rest_api_client.auth import SuppliedJwtAuth

from openedx_grade_freeze.credentials import client as credentials_client
from openedx_grade_freeze.credentials.client import (
    CONFIGURATION,
    REJECTED,
    RETRY,
    SENT,
    UNKNOWN_COURSE_RUN,
    CredentialsClient,
    DeliveryResult,
    format_datetime,
    format_percent_grade,
)
from tests.credentials_server import COURSE_CERTIFICATES_PATH, GRADES_PATH, TOKEN_PATH, serving
from tests.forwarding import close_sessions

RUN = "course-v1:Org+X+2026"
UTC = datetime.UTC
SERVICE_USER = "credentials_service_user"
CLIENT_ID = "grade-freeze-client"
CLIENT_SECRET = "grade-freeze-secret"
WRONG_SECRET = "not-the-secret-anyone-signs-with-0123456789"


@pytest.fixture(name="server")
def fixture_server():
    with serving(RUN, CLIENT_ID, CLIENT_SECRET, username=SERVICE_USER) as fake:
        yield fake


@pytest.fixture(autouse=True)
def _fresh_process_state():
    """Each test starts without cached tokens or pooled sessions."""
    cache.clear()
    RequestCache.clear_all_namespaces()
    yield
    close_sessions()


def oauth_client(server, timeout=(2, 5)):
    return CredentialsClient(
        server.url, oauth_url=server.url, client_id=CLIENT_ID, client_secret=CLIENT_SECRET, timeout=timeout
    )


def jwt_session_factory(server, username=SERVICE_USER, administrator=True, calls=None):
    """A factory like the LMS adapter's: a session carrying a JWT the platform signed for its service user."""

    def factory():
        if calls is not None:
            calls.append(username)
        session = requests.Session()
        session.auth = SuppliedJwtAuth(server.make_jwt(username, administrator=administrator))
        return session

    return factory


def grade(client, username="learner", percent=0.85, updated=None, **overrides):
    kwargs = {
        "username": username,
        "course_run": RUN,
        "letter_grade": "Pass",
        "percent_grade": percent,
        "verified": True,
        "lms_last_updated_at": updated or datetime.datetime(2026, 5, 1, 12, 0, 0, 123456, tzinfo=UTC),
    }
    kwargs.update(overrides)
    return client.send_grade(**kwargs)


def raw_post(server, data, token=None, prefix="JWT", path=GRADES_PATH):
    headers = {}
    if token is not None:
        headers["Authorization"] = f"{prefix} {token}"
    return requests.post(server.url + path, data=data, headers=headers, timeout=5)


VALID_FORM = {
    "username": "learner",
    "course_run": RUN,
    "letter_grade": "Pass",
    "percent_grade": "0.8500",
    "verified": "true",
    "lms_last_updated_at": "2026-05-01T12:00:00.123456Z",
}


# -- the fake enforces the contract --------------------------------------------------------------------------------


def test_grades_require_a_jwt(server):
    good = server.make_jwt(SERVICE_USER)
    assert raw_post(server, VALID_FORM).status_code == 401
    assert raw_post(server, VALID_FORM).headers["WWW-Authenticate"] == 'JWT realm="api"'
    # Credentials authenticates the "JWT" prefix only; a Bearer header is simply not credentials.
    assert raw_post(server, VALID_FORM, good, prefix="Bearer").status_code == 401
    assert raw_post(server, VALID_FORM, server.make_jwt(SERVICE_USER, secret=WRONG_SECRET)).status_code == 401
    assert raw_post(server, VALID_FORM, server.make_jwt(SERVICE_USER, expires_in=-60)).status_code == 401
    assert raw_post(server, VALID_FORM, server.make_jwt(SERVICE_USER, aud="elsewhere")).status_code == 401
    no_username = server.make_jwt(SERVICE_USER, preferred_username=None)
    assert raw_post(server, VALID_FORM, no_username).status_code == 401
    assert raw_post(server, VALID_FORM, good).status_code == 201


def test_grades_need_the_admin_claim_or_the_permission(server):
    assert raw_post(server, VALID_FORM, server.make_jwt("someone", administrator=False)).status_code == 403
    server.add_user("granted", can_add_grade=True)
    assert raw_post(server, VALID_FORM, server.make_jwt("granted", administrator=False)).status_code == 201


def test_course_certificates_need_staff(server):
    form = {"course_id": RUN, "certificate_type": "verified", "certificate_available_date": "", "is_active": "true"}
    server.add_user("granted", can_add_grade=True)
    token = server.make_jwt("granted", administrator=False)
    assert raw_post(server, form, token, path=COURSE_CERTIFICATES_PATH).status_code == 403
    response = raw_post(server, form, server.make_jwt(SERVICE_USER), path=COURSE_CERTIFICATES_PATH)
    assert response.status_code == 201
    assert response.json()["certificate_available_date"] is None


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"percent_grade": "0.85001"}, "percent_grade", "no more than 4 decimal places"),
        ({"percent_grade": "12.3456"}, "percent_grade", "no more than 5 digits in total"),
        ({"percent_grade": "10.0"}, "percent_grade", "no more than 1 digits before the decimal point"),
        ({"percent_grade": "abc"}, "percent_grade", "A valid number is required."),
        ({"percent_grade": None}, "percent_grade", "This field is required."),
        ({"username": None}, "username", "This field is required."),
        ({"username": ""}, "username", "This field may not be blank."),
        ({"verified": "maybe"}, "verified", "Must be a valid boolean."),
        ({"lms_last_updated_at": "yesterday"}, "lms_last_updated_at", "Datetime has wrong format."),
        ({"course_run": "course-v1:Org+Nope+2026"}, "course_run", "No CourseRun exists for key"),
    ],
)
def test_grade_validation_mirrors_the_serializer(server, changes, field, message):
    form = {key: value for key, value in dict(VALID_FORM, **changes).items() if value is not None}
    response = raw_post(server, form, server.make_jwt(SERVICE_USER))
    assert response.status_code == 400
    assert message in response.json()[field][0]
    assert server.grades == {}


def test_form_encoded_omissions_follow_drf_html_rules(server):
    token = server.make_jwt(SERVICE_USER)
    # A form without `verified` means False (BooleanField's empty HTML value), not the model default True.
    form = {key: value for key, value in VALID_FORM.items() if key not in ("verified", "lms_last_updated_at")}
    body = raw_post(server, form, token).json()
    assert body["verified"] is False
    assert body["lms_last_updated_at"] is None
    assert body["percent_grade"] == "0.8500"
    # An empty lms_last_updated_at is null; the response uses Credentials' DATETIME_FORMAT.
    body = raw_post(server, dict(VALID_FORM, lms_last_updated_at=""), token).json()
    assert body["lms_last_updated_at"] is None
    body = raw_post(server, VALID_FORM, token).json()
    assert body["lms_last_updated_at"] == "2026-05-01T12:00:00Z"


def test_fake_is_last_write_wins_with_no_timestamp_check(server):
    """The contract the plugin must guard against: an older grade posted later overwrites a newer one."""
    client = oauth_client(server)
    newer = datetime.datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
    older = datetime.datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
    assert grade(client, percent=0.9, updated=newer, letter_grade="A").outcome == SENT
    assert grade(client, percent=0.5, updated=older, letter_grade="C").outcome == SENT

    stored = server.get_grade("learner", RUN)
    assert stored["percent_grade"] == Decimal("0.5000")
    assert stored["letter_grade"] == "C"
    assert stored["lms_last_updated_at"] == older
    assert len(server.grades) == 1
    assert [req.status for req in server.requests_to(GRADES_PATH)] == [201, 201]


# -- the client ----------------------------------------------------------------------------------------------------


def test_the_fake_can_spend_cpu_on_each_answer_as_the_real_service_does(server):
    """What ``make benchmark`` drains against: answers that cost CPU, not only wall time."""
    client = oauth_client(server)
    assert grade(client).outcome == SENT  # the token is fetched (its answer costs nothing)
    server.set_cpu_cost(0.05)
    spent = time.process_time()
    assert grade(client).outcome == SENT
    assert time.process_time() - spent >= 0.05  # a lower bound: true on any machine


def test_oauth_token_is_fetched_once_and_used(server):
    client = oauth_client(server)
    assert grade(client).outcome == SENT
    assert grade(client, username="other").outcome == SENT

    assert server.tokens_issued == 1
    token_request = server.requests_to(TOKEN_PATH)[0]
    assert token_request.data["grant_type"] == "client_credentials"
    assert token_request.data["token_type"] == "jwt"
    assert token_request.data["client_id"] == CLIENT_ID
    grade_requests = server.requests_to(GRADES_PATH)
    assert all(req.headers["authorization"].startswith("JWT ") for req in grade_requests)
    assert {req.username for req in grade_requests} == {SERVICE_USER}


def test_grade_fields_are_formatted_as_the_serializer_accepts(server):
    client = CredentialsClient(server.url, session_factory=jwt_session_factory(server))
    eastern = datetime.timezone(datetime.timedelta(hours=-5))
    updated = datetime.datetime(2026, 5, 1, 7, 30, 15, 654321, tzinfo=eastern)
    result = grade(client, percent=0.85555, updated=updated, letter_grade=None, verified=False)
    assert result == DeliveryResult(SENT, 201, "", None, "")

    sent = server.requests_to(GRADES_PATH)[0]
    assert sent.headers["content-type"] == "application/x-www-form-urlencoded"
    assert sent.data == {
        "username": "learner",
        "course_run": RUN,
        "letter_grade": "",
        "percent_grade": "0.8556",
        "verified": "false",
        "lms_last_updated_at": "2026-05-01T12:30:15.654321Z",
    }
    stored = server.get_grade("learner", RUN)
    assert stored["lms_last_updated_at"] == datetime.datetime(2026, 5, 1, 12, 30, 15, 654321, tzinfo=UTC)
    assert stored["percent_grade"] == Decimal("0.8556")
    assert stored["verified"] is False
    assert stored["letter_grade"] == ""


def test_certificate_available_date(server):
    client = oauth_client(server)
    when = datetime.datetime(2026, 7, 1, tzinfo=UTC)
    assert client.send_course_certificate_available_date(RUN, "verified", when).outcome == SENT
    stored = server.get_certificate(RUN, "verified")
    assert stored["certificate_available_date"] == when
    assert stored["is_active"] is True
    assert stored["course_run"] == RUN

    assert client.send_course_certificate_available_date(RUN, "verified", None, is_active=False).outcome == SENT
    stored = server.get_certificate(RUN, "verified")
    assert stored["certificate_available_date"] is None
    assert stored["is_active"] is False

    result = client.send_course_certificate_available_date(RUN, "audit", when)
    assert result.outcome == REJECTED
    assert "not a valid choice" in result.body
    assert "fields: certificate_type" in result.detail  # a payload the plugin built: a bug, named by its field


def test_unknown_course_run_waits_for_the_catalog(server):
    result = grade(oauth_client(server), course_run="course-v1:Org+Unknown+2026")
    assert result.outcome == UNKNOWN_COURSE_RUN
    assert result.status_code == 400
    assert "No CourseRun exists for key [course-v1:Org+Unknown+2026]" in result.body
    assert "catalog" in result.detail


def test_error_bodies_are_short_plain_text_without_the_username(server):
    server.fail_next(1, status=400, body="<html><style>p {}</style><p>learner &amp; " + "x" * 5000 + "</p></html>")
    result = grade(oauth_client(server))
    assert result.outcome == REJECTED
    assert len(result.body) == credentials_client.MAX_BODY_CHARS
    assert result.body.startswith("[redacted] & xxx")  # markup, styles and the learner's username are gone


def test_a_redirect_is_not_followed_and_names_its_location(server):
    client = CredentialsClient(server.url, session_factory=jwt_session_factory(server))
    server.redirect_to("https://credentials.example.com")
    result = grade(client)
    assert result.outcome == CONFIGURATION
    assert result.status_code == 301
    assert "https://credentials.example.com/api/v2/grades/" in result.detail
    assert [(req.method, req.path) for req in server.requests] == [("POST", GRADES_PATH)]  # no GET after it
    assert server.get_grade("learner", RUN) is None


def test_a_path_without_its_trailing_slash_is_a_redirect_not_a_success(server):
    session = jwt_session_factory(server)()
    response = session.post(server.url + GRADES_PATH.rstrip("/"), data={"username": "x"}, allow_redirects=False)
    assert (response.status_code, response.headers["Location"]) == (301, GRADES_PATH)


def test_an_html_200_is_retried_not_sent(server):
    server.set_maintenance()
    result = grade(oauth_client(server))
    assert result.outcome == RETRY
    assert result.status_code == 200
    assert "maintenance" in result.detail
    assert "<" not in result.body and "Credentials is down for scheduled maintenance." in result.body


def test_a_json_2xx_that_does_not_echo_what_was_sent_is_retried(server):
    server.fail_next(1, status=201, body={"username": "someone-else", "course_run": RUN})
    assert grade(oauth_client(server)).outcome == RETRY
    server.fail_next(1, status=202, body={"username": "learner", "course_run": RUN})
    assert grade(oauth_client(server)).outcome == RETRY
    assert grade(oauth_client(server)).outcome == SENT


@pytest.mark.parametrize("status", [403, 404])
def test_forbidden_or_not_found_is_a_configuration_problem(server, status):
    if status == 403:
        server.deny(SERVICE_USER)
        client = oauth_client(server)
    else:
        client = CredentialsClient(server.url + "/wrong", session_factory=jwt_session_factory(server))
    result = grade(client)
    assert result.outcome == CONFIGURATION
    assert result.status_code == status


def test_a_second_certificate_type_for_a_run_is_a_server_error(server):
    client = oauth_client(server)
    when = datetime.datetime(2026, 7, 1, tzinfo=UTC)
    assert client.send_course_certificate_available_date(RUN, "verified", when).outcome == SENT
    result = client.send_course_certificate_available_date(RUN, "professional", when)
    assert (result.outcome, result.status_code) == (RETRY, 500)
    assert len(result.body) <= credentials_client.MAX_BODY_CHARS


def test_throttled_is_retry_with_retry_after(server):
    # The 90/minute throttle applies to non-staff users; staff are exempt.
    server.add_user("limited", can_add_grade=True)
    server.set_grade_throttle(2, 60)
    client = CredentialsClient(server.url, session_factory=jwt_session_factory(server, "limited", False))
    assert [grade(client).outcome for _ in range(2)] == [SENT, SENT]
    result = grade(client)
    assert result.outcome == RETRY
    assert result.status_code == 429
    assert 0 < result.retry_after_seconds <= 60
    assert "Request was throttled" in result.body

    staff = CredentialsClient(server.url, session_factory=jwt_session_factory(server))
    assert [grade(staff).outcome for _ in range(3)] == [SENT, SENT, SENT]


def test_service_unavailable_is_retry_and_reads_an_http_date(server):
    later = datetime.datetime.now(UTC) + datetime.timedelta(seconds=120)
    server.fail_next(1, status=503, headers={"Retry-After": email.utils.format_datetime(later, usegmt=True)})
    client = oauth_client(server)
    result = grade(client)
    assert result.outcome == RETRY
    assert result.status_code == 503
    assert 100 < result.retry_after_seconds <= 120
    assert grade(client).outcome == SENT


def test_server_down_is_retry_and_recovers_on_the_same_port(server):
    client = oauth_client(server)
    assert grade(client).outcome == SENT  # a pooled keep-alive connection now exists
    port = server.port
    server.set_down(True)
    result = grade(client)
    assert result.outcome == RETRY
    assert result.status_code is None
    assert "ConnectionError" in result.body
    server.set_down(False)
    assert server.port == port
    assert grade(client).outcome == SENT


def test_dropped_connection_is_retry(server):
    server.drop_next(1)
    result = grade(oauth_client(server))
    assert result.outcome == RETRY
    assert result.status_code is None


def test_read_timeout_is_retry(server):
    client = oauth_client(server, timeout=(2, 0.3))
    assert grade(client).outcome == SENT  # token fetched before the server slows down
    server.set_delay(1.5)
    result = grade(client)
    assert result.outcome == RETRY
    assert result.status_code is None
    assert "ReadTimeout" in result.body


def test_unauthorized_refreshes_the_oauth_token_once(server):
    client = oauth_client(server)
    assert grade(client).outcome == SENT
    server.rotate_jwt_secret()  # every token issued so far is now refused
    assert grade(client).outcome == SENT
    assert server.tokens_issued == 2
    assert [req.status for req in server.requests_to(GRADES_PATH)] == [201, 401, 201]


def test_after_a_403_the_next_request_presents_a_new_token(server):
    """Credentials sets its service user's staff status from each token's ``administrator`` claim: a user made staff
    in the LMS is staff in Credentials with the next token, not while the old one lasts."""
    server.add_oauth_client(CLIENT_ID, CLIENT_SECRET, username=SERVICE_USER, administrator=False)
    client = oauth_client(server)
    result = grade(client)
    assert (result.outcome, result.status_code) == (CONFIGURATION, 403)
    assert "staff in the LMS" in result.detail and "undone by its next request" in result.detail

    server.add_oauth_client(CLIENT_ID, CLIENT_SECRET, username=SERVICE_USER, administrator=True)  # fixed in the LMS
    assert grade(oauth_client(server)).outcome == SENT
    assert server.tokens_issued == 2


def test_the_token_is_kept_with_edx_rest_api_clients_public_interface_only():
    """No private name of edx-rest-api-client (a cache key it builds, ``_get_oauth_url``) is used: its next release
    may change them without notice."""
    package = Path(credentials_client.__file__).resolve().parent.parent
    private = []
    for path in package.rglob("*.py"):
        source = path.read_text()
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("edx_rest_api_client"):
                private += [f"{path.name}: {alias.name}" for alias in node.names if alias.name.startswith("_")]
        if "edx_rest_api_client.access_token" in source:
            private.append(f"{path.name}: its token cache key")
    assert private == []


def test_unauthorized_asks_the_session_factory_again(server):
    calls = []
    client = CredentialsClient(server.url, session_factory=jwt_session_factory(server, calls=calls))
    assert grade(client).outcome == SENT
    server.rotate_jwt_secret()
    # The factory signs with the new secret from now on, like a platform whose keys were rotated.
    assert grade(client).outcome == SENT
    assert len(calls) == 2


def test_persistent_unauthorized_is_configuration_after_one_refresh(server):
    def anonymous():
        return requests.Session()

    result = grade(CredentialsClient(server.url, session_factory=anonymous))
    assert result.outcome == CONFIGURATION
    assert result.status_code == 401
    assert len(server.requests_to(GRADES_PATH)) == 2


def test_bad_client_secret_is_configuration_with_the_token_error(server):
    client = CredentialsClient(server.url, oauth_url=server.url, client_id=CLIENT_ID, client_secret=WRONG_SECRET)
    result = grade(client)
    assert result.outcome == CONFIGURATION
    assert result.status_code == 401
    assert "invalid_client" in result.body
    assert server.requests_to(GRADES_PATH) == []


def test_clients_with_the_same_configuration_share_one_session(server):
    first, second = oauth_client(server), oauth_client(server)
    assert grade(first).outcome == SENT
    assert grade(second).outcome == SENT
    assert first._session() is second._session()  # pylint: disable=protected-access
    assert server.tokens_issued == 1


def test_from_settings_reads_the_plugin_settings(server):
    class Settings:
        GRADE_FREEZE_CREDENTIALS_URL = server.url
        GRADE_FREEZE_CREDENTIALS_OAUTH_URL = server.url + "/oauth2"
        GRADE_FREEZE_CREDENTIALS_CLIENT_ID = CLIENT_ID
        GRADE_FREEZE_CREDENTIALS_CLIENT_SECRET = CLIENT_SECRET
        GRADE_FREEZE_CREDENTIALS_TIMEOUT = (1, 2)

    client = CredentialsClient.from_settings(settings=Settings)
    assert client.timeout == (1, 2)
    assert grade(client).outcome == SENT


# -- formatting ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, expected",
    [
        (0.85, "0.8500"),
        (1, "1.0000"),
        (0, "0.0000"),
        (Decimal("0.12345"), "0.1235"),
        ("0.5", "0.5000"),
        (0.1 + 0.2, "0.3000"),
    ],
)
def test_format_percent_grade(value, expected):
    assert format_percent_grade(value) == expected


@pytest.mark.parametrize("value", [10, -10, float("nan"), float("inf"), "abc"])
def test_format_percent_grade_refuses_what_credentials_cannot_store(value):
    with pytest.raises(ValueError):
        format_percent_grade(value)


def test_format_datetime():
    assert format_datetime(None) == ""
    assert format_datetime(datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)) == "2026-01-02T03:04:05.000000Z"
    assert format_datetime("2026-01-02T03:04:05+01:00") == "2026-01-02T02:04:05.000000Z"
    with pytest.raises(ValueError):
        format_datetime(datetime.datetime(2026, 1, 2))
