"""
Whether and where to forward to Credentials: Django settings, the site's ``GRADE_FREEZE`` configuration, and the client.
"""
import logging

from django.conf import settings

from openedx_grade_freeze.credentials.client import CredentialsClient
from openedx_grade_freeze.keys import to_course_key
from openedx_grade_freeze.platform import course_modes, credentials_service, modules
from openedx_grade_freeze.rate_limits import first_in_interval
from openedx_grade_freeze.site_settings import SITE_CONFIGURATION_KEY, site_freeze_configuration
from openedx_grade_freeze.toggles import GRADE_FREEZE_CREDENTIALS_ENABLED

log = logging.getLogger(__name__)

# What is reported "once" (a run's certificate modes, a certificate type Credentials cannot take) is reported again
# after this long at the earliest, in case it is still so and nobody saw it.
REPORT_ONCE_SECONDS = 30 * 24 * 3600


def _site_config(org):
    """The valid keys of the site's ``GRADE_FREEZE`` dict for ``org``, or None when it cannot be read (logged)."""
    try:
        return site_freeze_configuration(org)
    except Exception:  # pylint: disable=broad-except
        log.exception("Could not read the site configuration %s of org %s", SITE_CONFIGURATION_KEY, org)
        return None


def _oauth_settings():
    client_id = getattr(settings, "GRADE_FREEZE_CREDENTIALS_CLIENT_ID", None)
    client_secret = getattr(settings, "GRADE_FREEZE_CREDENTIALS_CLIENT_SECRET", None)
    oauth_url = (
        getattr(settings, "GRADE_FREEZE_CREDENTIALS_OAUTH_URL", None)
        or getattr(settings, "LMS_INTERNAL_ROOT_URL", None)
        or getattr(settings, "LMS_ROOT_URL", None)
    )
    if client_id and client_secret and oauth_url:
        return oauth_url, client_id, client_secret
    return None


def credentials_base_url(org=None):
    """The Credentials API root to post to: the plugin's setting, the platform's, then the LMS's internal URL."""
    url = getattr(settings, "GRADE_FREEZE_CREDENTIALS_URL", None)
    if not url:
        url = credentials_service.get_credentials_base_url(org=org)
    url = url or getattr(settings, "CREDENTIALS_INTERNAL_SERVICE_URL", None)
    if not url:
        return None
    # edx-platform hands out the API root (``…/api/v2/``); the client appends the endpoint paths itself.
    url = url.rstrip("/")
    return url[: -len("/api/v2")] if url.endswith("/api/v2") else url


# One stable factory per org, so the client's pooled session is reused across deliveries.
_platform_session_factories = {}


def _platform_session_factory(org):
    """A factory of sessions carrying the LMS's JWT for its Credentials service user, inside the LMS only."""
    if not modules.is_platform_available():
        return None
    factory = _platform_session_factories.get(org)
    if factory is None:
        factory = _platform_session_factories.setdefault(
            org, lambda: credentials_service.get_credentials_api_client(org=org)
        )
    return factory


def get_client(org=None):
    """A ``CredentialsClient`` for ``org``: OAuth2 client credentials when configured, else the LMS's JWT; or None."""
    base_url = credentials_base_url(org)
    if not base_url:
        return None
    timeout = getattr(settings, "GRADE_FREEZE_CREDENTIALS_TIMEOUT", (3.05, 10.0))
    oauth = _oauth_settings()
    if oauth is not None:
        oauth_url, client_id, client_secret = oauth
        return CredentialsClient(
            base_url, oauth_url=oauth_url, client_id=client_id, client_secret=client_secret, timeout=timeout
        )
    factory = _platform_session_factory(org)
    if factory is None:
        return None
    return CredentialsClient(base_url, session_factory=factory, timeout=timeout)


def is_configured(org=None):
    """True when a Credentials URL and a way to authenticate are both known."""
    if not credentials_base_url(org):
        return False
    return _oauth_settings() is not None or _platform_session_factory(org) is not None


