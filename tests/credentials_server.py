"""
A fake Credentials service over real HTTP, enforcing the contract of the real one.

The behaviour mirrors openedx/credentials (``credentials/apps/api/v2``: ``GradeViewSet``, ``UserGradeSerializer``,
``CourseCertificateViewSet``, ``CredentialRateThrottle``) and the LMS OAuth2 token endpoint that issues its JWTs.
Like the real service, a grade POST is an ``update_or_create`` keyed on (username, course_run) with no timestamp
comparison: the last write wins, even when it carries an older ``lms_last_updated_at``. As observed on the real
service: an endpoint path without its trailing slash answers 301 (Django's ``APPEND_SLASH``), and a course run keeps
one certificate configuration (a second certificate type for the same run answers HTTP 500 with Django's HTML error
page). Faults an operator meets are injectable: a redirect of every API request (http to https), an HTML 200
maintenance page, a service user without permission.
"""

import contextlib
import json
import math
import secrets
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import jwt
from django.utils.dateparse import parse_datetime
from opaque_keys import InvalidKeyError
from opaque_keys.edx.keys import CourseKey

GRADES_PATH = "/api/v2/grades/"
COURSE_CERTIFICATES_PATH = "/api/v2/course_certificates/"
TOKEN_PATH = "/oauth2/access_token"

# What a proxy in front of the service answers while it is down for maintenance (status 200).
MAINTENANCE_PAGE = (
    "<!DOCTYPE html><html><head><title>Maintenance</title><style>body { font-family: sans-serif; }</style></head>"
    "<body><h1>We&rsquo;ll be back soon</h1><p>Credentials is down for scheduled maintenance.</p></body></html>"
)
# Django's error page for an unhandled exception (an IntegrityError), long enough to flood a log.
SERVER_ERROR_PAGE = (
    "<!doctype html><html lang=\"en\"><head><title>Server Error (500)</title></head><body><h1>Server Error (500)"
    "</h1><p>IntegrityError: a certificate configuration for this course run already exists</p>"
    + "<p>" + "traceback line " * 150 + "</p>"
    "</body></html>"
)

# CourseCertificate.certificate_type choices in Credentials.
CERTIFICATE_TYPES = ("honor", "professional", "verified", "no-id-professional", "masters")

# DRF BooleanField's accepted spellings.
_TRUE_VALUES = {"t", "T", "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON", "1", 1}
_FALSE_VALUES = {"f", "F", "n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF", "0", 0}

_DATETIME_HELP = "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]"
_MISSING = object()  # a field absent from the request, skipped like DRF's `empty`
_SKIP = object()  # a field present but to be left out of validated data


class _Invalid(Exception):
    """A field's validation message, as DRF would report it."""


class _HttpError(Exception):
    """An error response to send instead of the normal one."""

    def __init__(self, status, body, headers=None):
        super().__init__(status)
        self.status = status
        self.body = body
        self.headers = headers or {}


@dataclass
class FakeUser:
    """A Credentials user as JWT authentication would create it."""

    username: str
    is_staff: bool = False
    can_add_grade: bool = False


@dataclass
class RecordedRequest:
    """One request the fake received and what it answered."""

    method: str
    path: str
    headers: dict
    body: bytes
    data: dict = field(default_factory=dict)
    username: str | None = None
    status: int | None = None
    response: object = None
    received_at: float = 0.0


class _ThreadingServer(ThreadingHTTPServer):
    """ThreadingHTTPServer that remembers open connections, so going down can cut them."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, handler, fake):
        self.fake = fake
        self.open_sockets = set()
        self.sockets_lock = threading.Lock()
        super().__init__(address, handler)

    def process_request(self, request, client_address):
        with self.sockets_lock:
            self.open_sockets.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request):
        with self.sockets_lock:
            self.open_sockets.discard(request)
        super().shutdown_request(request)

    def cut_connections(self):
        with self.sockets_lock:
            sockets = list(self.open_sockets)
            self.open_sockets.clear()
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()


class _Handler(BaseHTTPRequestHandler):
    """Routes requests to the fake's endpoints."""

    protocol_version = "HTTP/1.1"  # keep-alive, so pooled client sessions really reuse connections
    # As gunicorn does: headers and body go out at once, not held back by Nagle's algorithm on a kept-alive connection.
    disable_nagle_algorithm = True

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        pass

    def do_POST(self):  # pylint: disable=invalid-name
        self.server.fake._dispatch(self)

    def do_GET(self):  # pylint: disable=invalid-name
        self.server.fake._dispatch(self)

    do_PUT = do_PATCH = do_DELETE = do_GET


