"""
Stand-in for ``edx_rest_framework_extensions.permissions`` (the JWT permission classes Grades API v2 imports).

Real DRF permissions; a request counts as a restricted-application JWT when ``request.auth`` is a dict with
``is_restricted`` true, and ``JwtHasScope`` checks ``view.required_scopes`` against its ``scopes``.
"""
from rest_framework.permissions import BasePermission


def _claims(request):
    auth = getattr(request, 'auth', None)
    return auth if isinstance(auth, dict) else {}


class JwtRestrictedApplication(BasePermission):
    """Allows requests made with a JWT issued to a restricted application."""

    def has_permission(self, request, view):
        return bool(_claims(request).get('is_restricted'))


class NotJwtRestrictedApplication(BasePermission):
    """Allows requests not made with a restricted application's JWT."""

    def has_permission(self, request, view):
        return not JwtRestrictedApplication().has_permission(request, view)


class JwtHasScope(BasePermission):
    """Allows requests whose JWT carries every scope the view requires."""

    def has_permission(self, request, view):
        required = set(getattr(view, 'required_scopes', ()))
        return required <= set(_claims(request).get('scopes', ()))
