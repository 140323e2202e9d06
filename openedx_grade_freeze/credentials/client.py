"""
HTTP client for Credentials' grade and course-certificate endpoints; each post is reported as a ``DeliveryResult``
(sent, retry or rejected) instead of raising, so callers decide how to retry.
"""

import datetime
import email.utils
import logging
import os
import threading
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import requests

log = logging.getLogger(__name__)

__all__ = [
    "REJECTED",
    "RETRY",
    "SENT",
    "CredentialsClient",
    "DeliveryResult",
    "format_datetime",
    "format_percent_grade",
]

SENT = "sent"
RETRY = "retry"
REJECTED = "rejected"

GRADES_PATH = "/api/v2/grades/"
COURSE_CERTIFICATES_PATH = "/api/v2/course_certificates/"

DEFAULT_TIMEOUT = (3.05, 10.0)
MAX_BODY_CHARS = 2000

# UserGrade.percent_grade is DecimalField(max_digits=5, decimal_places=4): at most one digit before the point.
_PERCENT_QUANTUM = Decimal("0.0001")
_PERCENT_LIMIT = Decimal(10)

# Statuses a later attempt may well turn into a success.
_TRANSIENT_4XX = {408, 429}


@dataclass(frozen=True)
class DeliveryResult:
    """The outcome of one delivery: ``sent``, ``retry`` (transient) or ``rejected`` (Credentials refused the data)."""

    outcome: str
    status_code: int | None = None
    body: str = ""
    retry_after_seconds: float | None = None

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


def _truncate(text):
    return (text or "")[:MAX_BODY_CHARS]


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


class _OAuthAuth:
    """Client-credentials OAuth2 against the LMS, through edx-rest-api-client's ``OAuthAPIClient``."""

    def __init__(self, oauth_url, client_id, client_secret, timeout):
        self.oauth_url = oauth_url.rstrip("/")
        self.client_id = client_id
        self.client_secret = client_secret
        self.timeout = timeout
        self.key = ("oauth", self.oauth_url, client_id, client_secret)

    def new_session(self):
        from edx_rest_api_client.client import OAuthAPIClient  # pylint: disable=import-outside-toplevel

        return OAuthAPIClient(self.oauth_url, self.client_id, self.client_secret, timeout=self.timeout)

    def forget_token(self):
        """Evict the cached access token so the next request fetches a new one."""
        # pylint: disable=import-outside-toplevel
        from edx_django_utils.cache import TieredCache
        from edx_rest_api_client.client import _get_oauth_url

        # The cache key edx-rest-api-client's get_and_cache_oauth_access_token uses (tested against a real 401).
        cache_key = "edx_rest_api_client.access_token.{}.{}.{}.{}".format(
            "jwt", "client_credentials", self.client_id, _get_oauth_url(self.oauth_url)
        )
        TieredCache.delete_all_tiers(cache_key)


class _FactoryAuth:
    """Sessions from a caller-supplied factory, e.g. the LMS's own JWT for its Credentials service user."""

    def __init__(self, session_factory):
        self.session_factory = session_factory
        self.key = ("factory", session_factory)

    def new_session(self):
        return self.session_factory()

    def forget_token(self):
        pass  # forgetting the session is enough: the factory is asked again


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
        result = self._post(GRADES_PATH, data)
        log.info(
            "Credentials grade delivery for user %s in %s (percent %s, updated %s): %s (HTTP %s)",
            username,
            course_run,
            data["percent_grade"],
            data["lms_last_updated_at"],
            result.outcome,
            result.status_code,
        )
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
        result = self._post(COURSE_CERTIFICATES_PATH, data)
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
            return session

    def _refresh_auth(self):
        self._auth.forget_token()
        self.close()

    def _post(self, path, data):
        url = self.base_url + path
        for attempt in (1, 2):
            try:
                response = self._session().post(url, data=data, timeout=self.timeout)
            except requests.RequestException as error:
                return self._transport_failure(url, error)
            if response.status_code == 401 and attempt == 1:
                log.info("Credentials answered 401 for %s; fetching fresh credentials and trying once more", url)
                self._refresh_auth()
                continue
            return self._classify(url, response)
        raise AssertionError("unreachable")  # pragma: no cover

    @staticmethod
    def _transport_failure(url, error):
        """Timeouts, refused or dropped connections and token-endpoint failures are all worth retrying."""
        response = getattr(error, "response", None)
        if response is not None:  # raised while fetching an OAuth2 token
            log.warning("Could not get a token for %s: HTTP %s", url, response.status_code)
            return DeliveryResult(
                RETRY,
                response.status_code,
                _truncate(response.text),
                _retry_after_seconds(response.headers.get("Retry-After")),
            )
        log.warning("Credentials request to %s failed: %s", url, error.__class__.__name__)
        return DeliveryResult(RETRY, None, _truncate(f"{error.__class__.__name__}: {error}"), None)

    @staticmethod
    def _classify(url, response):
        status = response.status_code
        body = _truncate(response.text)
        if 200 <= status < 300:
            return DeliveryResult(SENT, status, body, None)
        # A 401 that survived a fresh token is a configuration problem, not bad data: keep the delivery alive.
        if status >= 500 or status in _TRANSIENT_4XX or status == 401:
            retry_after = _retry_after_seconds(response.headers.get("Retry-After"))
            log.warning("Credentials answered %s for %s; will retry (Retry-After %s)", status, url, retry_after)
            return DeliveryResult(RETRY, status, body, retry_after)
        log.error("Credentials rejected the request to %s with %s: %s", url, status, body)
        return DeliveryResult(REJECTED, status, body, None)
