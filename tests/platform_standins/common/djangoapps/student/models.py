"""
Stand-in for the one function of ``common.djangoapps.student.models`` that event-routing-backends imports.

Upstream also matches the username hashed with each historical retirement salt; the stand-in has no retired users.
"""
from django.contrib.auth import get_user_model


def get_potentially_retired_user_by_username(username):
    """The user with ``username``; raises ``User.DoesNotExist`` when there is none (as upstream)."""
    user_model = get_user_model()
    users = list(user_model.objects.filter(username=username)[:2])
    if len(users) == 1:
        return users[0]
    raise user_model.DoesNotExist()
