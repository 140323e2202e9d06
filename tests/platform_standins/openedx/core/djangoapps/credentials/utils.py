"""
Stand-in for ``openedx.core.djangoapps.credentials.utils``.

Upstream, ``get_credentials_api_client(user)`` mints a JWT for ``user`` with ``create_jwt_for_user`` (scopes
email, profile, user_id) and returns a ``requests.Session`` whose auth is ``SuppliedJwtAuth`` (header
``Authorization: JWT <token>``). The stand-in signs an HS256 token with PyJWT using the Django setting
``GRADE_FREEZE_TEST_JWT_SECRET`` so a fake Credentials service in tests can verify it.
"""
from datetime import timedelta

import jwt
import requests

from openedx.core.djangoapps.credentials.models import CredentialsApiConfig
from standin_support import setting, utcnow

JWT_SCOPES = ['email', 'profile', 'user_id']


def _jwt_for_user(user, scopes):
    """Stand-in for ``oauth_dispatch.jwt.create_jwt_for_user``: the claims Credentials reads."""
    now = utcnow()
    payload = {
        'iss': setting('GRADE_FREEZE_TEST_JWT_ISSUER', 'http://lms.test/oauth2'),
        'aud': setting('GRADE_FREEZE_TEST_JWT_AUDIENCE', 'lms-key'),
        'iat': int(now.timestamp()),
        'exp': int((now + timedelta(hours=1)).timestamp()),
        'preferred_username': user.username,
        'email': user.email,
        'user_id': user.id,
        'administrator': user.is_staff,
        'scopes': scopes,
        'version': '1.2.0',
    }
    secret = setting('GRADE_FREEZE_TEST_JWT_SECRET', 'grade-freeze-test-secret-0123456789abcdef')
    return jwt.encode(payload, secret, algorithm='HS256')


def get_credentials_api_client(user) -> requests.Session:
    """Return a ``requests.Session`` that authenticates to Credentials as ``user`` with a JWT."""
    token = _jwt_for_user(user, scopes=JWT_SCOPES)
    client = requests.Session()
    client.headers['Authorization'] = f'JWT {token}'
    return client


def get_credentials_api_base_url(org=None):
    """Return the Credentials API root, for ``org``'s site when given, else for the current site."""
    if org is None:
        return CredentialsApiConfig.current().internal_api_url
    return CredentialsApiConfig.get_internal_api_url_for_org(org)
