"""
How the OpenAPI description names edx-drf-extensions' authentication classes (drf-spectacular extensions).
"""
from drf_spectacular.authentication import SessionScheme
from drf_spectacular.extensions import OpenApiAuthenticationExtension


class JwtAuthenticationScheme(OpenApiAuthenticationExtension):
    """``Authorization: JWT <token>``, a token the LMS issued (``/oauth2/access_token`` with ``token_type=jwt``)."""

    target_class = "edx_rest_framework_extensions.auth.jwt.authentication.JwtAuthentication"
    name = "jwtAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "A JWT issued by the LMS, sent as `JWT <token>`.",
        }


class SessionAllowInactiveScheme(SessionScheme):
    """The browser's LMS session cookie (inactive users too, as edx-drf-extensions allows)."""

    target_class = "edx_rest_framework_extensions.auth.session.authentication.SessionAuthenticationAllowInactiveUser"
