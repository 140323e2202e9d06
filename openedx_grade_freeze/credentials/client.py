"""
HTTP client for Credentials' grade and course-certificate endpoints; each post is reported as a ``DeliveryResult``
classified by what the answer means (sent, retry, rejected, unknown run, configuration) instead of raising.

See docs/decisions/0009-classifying-credentials-answers.rst.
"""

import datetime
import email.utils
import html
import json
import logging
import os
import re
import threading
import time
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import requests

log = logging.getLogger(__name__)

__all__ = [
    "CONFIGURATION",
    "REJECTED",
    "RETRY",
    "SENT",
    "UNKNOWN_COURSE_RUN",
    "CredentialsClient",
    "DeliveryResult",
    "format_datetime",
    "format_percent_grade",
    "short_body",
]

SENT = "sent"
RETRY = "retry"                            # worth another attempt: transient, or an answer that proves nothing
REJECTED = "rejected"                      # Credentials refused this payload: a bug in what the plugin built
UNKNOWN_COURSE_RUN = "unknown_course_run"  # Credentials' catalog does not know the run yet
CONFIGURATION = "configuration"            # wrong URL, redirect, no permission: no delivery to this URL can succeed

GRADES_PATH = "/api/v2/grades/"
COURSE_CERTIFICATES_PATH = "/api/v2/course_certificates/"

DEFAULT_TIMEOUT = (3.05, 10.0)
# What is kept of an answer's body, markup stripped: enough to recognise the error, too little to fill logs.
MAX_BODY_CHARS = 300

# UserGrade.percent_grade is DecimalField(max_digits=5, decimal_places=4): at most one digit before the point.
_PERCENT_QUANTUM = Decimal("0.0001")
_PERCENT_LIMIT = Decimal(10)

# Statuses a later attempt may well turn into a success.
_TRANSIENT_4XX = {408, 429}
# Statuses that say the URL or the service user is wrong, whatever is posted.
_CONFIGURATION_4XX = {401, 403, 404, 405}
# Credentials creates (201) or updates (200) and answers with the stored row.
_SUCCESS_STATUSES = {200, 201}
# The course-run field error of Credentials' UserGradeSerializer for a run its catalog has not copied yet.
_UNKNOWN_RUN_MESSAGE = "No CourseRun exists for key"


@dataclass(frozen=True)
class DeliveryResult:
    """The outcome of one delivery (``SENT``, ``RETRY``, ``REJECTED``, ``UNKNOWN_COURSE_RUN``, ``CONFIGURATION``).

    ``body`` is the answer's start, markup stripped; ``detail`` says in words what the answer meant.
    """

    outcome: str
    status_code: int | None = None
    body: str = ""
    retry_after_seconds: float | None = None
    detail: str = ""

    @property
    def is_sent(self):
        """True when Credentials stored the data."""
        return self.outcome == SENT


def format_percent_grade(value):
    """Return ``value`` (a fraction, e.g. 0.85) as the 4-decimal string Credentials accepts, e.g. ``"0.8500"``."""
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal, str)):
        raise TypeError(f"percent_grade must be a number, not {type(value).__name__}")
    try:
        # str() first: a float's shortest repr, not its binary expansion.
        number = Decimal(str(value).strip()).quantize(_PERCENT_QUANTUM, rounding=ROUND_HALF_UP)
    except InvalidOperation:
        raise ValueError(f"percent_grade {value!r} is not a number") from None
    if not number.is_finite() or abs(number) >= _PERCENT_LIMIT:
        raise ValueError(f"percent_grade {value!r} does not fit Credentials' DecimalField(5, 4)")
    return f"{number:f}"


def format_datetime(value):
    """Return an aware datetime (or ISO-8601 string) as ISO-8601 UTC with microseconds; None becomes ``""``."""
    if value is None:
        return ""
    if isinstance(value, str):
        value = datetime.datetime.fromisoformat(value.strip())
    if not isinstance(value, datetime.datetime):
        raise TypeError(f"expected a datetime, not {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"datetime {value!r} is naive; Credentials needs an unambiguous time")
    utc = value.astimezone(datetime.UTC)
    return utc.isoformat(timespec="microseconds").replace("+00:00", "Z")


def _format_boolean(value):
    return "true" if value else "false"


def _retry_after_seconds(header, now=None):
    """Parse a Retry-After header (delay in seconds, or an HTTP-date) into seconds from now."""
    if not header:
        return None
    header = header.strip()
    if header.isdigit():
        return float(header)
    try:
        when = email.utils.parsedate_to_datetime(header)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.UTC)
    now = now or datetime.datetime.now(datetime.UTC)
    return max(0.0, (when - now).total_seconds())


