"""
Stand-in for ``openedx.core.djangoapps.credentials.api`` (read from ``openedx/edx-platform`` at ``c6a65d6b6f28…``).
"""
from openedx.core.djangoapps.credentials.models import CredentialsApiConfig


def is_credentials_enabled():
    """Whether use of the Credentials service is enabled for this instance."""
    return CredentialsApiConfig.current().is_learner_issuance_enabled