class FakeCredentialsServer:
    """
    An HTTP server on 127.0.0.1 that behaves like Credentials' grade and course-certificate API.

    It also serves the OAuth2 ``client_credentials`` token endpoint (which really lives in the LMS) so a client can
    fetch the JWT it presents. Use it as a context manager, or call ``start()`` and ``stop()``.
    """

    def __init__(
        self,
        *,
        jwt_secret="fake-credentials-jwt-signing-secret-0123456789",
        jwt_issuer="http://fake-lms/oauth2",
        jwt_audience="fake-credentials",
        token_lifetime=3600,
        grade_throttle_rate=(90, 60.0),
        site_id=1,
    ):
        self.jwt_secret = jwt_secret
        self.jwt_issuer = jwt_issuer
        self.jwt_audience = jwt_audience
        self.token_lifetime = token_lifetime
        self.site_id = site_id
        self.grade_throttle_rate = grade_throttle_rate
        self.port = 0
        self.course_runs = set()
        self.users = {}
        self.oauth_clients = {}
        self.grades = {}
        self.certificates = {}
        self.requests = []
        self.tokens_issued = 0
        self._throttle_history = {}
        self._faults = []
        self._drops = 0
        self._delay = 0.0
        self._redirect_to = None
        self._maintenance = False
        self.denied_users = set()
        self._lock = threading.RLock()
        self._next_id = 1
        self._server = None
        self._thread = None
        self._down = False
        self._stopping = threading.Event()
        self._in_flight = 0
        self.most_in_flight = 0
        self._hold_for = 0
        self._hold_timeout = 0.0
        self._concurrency = threading.Condition()

    # -- lifecycle ----------------------------------------------------------------------------------------------

    @property
    def url(self):
        """The base URL, e.g. ``http://127.0.0.1:43121``."""
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        """Start listening (on an ephemeral port the first time, on the same port afterwards)."""
        self._stopping.clear()
        self._server = _ThreadingServer(("127.0.0.1", self.port), _Handler, self)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-credentials", daemon=True
        )
        self._thread.start()
        self._down = False
        return self

    def stop(self):
        """Stop listening and cut every open connection."""
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server.cut_connections()
            self._thread.join(timeout=5)
            self._server = None
            self._thread = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

    # -- configuration ------------------------------------------------------------------------------------------

    def add_course_run(self, course_run_key):
        """Make a course run known to the catalog, so grades for it are accepted."""
        with self._lock:
            self.course_runs.add(course_run_key)

    def add_user(self, username, *, is_staff=False, can_add_grade=True):
        """Pre-create a user; ``can_add_grade`` grants ``records.add_usergrade`` without staff (and its throttle)."""
        with self._lock:
            self.users[username] = FakeUser(username, is_staff=is_staff, can_add_grade=can_add_grade)

    def add_oauth_client(self, client_id, client_secret, *, username, administrator=True):
        """Register an OAuth2 application whose client-credentials tokens act as ``username``."""
        with self._lock:
            self.oauth_clients[client_id] = (client_secret, username, administrator)

    def make_jwt(self, username, *, administrator=True, expires_in=None, secret=None, **claims):
        """Build a JWT like the LMS issues for ``username`` (HS256, signed with the server's secret by default)."""
        now = int(time.time())
        payload = {
            "iss": self.jwt_issuer,
            "aud": self.jwt_audience,
            "iat": now,
            "exp": now + (self.token_lifetime if expires_in is None else expires_in),
            "preferred_username": username,
            "administrator": administrator,
            "version": "1.2.0",
            "scopes": ["read", "write"],
            "jti": secrets.token_hex(8),
        }
        payload.update(claims)
        payload = {key: value for key, value in payload.items() if value is not None}
        return jwt.encode(payload, secret or self.jwt_secret, algorithm="HS256")

    def rotate_jwt_secret(self, new_secret=None):
        """Change the signing secret, so every token issued so far is refused with 401."""
        with self._lock:
            self.jwt_secret = new_secret or secrets.token_hex(16)

    def set_grade_throttle(self, num_requests, period_seconds=60.0):
        """Set the non-staff grade rate (Credentials: 90 a minute) and forget past requests."""
        with self._lock:
            self.grade_throttle_rate = (num_requests, period_seconds)
            self._throttle_history.clear()

    # -- fault injection ----------------------------------------------------------------------------------------

    def fail_next(self, count=1, status=503, *, body=None, headers=None, path_prefix="/api/"):
        """Answer the next ``count`` requests under ``path_prefix`` with ``status`` instead of handling them."""
        with self._lock:
            for _ in range(count):
                self._faults.append((path_prefix, status, body, dict(headers or {})))

    def drop_next(self, count=1):
        """Close the connection without answering on the next ``count`` requests."""
        with self._lock:
            self._drops += count

    def set_delay(self, seconds):
        """Wait this long before answering any request (to trigger client read timeouts)."""
        with self._lock:
            self._delay = seconds

    def hold_until_in_flight(self, count, timeout=30.0):
        """Answer no request until ``count`` are being handled at once (or ``timeout`` passed); then answer all.

        Shows senders working in parallel without timing them: a lone sender never has two requests open.
        """
        with self._concurrency:
            self._hold_for, self._hold_timeout = count, timeout

    def redirect_to(self, base_url):
        """Answer every API request with 301 to the same path under ``base_url`` (None: stop), like http -> https."""
        with self._lock:
            self._redirect_to = base_url

    def set_maintenance(self, on=True):
        """Answer every API request with an HTML 200 page, as a proxy's maintenance page does."""
        with self._lock:
            self._maintenance = on

    def deny(self, username, denied=True):
        """Take away (or give back) a user's permission to post, as if an operator removed its staff flag."""
        with self._lock:
            (self.denied_users.add if denied else self.denied_users.discard)(username)

    def set_down(self, down=True):
        """Go down (listener closed and connections cut, so connects are refused) or come back on the same port."""
        if down and not self._down:
            self.stop()
            self._down = True
        elif not down and self._down:
            self.start()

    # -- inspection ---------------------------------------------------------------------------------------------

    def get_grade(self, username, course_run):
        """The stored grade row for (username, course_run), or None."""
        with self._lock:
            grade = self.grades.get((username, course_run))
            return dict(grade) if grade else None

    def get_certificate(self, course_id, certificate_type):
        """The stored course-certificate row, or None."""
        with self._lock:
            cert = self.certificates.get((course_id, certificate_type))
            return dict(cert) if cert else None

    def requests_to(self, path, method="POST"):
        """The recorded requests to one path."""
        with self._lock:
            return [req for req in self.requests if req.path == path and req.method == method]

    def reset(self):
        """Forget stored data, the request log, throttle history and pending faults (configuration stays)."""
        with self._lock:
            self.grades.clear()
            self.certificates.clear()
            self.requests.clear()
            self._throttle_history.clear()
            self._faults.clear()
            self._drops = 0
            self._delay = 0.0
            self._redirect_to = None
            self._maintenance = False
            self.denied_users.clear()
            self.tokens_issued = 0
        with self._concurrency:
            self._hold_for = 0
            self.most_in_flight = 0
            self._concurrency.notify_all()

    # -- request handling ---------------------------------------------------------------------------------------

    def _dispatch(self, handler):
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        path = urlsplit(handler.path).path
        record = RecordedRequest(
            method=handler.command,
            path=path,
            headers={key.lower(): value for key, value in handler.headers.items()},
            body=raw,
            received_at=time.time(),
        )
        with self._lock:
            self.requests.append(record)
            delay = self._delay
            drop = self._drops > 0
            if drop:
                self._drops -= 1
            fault = next((f for f in self._faults if path.startswith(f[0])), None)
            if fault and not drop:
                self._faults.remove(fault)

        with self._concurrency:
            self._in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self._in_flight)
            if self._hold_for and self._in_flight >= self._hold_for:
                self._hold_for = 0  # reached once: every held request goes on, later ones are not held
                self._concurrency.notify_all()
            if self._hold_for:
                self._concurrency.wait_for(lambda: not self._hold_for, timeout=self._hold_timeout)
        try:
            self._handle(handler, record, raw, path, delay, drop, fault)
        finally:
            with self._concurrency:
                self._in_flight -= 1

    def _handle(self, handler, record, raw, path, delay, drop, fault):  # pylint: disable=too-many-arguments
        if delay and self._stopping.wait(delay):
            return
        if drop:
            record.status = None
            handler.close_connection = True
            handler.connection.shutdown(socket.SHUT_RDWR)
            return

        try:
            if fault:
                _, status, body, headers = fault
                raise _HttpError(status, body if body is not None else {"detail": "Injected failure."}, headers)
            status, body, headers = self._route(handler, record, raw)
        except _HttpError as error:
            status, body, headers = error.status, error.body, error.headers
        record.status, record.response = status, body
        self._respond(handler, status, body, headers)

    def _respond(self, handler, status, body, headers):
        if isinstance(body, (dict, list)):
            payload, content_type = json.dumps(body).encode(), "application/json"
        else:
            payload, content_type = str(body or "").encode(), "text/html; charset=utf-8"
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", content_type)
            handler.send_header("Content-Length", str(len(payload)))
            for name, value in headers.items():
                handler.send_header(name, value)
            handler.end_headers()
            handler.wfile.write(payload)
        except OSError:
            handler.close_connection = True  # the client gave up (read timeout) or we are going down

    def _route(self, handler, record, raw):
        path = record.path
        if path == TOKEN_PATH:
            if handler.command != "POST":
                raise _HttpError(405, {"detail": f'Method "{handler.command}" not allowed.'})
            return self._token(record, raw, handler.headers.get("Content-Type", ""))
        with self._lock:
            redirect_to, maintenance = self._redirect_to, self._maintenance
        if path.startswith("/api/") and redirect_to:
            raise _HttpError(301, "", {"Location": redirect_to.rstrip("/") + handler.path})
        if path.startswith("/api/") and maintenance:
            raise _HttpError(200, MAINTENANCE_PAGE)
        if path + "/" in (GRADES_PATH, COURSE_CERTIFICATES_PATH):
            # CommonMiddleware's APPEND_SLASH (with DEBUG off): a permanent redirect to the slashed path.
            raise _HttpError(301, "", {"Location": path + "/"})
        if path not in (GRADES_PATH, COURSE_CERTIFICATES_PATH):
            raise _HttpError(404, {"detail": "Not found."})

        # DRF's order: authenticate, check permissions, check throttles, then parse and validate.
        user = self._authenticate(handler.headers.get("Authorization"))
        record.username = user.username if user else None
        if user is None:
            raise _HttpError(
                401,
                {"detail": "Authentication credentials were not provided."},
                {"WWW-Authenticate": 'JWT realm="api"'},
            )
        if handler.command != "POST":
            raise _HttpError(405, {"detail": f'Method "{handler.command}" not allowed.'})
        with self._lock:
            denied = user.username in self.denied_users
        if denied:
            raise _HttpError(403, {"detail": "You do not have permission to perform this action."})
        data, is_form = self._parse_body(raw, handler.headers.get("Content-Type", ""))
        record.data = data
        if path == GRADES_PATH:
            if not (user.is_staff or user.can_add_grade):
                raise _HttpError(403, {"detail": "You do not have permission to perform this action."})
            self._check_grade_throttle(user)
            return 201, self._create_grade(data, is_form), {}
        if not user.is_staff:
            raise _HttpError(403, {"detail": "You do not have permission to perform this action."})
        return 201, self._create_certificate(data, is_form), {}

    def _token(self, record, raw, content_type):
        form = self._parse_form(raw) if "x-www-form-urlencoded" in content_type else {}
        record.data = form
        if form.get("grant_type") != "client_credentials":
            raise _HttpError(400, {"error": "unsupported_grant_type"})
        with self._lock:
            client = self.oauth_clients.get(form.get("client_id"))
        if client is None or client[0] != form.get("client_secret"):
            raise _HttpError(401, {"error": "invalid_client"})
        _, username, administrator = client
        with self._lock:
            self.tokens_issued += 1
        if form.get("token_type", "bearer").lower() == "jwt":
            token, token_type = self.make_jwt(username, administrator=administrator), "JWT"
        else:
            token, token_type = secrets.token_urlsafe(24), "Bearer"
        body = {"access_token": token, "expires_in": self.token_lifetime, "token_type": token_type}
        return 200, dict(body, scope="read write"), {}

    def _authenticate(self, header):
        """Mirror edx-drf-extensions' JwtAuthentication: the ``JWT`` prefix only; ``Bearer`` is not accepted."""
        parts = (header or "").split()
        if not parts or parts[0].lower() != "jwt":
            return None
        unauthorized = {"WWW-Authenticate": 'JWT realm="api"'}
        if len(parts) == 1:
            raise _HttpError(401, {"detail": "Invalid Authorization header. No credentials provided."}, unauthorized)
        if len(parts) > 2:
            raise _HttpError(
                401,
                {"detail": "Invalid Authorization header. Credentials string should not contain spaces."},
                unauthorized,
            )
        try:
            payload = jwt.decode(
                parts[1],
                self.jwt_secret,
                algorithms=["HS256"],
                audience=self.jwt_audience,
                leeway=1,
                options={"require": ["exp", "iat"]},
            )
        except jwt.ExpiredSignatureError:
            raise _HttpError(401, {"detail": "Token has expired."}, unauthorized) from None
        except jwt.DecodeError:
            raise _HttpError(401, {"detail": "Error decoding token."}, unauthorized) from None
        except jwt.InvalidTokenError:
            raise _HttpError(401, {"detail": "Invalid token."}, unauthorized) from None
        if payload.get("iss") != self.jwt_issuer or not str(payload.get("version", "1.0.0")).startswith("1."):
            raise _HttpError(401, {"detail": "Invalid token."}, unauthorized)
        username = payload.get("preferred_username") or payload.get("username")
        if username is None:
            raise _HttpError(401, {"detail": "JWT must include a preferred_username or username claim!"}, unauthorized)
        with self._lock:
            user = self.users.setdefault(username, FakeUser(username))
            # The `administrator` claim sets is_staff and membership of the admins group (add/change usergrade).
            admin = bool(payload.get("administrator"))
            if "administrator" in payload:
                user.is_staff = admin
            return FakeUser(user.username, is_staff=user.is_staff, can_add_grade=user.can_add_grade or admin)

    def _check_grade_throttle(self, user):
        """DRF ScopedRateThrottle with Credentials' override: staff are never throttled."""
        if user.is_staff:
            return
        num_requests, duration = self.grade_throttle_rate
        now = time.time()
        with self._lock:
            history = [stamp for stamp in self._throttle_history.get(user.username, []) if stamp > now - duration]
            if len(history) >= num_requests:
                remaining = duration - (now - history[-1])
                available = num_requests - len(history) + 1
                wait = math.ceil(remaining / available) if available > 0 else math.ceil(remaining)
                self._throttle_history[user.username] = history
                unit = "second" if wait == 1 else "seconds"
                raise _HttpError(
                    429,
                    {"detail": f"Request was throttled. Expected available in {wait} {unit}."},
                    {"Retry-After": str(wait)},
                )
            history.insert(0, now)
            self._throttle_history[user.username] = history

    # -- parsing and validation, as DRF would ------------------------------------------------------------------

    @staticmethod
    def _parse_form(raw):
        parsed = parse_qs(raw.decode("utf-8"), keep_blank_values=True)
        return {key: values[-1] for key, values in parsed.items()}  # QueryDict: the last value wins

    def _parse_body(self, raw, content_type):
        media_type = content_type.split(";")[0].strip().lower()
        if media_type == "application/x-www-form-urlencoded":
            return self._parse_form(raw), True
        if media_type == "application/json":
            try:
                data = json.loads(raw or b"null")
            except ValueError as error:
                raise _HttpError(400, {"detail": f"JSON parse error - {error}"}) from None
            if not isinstance(data, dict):
                raise _HttpError(
                    400, {"non_field_errors": [f"Invalid data. Expected a dictionary, but got {type(data).__name__}."]}
                )
            return data, False
        raise _HttpError(415, {"detail": f'Unsupported media type "{content_type}" in request.'})

    @staticmethod
    def _get(data, name, is_form, *, required, allow_null=False, allow_blank=False, html_default=_MISSING):
        """DRF ``Field.get_value`` plus the empty-value rules; returns the raw value, _SKIP, or raises a message."""
        if name not in data:
            if is_form and html_default is not _MISSING:
                return html_default
            if required:
                raise _Invalid("This field is required.")
            return _SKIP
        value = data[name]
        if is_form and value == "":
            if allow_null:
                return "" if allow_blank else None
            if not required:
                return "" if allow_blank else _SKIP
        if value is None:
            if allow_null:
                return None
            raise _Invalid("This field may not be null.")
        return value

    @staticmethod
    def _char(value, max_length, allow_blank):
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise _Invalid("Not a valid string.")
        value = str(value).strip()
        if value == "":
            if not allow_blank:
                raise _Invalid("This field may not be blank.")
            return value
        if "\x00" in value:
            raise _Invalid("Null characters are not allowed.")
        if len(value) > max_length:
            raise _Invalid(f"Ensure this field has no more than {max_length} characters.")
        return value

    @staticmethod
    def _decimal(value, max_digits, decimal_places):
        text = str(value).strip()
        if len(text) > 1000:
            raise _Invalid("String value too large.")
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise _Invalid("A valid number is required.") from None
        if not number.is_finite():
            raise _Invalid("A valid number is required.")
        _, digits, exponent = number.as_tuple()
        if exponent >= 0:
            total, whole, places = len(digits) + exponent, len(digits) + exponent, 0
        elif len(digits) > abs(exponent):
            total, whole, places = len(digits), len(digits) - abs(exponent), abs(exponent)
        else:
            total, whole, places = abs(exponent), 0, abs(exponent)
        if total > max_digits:
            raise _Invalid(f"Ensure that there are no more than {max_digits} digits in total.")
        if places > decimal_places:
            raise _Invalid(f"Ensure that there are no more than {decimal_places} decimal places.")
        if whole > max_digits - decimal_places:
            raise _Invalid(
                f"Ensure that there are no more than {max_digits - decimal_places} digits before the decimal point."
            )
        return number.quantize(Decimal(1).scaleb(-decimal_places))

    @staticmethod
    def _boolean(value):
        try:
            if value in _TRUE_VALUES:
                return True
            if value in _FALSE_VALUES:
                return False
        except TypeError:
            pass
        raise _Invalid("Must be a valid boolean.")

    @staticmethod
    def _datetime(value):
        if not isinstance(value, str):
            raise _Invalid(f"Datetime has wrong format. Use one of these formats instead: {_DATETIME_HELP}.")
        try:
            parsed = parse_datetime(value)
        except ValueError:
            parsed = None
        if parsed is None:
            raise _Invalid(f"Datetime has wrong format. Use one of these formats instead: {_DATETIME_HELP}.")
        if parsed.tzinfo is None:
            return parsed.replace(tzinfo=UTC)  # Credentials runs with TIME_ZONE = "UTC"
        return parsed.astimezone(UTC)

    @staticmethod
    def _format_datetime(value):
        # REST_FRAMEWORK["DATETIME_FORMAT"] in Credentials.
        return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value else None

    def _validate(self, data, is_form, fields):
        validated, errors = {}, {}
        for name, getter in fields:
            try:
                value = getter(data, is_form)
            except _Invalid as error:
                errors[name] = [str(error)]
                continue
            if value is not _SKIP:
                validated[name] = value
        if errors:
            raise _HttpError(400, errors)
        return validated

    def _create_grade(self, data, is_form):
        get = self._get
        if not is_form and data.get("letter_grade", "") is None:
            data = dict(data, letter_grade="")  # UserGradeSerializer.is_valid turns a null letter grade into ""

        def course_run(data, is_form):
            key = get(data, "course_run", is_form, required=True)
            with self._lock:
                if not isinstance(key, str) or key not in self.course_runs:
                    raise _Invalid(f"No CourseRun exists for key [{key}]")
            return key

        def optional(name, convert, **kwargs):
            def getter(data, is_form):
                value = get(data, name, is_form, required=False, **kwargs)
                return value if value in (_SKIP, None) else convert(value)

            return getter

        validated = self._validate(
            data,
            is_form,
            [
                ("username", lambda d, f: self._char(get(d, "username", f, required=True), 150, False)),
                ("course_run", course_run),
                ("letter_grade", optional("letter_grade", lambda v: self._char(v, 255, True), allow_blank=True)),
                ("percent_grade", lambda d, f: self._decimal(get(d, "percent_grade", f, required=True), 5, 4)),
                ("verified", optional("verified", self._boolean, html_default=False)),
                ("lms_last_updated_at", optional("lms_last_updated_at", self._datetime, allow_null=True)),
            ],
        )
        now = datetime.now(UTC)
        key = (validated["username"], validated["course_run"])
        with self._lock:
            grade = self.grades.get(key)
            if grade is None:  # update_or_create: create with the model's defaults for what was not sent
                grade = {"id": self._next_id, "letter_grade": "", "verified": True, "lms_last_updated_at": None}
                grade["created"] = now
                self._next_id += 1
            grade.update(validated)  # ...or overwrite whatever is there, whatever its timestamp
            grade["modified"] = now
            self.grades[key] = grade
            stored = dict(grade)
        return {
            "id": stored["id"],
            "username": stored["username"],
            "course_run": stored["course_run"],
            "letter_grade": stored["letter_grade"],
            "percent_grade": "{:f}".format(stored["percent_grade"]),
            "verified": stored["verified"],
            "lms_last_updated_at": self._format_datetime(stored["lms_last_updated_at"]),
            "created": self._format_datetime(stored["created"]),
            "modified": self._format_datetime(stored["modified"]),
        }

    def _create_certificate(self, data, is_form):
        get = self._get

        def course_id(data, is_form):
            value = self._char(get(data, "course_id", is_form, required=True), 255, False)
            try:
                CourseKey.from_string(value)
            except InvalidKeyError:
                raise _Invalid("Invalid course key.") from None
            return value

        def certificate_type(data, is_form):
            value = get(data, "certificate_type", is_form, required=True)
            if str(value) not in CERTIFICATE_TYPES:
                raise _Invalid(f'"{value}" is not a valid choice.')
            return str(value)

        def available_date(data, is_form):
            value = get(data, "certificate_available_date", is_form, required=False, allow_null=True)
            return value if value in (_SKIP, None) else self._datetime(value)

        def is_active(data, is_form):
            value = get(data, "is_active", is_form, required=False, html_default=False)
            return value if value is _SKIP else self._boolean(value)

        validated = self._validate(
            data,
            is_form,
            [
                ("course_id", course_id),
                ("certificate_type", certificate_type),
                ("certificate_available_date", available_date),
                ("is_active", is_active),
            ],
        )
        # CourseCertificateSerializer.create indexes these keys directly: leaving one out is a server error.
        if "certificate_available_date" not in validated or "is_active" not in validated:
            raise _HttpError(500, "<h1>Server Error (500)</h1>")
        key = (validated["course_id"], validated["certificate_type"])
        with self._lock:
            others = [other for other in self.certificates if other[0] == key[0] and other != key]
            if others:
                # One certificate configuration per run, as observed: a second type breaks a uniqueness constraint.
                raise _HttpError(500, SERVER_ERROR_PAGE)
            cert = self.certificates.get(key)
            if cert is None:
                cert = {"id": self._next_id, "site": self.site_id}
                self._next_id += 1
            # An unknown run is not an error here: the certificate is stored without a course_run.
            known_run = validated["course_id"] in self.course_runs
            cert.update(validated, course_run=validated["course_id"] if known_run else None)
            self.certificates[key] = cert
            stored = dict(cert)
        return dict(stored, certificate_available_date=self._format_datetime(stored["certificate_available_date"]))


@contextlib.contextmanager
def serving(course_run, client_id, client_secret, username="credentials_service_user"):
    """A started fake that knows ``course_run`` and an OAuth2 client acting as the (staff) ``username``."""
    with FakeCredentialsServer() as fake:
        fake.add_course_run(course_run)
        fake.add_oauth_client(client_id, client_secret, username=username, administrator=True)
        yield fake


def forwarding_settings(server, client_id, client_secret, **overrides):
    """The plugin's Credentials settings pointing at ``server`` with OAuth2, forwarding on, plus ``overrides``."""
    return {
        "GRADE_FREEZE_CREDENTIALS_ENABLED": True,
        "GRADE_FREEZE_CREDENTIALS_URL": server.url,
        "GRADE_FREEZE_CREDENTIALS_OAUTH_URL": server.url,
        "GRADE_FREEZE_CREDENTIALS_CLIENT_ID": client_id,
        "GRADE_FREEZE_CREDENTIALS_CLIENT_SECRET": client_secret,
        **overrides,
    }
