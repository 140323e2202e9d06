"""
Stand-in for ``openedx.core.djangoapps.credentials.models`` (``CredentialsApiConfig`` only, in memory).

Upstream it is a ``ConfigurationModel``; ``current()`` returns the latest row. Here ``current()`` returns one
shared instance whose ``enabled``/``enable_learner_issuance``/``cache_ttl`` tests may set.
"""
from urllib.parse import urljoin

from openedx.core.djangoapps.site_configuration import helpers
from standin_support import register_reset, setting

API_VERSION = 'v2'


class CredentialsApiConfig:
    """Connection settings for the Credentials service."""

    OAUTH2_CLIENT_NAME = 'credentials'
    API_NAME = 'credentials'
    CACHE_KEY = 'credentials.api.data'

    _current = None

    def __init__(self, enabled=True, enable_learner_issuance=True, cache_ttl=0):
        self.enabled = enabled
        self.enable_learner_issuance = enable_learner_issuance
        self.cache_ttl = cache_ttl

    @classmethod
    def current(cls):
        """The active configuration."""
        if cls._current is None:
            cls._current = cls()
        return cls._current

    @property
    def internal_api_url(self):
        """Internal API root for the current site: ``{CREDENTIALS_INTERNAL_SERVICE_URL}/api/v2/``."""
        root = helpers.get_value('CREDENTIALS_INTERNAL_SERVICE_URL', setting('CREDENTIALS_INTERNAL_SERVICE_URL'))
        return urljoin(root, f'/api/{API_VERSION}/')

    @staticmethod
    def get_internal_api_url_for_org(org):
        """Internal API root for the site that owns ``org``."""
        root = helpers.get_value_for_org(org, 'CREDENTIALS_INTERNAL_SERVICE_URL',
                                         setting('CREDENTIALS_INTERNAL_SERVICE_URL'))
        return urljoin(root, f'/api/{API_VERSION}/')

    @property
    def public_api_url(self):
        root = helpers.get_value('CREDENTIALS_PUBLIC_SERVICE_URL', setting('CREDENTIALS_PUBLIC_SERVICE_URL'))
        return urljoin(root, f'/api/{API_VERSION}/')

    @property
    def is_learner_issuance_enabled(self):
        return self.enabled and self.enable_learner_issuance

    @property
    def is_cache_enabled(self):
        return self.cache_ttl > 0

    @classmethod
    def reset(cls):
        cls._current = None


register_reset(CredentialsApiConfig.reset)