_warned_unconfigured = set()


def forwarding_enabled(org):
    """Whether grades of ``org`` go to Credentials: the site's ``CREDENTIALS_FORWARDING``, else the toggle."""
    site_value = (_site_config(org) or {}).get("CREDENTIALS_FORWARDING")
    enabled = site_value if isinstance(site_value, bool) else GRADE_FREEZE_CREDENTIALS_ENABLED.is_enabled()
    if not enabled:
        return False
    if not is_configured(org):
        if org not in _warned_unconfigured:
            _warned_unconfigured.add(org)
            log.error(
                "Forwarding to Credentials is on for org %s but Credentials is not configured; nothing is sent.", org
            )
        return False
    return True


def _course_or_org_match(value, course_key):
    """True/False from a boolean, or from a list of orgs and course keys; None when ``value`` says nothing."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (list, tuple, set)):
        return str(course_key) in value or course_key.org in value
    return None


def certificates_available_at_end(course_key):
    """Whether the course's certificates become available at its end date (site configuration, then settings)."""
    course_key = to_course_key(course_key)
    site_value = (_site_config(course_key.org) or {}).get("CERTIFICATES_AVAILABLE_AT_END")
    decided = _course_or_org_match(site_value, course_key)
    if decided is not None:
        return decided
    setting = getattr(settings, "GRADE_FREEZE_CREDENTIALS_CERTIFICATES_AVAILABLE_AT_END", False)
    return bool(_course_or_org_match(setting, course_key))


def certificate_types(org):
    """The configured Credentials certificate types for ``org`` (site configuration, then settings)."""
    site_value = (_site_config(org) or {}).get("CERTIFICATE_TYPES")
    if isinstance(site_value, (list, tuple)):
        return list(site_value)
    return list(getattr(settings, "GRADE_FREEZE_CREDENTIALS_CERTIFICATE_TYPES", ["verified"]))


def certificate_type(course_key):
    """The one certificate type whose available date is sent for a run, or None.

    In the LMS it is the run's certificate-relevant mode, as upstream reads it (Credentials keeps one certificate
    configuration per run; a second type fails there). Elsewhere the first configured type.
    """
    course_key = to_course_key(course_key)
    modes = course_modes.certificate_modes(course_key)
    if modes is not course_modes.NOT_IN_LMS:
        if len(modes) == 1:
            return modes[0]
        # Once per run and set of modes (a new set is news), not on every end-date change.
        if first_in_interval(("certificate modes", str(course_key), tuple(modes)), REPORT_ONCE_SECONDS):
            log.warning("Course run %s has %s certificate modes (%s); upstream sends no certificate date for it, nor "
                        "does the plugin.", course_key, len(modes), ", ".join(modes) or "none")
        return None
    types = certificate_types(course_key.org)
    if len(types) > 1:
        log.warning("Several certificate types are configured for %s (%s); Credentials keeps one per run: sending "
                    "%s only.", course_key, ", ".join(types), types[0])
    return types[0] if types else None


def check_certificate_types(app_configs=None, **kwargs):  # pylint: disable=unused-argument
    """Django system check: ``GRADE_FREEZE_CREDENTIALS_CERTIFICATE_TYPES`` names one type (Credentials keeps one)."""
    from django.core import checks  # pylint: disable=import-outside-toplevel

    types = list(getattr(settings, "GRADE_FREEZE_CREDENTIALS_CERTIFICATE_TYPES", None) or [])
    if len(types) <= 1:
        return []
    return [checks.Warning(
        f"GRADE_FREEZE_CREDENTIALS_CERTIFICATE_TYPES names {len(types)} types ({', '.join(types)}), but Credentials "
        "keeps one certificate configuration per course run and answers HTTP 500 to a second type.",
        hint=f"Name one type. Inside the LMS each run's certificate mode is used; elsewhere only {types[0]!r} is sent.",
        id="openedx_grade_freeze.W001",
    )]