_TAGS = re.compile(r"<(script|style)\b.*?</\1\s*>|<[^>]*>", re.IGNORECASE | re.DOTALL)
_SPACES = re.compile(r"\s+")


def short_body(text, redact=()):
    """The start of an answer's body as plain text: markup stripped, spaces collapsed, ``redact`` values hidden."""
    text = _SPACES.sub(" ", html.unescape(_TAGS.sub(" ", text or ""))).strip()
    for value in redact:
        if value:
            text = text.replace(value, "[redacted]")
    if len(text) > MAX_BODY_CHARS:
        text = text[: MAX_BODY_CHARS - 1] + "…"
    return text


# One session per process and auth configuration, so connections are pooled across deliveries.
_sessions = {}
_sessions_lock = threading.Lock()


def _forget_sessions_after_fork():
    """Drop sessions inherited through fork (celery prefork): their sockets belong to the parent."""
    global _sessions_lock  # pylint: disable=global-statement
    _sessions.clear()
    _sessions_lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_sessions_after_fork)


class _OAuthSession(requests.Session):
    """
    A session presenting a client-credentials JWT from the LMS, as edx-rest-api-client's ``OAuthAPIClient`` does, but
    keeping the token itself: fetched with the library's public ``get_oauth_access_token`` and used until shortly
    before it expires, or until the session is dropped (after a 401 or 403, and before a probe).
    """

    def __init__(self, oauth_url, client_id, client_secret, timeout):
        super().__init__()
        from edx_rest_api_client.auth import SuppliedJwtAuth  # pylint: disable=import-outside-toplevel
        from edx_rest_api_client.client import USER_AGENT  # pylint: disable=import-outside-toplevel

        self.headers["User-Agent"] = USER_AGENT
        self.auth = SuppliedJwtAuth(None)
        self._token_request = (oauth_url, client_id, client_secret)
        self._timeout = timeout
        self._renew_at = float("-inf")
        self._token_lock = threading.Lock()

    def request(self, method, url, *args, **kwargs):  # pylint: disable=arguments-differ
        self._ensure_token()
        return super().request(method, url, *args, **kwargs)

    def _ensure_token(self):
        from edx_rest_api_client.client import get_oauth_access_token  # pylint: disable=import-outside-toplevel

        with self._token_lock:
            if time.monotonic() < self._renew_at:
                return
            token, expires_at = get_oauth_access_token(
                *self._token_request, token_type="jwt", grant_type="client_credentials", timeout=self._timeout,
            )
            now = datetime.datetime.now(datetime.UTC)
            if expires_at.tzinfo is None:  # the library gives naive UTC
                now = now.replace(tzinfo=None)
            self.auth.token = token
            self._renew_at = time.monotonic() + (expires_at - now).total_seconds() - _TOKEN_MARGIN_SECONDS


# A token is renewed this long before it expires, so it is still valid when Credentials reads it.
_TOKEN_MARGIN_SECONDS = 30


class _OAuthAuth:
    """Client-credentials OAuth2 against the LMS (``_OAuthSession``)."""

    def __init__(self, oauth_url, client_id, client_secret, timeout):
        self.oauth_url = oauth_url.rstrip("/")
        self.client_id = client_id
        self.client_secret = client_secret
        self.timeout = timeout
        self.key = ("oauth", self.oauth_url, client_id, client_secret)

    def new_session(self):
        return _OAuthSession(self.oauth_url, self.client_id, self.client_secret, self.timeout)


class _FactoryAuth:
    """Sessions from a caller-supplied factory, e.g. the LMS's own JWT for its Credentials service user."""

    def __init__(self, session_factory):
        self.session_factory = session_factory
        self.key = ("factory", session_factory)

    def new_session(self):
        return self.session_factory()


class CredentialsClient:
    """
    Posts grades and certificate dates to Credentials, with OAuth2 client credentials or a session factory.

    Pass either ``session_factory`` (a stable callable returning an authenticated ``requests.Session``) or
    ``oauth_url``, ``client_id`` and ``client_secret``. ``timeout`` is the (connect, read) pair for every request.
    """

    def __init__(
        self,
        base_url,
        *,
        oauth_url=None,
        client_id=None,
        client_secret=None,
        session_factory=None,
        timeout=DEFAULT_TIMEOUT,
    ):
        if not base_url:
            raise ValueError("base_url is required")
        if session_factory is not None:
            self._auth = _FactoryAuth(session_factory)
        elif oauth_url and client_id and client_secret:
            self._auth = _OAuthAuth(oauth_url, client_id, client_secret, tuple(timeout))
        else:
            raise ValueError("pass session_factory, or oauth_url with client_id and client_secret")
        self.base_url = base_url.rstrip("/")
        self.timeout = tuple(timeout)

    @classmethod
    def from_settings(cls, session_factory=None, settings=None):
        """Build a client from the ``GRADE_FREEZE_CREDENTIALS_*`` Django settings (OAuth unless a factory is given)."""
        if settings is None:
            from django.conf import settings  # pylint: disable=import-outside-toplevel,redefined-outer-name
        base_url = getattr(settings, "GRADE_FREEZE_CREDENTIALS_URL", None) or getattr(
            settings, "CREDENTIALS_INTERNAL_SERVICE_URL", None
        )
        return cls(
            base_url,
            oauth_url=getattr(settings, "GRADE_FREEZE_CREDENTIALS_OAUTH_URL", None),
            client_id=getattr(settings, "GRADE_FREEZE_CREDENTIALS_CLIENT_ID", None),
            client_secret=getattr(settings, "GRADE_FREEZE_CREDENTIALS_CLIENT_SECRET", None),
            session_factory=session_factory,
            timeout=getattr(settings, "GRADE_FREEZE_CREDENTIALS_TIMEOUT", DEFAULT_TIMEOUT),
        )

    def send_grade(self, username, course_run, letter_grade, percent_grade, verified, lms_last_updated_at):
        """Post one learner's course-run grade; Credentials keeps whichever grade it receives last."""
        data = {
            "username": username,
            "course_run": str(course_run),
            "letter_grade": letter_grade or "",
            "percent_grade": format_percent_grade(percent_grade),
            "verified": _format_boolean(verified),
            "lms_last_updated_at": format_datetime(lms_last_updated_at),
        }
        # Credentials answers with the stored row: it must name the learner and run that were sent.
        echo = {"username": data["username"], "course_run": data["course_run"]}
        result = self._post(GRADES_PATH, data, echo, redact=(username,))
        log.debug("Credentials grade delivery in %s: %s (HTTP %s)", course_run, result.outcome, result.status_code)
        return result

    def send_course_certificate_available_date(
        self, course_run, certificate_type, certificate_available_date, is_active=True
    ):
        """Post a course run's certificate available date (None clears it) for one certificate type."""
        data = {
            "course_id": str(course_run),
            "certificate_type": certificate_type,
            "certificate_available_date": format_datetime(certificate_available_date),
            "is_active": _format_boolean(is_active),
        }
        echo = {"course_id": data["course_id"], "certificate_type": data["certificate_type"]}
        result = self._post(COURSE_CERTIFICATES_PATH, data, echo)
        log.info(
            "Credentials certificate date delivery for %s (%s, %s): %s (HTTP %s)",
            course_run,
            certificate_type,
            data["certificate_available_date"],
            result.outcome,
            result.status_code,
        )
        return result

    def close(self):
        """Close and forget this configuration's pooled session."""
        with _sessions_lock:
            session = _sessions.pop(self._auth.key, None)
        if session is not None:
            session.close()

    def _session(self):
        with _sessions_lock:
            session = _sessions.get(self._auth.key)
            if session is None:
                session = _sessions[self._auth.key] = self._auth.new_session()
                if getattr(session, "trust_env", False):
                    # Read the proxy environment once, not on every request (it walks os.environ each time).
                    session.proxies.update(requests.utils.get_environ_proxies(self.base_url))
                    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
                    if bundle and session.verify is True:
                        session.verify = bundle
                    session.trust_env = False
            return session

    def forget_token(self):
        """Drop this configuration's session and its token: the next request presents a new one."""
        self.close()

    def _post(self, path, data, echo, redact=()):
        url = self.base_url + path
        for attempt in (1, 2):
            try:
                # Never follow a redirect: requests would re-send the POST as a GET and report the GET's answer.
                response = self._session().post(url, data=data, timeout=self.timeout, allow_redirects=False)
            except requests.RequestException as error:
                return self._transport_failure(url, error, redact)
            if response.status_code == 401 and attempt == 1:
                log.info("Credentials answered 401 for %s; fetching fresh credentials and trying once more", url)
                self.forget_token()
                continue
            if response.status_code == 403:
                # Credentials read the service user's staff status from this token: once it is fixed in the LMS,
                # only a new token shows it (the next probe's).
                self.forget_token()
            return self._classify(url, response, echo, redact)
        raise AssertionError("unreachable")  # pragma: no cover

    @staticmethod
    def _transport_failure(url, error, redact):
        """Timeouts, refused or dropped connections are worth retrying; a token endpoint refusing us is not."""
        response = getattr(error, "response", None)
        if response is not None:  # raised while fetching an OAuth2 token
            status = response.status_code
            body = short_body(response.text, redact)
            log.warning("Could not get a token for %s: HTTP %s", url, status)
            if status in (400, 401, 403):
                return DeliveryResult(
                    CONFIGURATION, status, body, None,
                    f"The token endpoint refused the OAuth2 client (HTTP {status}): check its id and secret.",
                )
            return DeliveryResult(
                RETRY, status, body, _retry_after_seconds(response.headers.get("Retry-After")),
                f"The token endpoint answered HTTP {status}.",
            )
        log.warning("Credentials request to %s failed: %s", url, error.__class__.__name__)
        detail = short_body(f"{error.__class__.__name__}: {error}", redact)
        return DeliveryResult(RETRY, None, detail, None, detail)

    @staticmethod
    def _classify(url, response, echo, redact):
        """What an answer means; see ADR 0009 for the table."""
        status = response.status_code
        body = short_body(response.text, redact)
        if 300 <= status < 400:
            location = response.headers.get("Location", "")
            detail = (f"Credentials redirected the POST to {url} (HTTP {status}) to {location or 'nowhere'}: "
                      "fix the Credentials URL (its scheme, host or trailing slash).")
            return DeliveryResult(CONFIGURATION, status, body, None, detail)
        if 200 <= status < 300:
            problem = _echo_problem(response, status, echo)
            if problem is None:
                return DeliveryResult(SENT, status, "", None, "")
            log.warning("Credentials answered %s for %s without storing the data: %s", status, url, problem)
            return DeliveryResult(RETRY, status, body, None, problem)
        if status == 403:
            detail = (f"Credentials refused the service user (HTTP 403 for {url}): make the service user staff in the "
                      "LMS. Credentials copies its staff status from the token on every request, so a change made in "
                      "Credentials is undone by its next request; the next probe presents a new token.")
            return DeliveryResult(CONFIGURATION, status, body, None, detail)
        if status in _CONFIGURATION_4XX:
            reason = {401: "refused the credentials even after a new token",
                      404: "has no such endpoint (check the base URL)",
                      405: "does not accept a POST there (check the base URL)"}[status]
            return DeliveryResult(CONFIGURATION, status, body, None, f"Credentials {reason}: HTTP {status} for {url}.")
        if status >= 500 or status in _TRANSIENT_4XX:
            retry_after = _retry_after_seconds(response.headers.get("Retry-After"))
            # The sender decides what the answer means for its delivery (a retry, or an operator's action) and says so.
            log.info("Credentials answered %s for %s (Retry-After %s)", status, url, retry_after)
            return DeliveryResult(RETRY, status, body, retry_after, f"Credentials answered HTTP {status}.")
        errors = _field_errors(response)
        if status == 400 and any(_UNKNOWN_RUN_MESSAGE in message for message in errors.get("course_run", [])):
            return DeliveryResult(
                UNKNOWN_COURSE_RUN, status, body, None,
                "Credentials' catalog does not know this course run yet (waiting for it to copy the run).",
            )
        fields = ", ".join(sorted(errors)) or "no field named"
        detail = f"Credentials refused a payload the plugin built (HTTP {status}; fields: {fields}): a bug. {body}"
        log.error("Credentials rejected the request to %s: %s", url, detail)
        return DeliveryResult(REJECTED, status, body, None, detail)


def _json(response):
    if "json" not in (response.headers.get("Content-Type") or "").lower():
        return None
    try:
        return json.loads(response.text)
    except ValueError:
        return None


def _echo_problem(response, status, echo):
    """Why a 2xx answer does not prove the data was stored, or None when it does."""
    if status not in _SUCCESS_STATUSES:
        return f"HTTP {status} is not an answer Credentials gives to a stored POST"
    data = _json(response)
    if not isinstance(data, dict):
        return f"HTTP {status} without the stored row as JSON (a maintenance or proxy page?)"
    different = sorted(name for name, value in echo.items() if str(data.get(name)) != str(value))
    if different:
        return f"HTTP {status} with a row that does not match what was sent ({', '.join(different)})"
    return None


def _field_errors(response):
    """DRF's validation errors as ``{field: [messages]}``, or {} when the body is not one."""
    data = _json(response)
    if not isinstance(data, dict):
        return {}
    return {
        str(name): [str(message) for message in (messages if isinstance(messages, list) else [messages])]
        for name, messages in data.items()
    }
