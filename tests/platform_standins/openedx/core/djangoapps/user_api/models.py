"""
Stand-in for ``openedx.core.djangoapps.user_api.models``: ``UserRetirementStatus`` only, in memory.

Read from ``openedx/openedx-platform`` at ``e57a655d77b614f19223984e9805b1fb940ab192``. ``create_retirement(user)``
keeps the learner's ``original_username`` and ``original_email`` beside the retired ones; the row stays until the
pipeline's clean-up, so the retirement signals can still read it. The first step of the pipeline
(``DeactivateLogoutView``) then gives the user the retired email: by the time ``USER_RETIRE_LMS_MISC`` and
``USER_RETIRE_LMS_CRITICAL`` are sent, ``user.email`` is no longer the learner's address. No retirement states here.
"""
import hashlib

import standin_support


class RetirementStateError(Exception):
    """A retirement that cannot be created or moved (stand-in: only a second row for a user)."""


class UserRetirementStatus:
    """Tracks one learner's retirement: their original and retired username and email, keyed by user."""

    _store = {}

    class DoesNotExist(Exception):
        """No retirement for that user."""

    def __init__(self, user, original_username, original_email, retired_username, retired_email):
        self.user = user
        self.user_id = user.id
        self.original_username = original_username
        self.original_email = original_email
        self.retired_username = retired_username
        self.retired_email = retired_email

    @classmethod
    def create_retirement(cls, user):
        """Record the user's current username and email as the originals, with retired ones derived from them."""
        if user.id in cls._store:
            raise RetirementStateError(f"User {user} already has a retirement status row!")
        digest = hashlib.sha1(user.username.encode()).hexdigest()
        status = cls(user, user.username, user.email, f"retired__user_{digest}",
                     f"retired__user_{digest}@retired.invalid")
        cls._store[user.id] = status
        return status

    @classmethod
    def reset(cls):
        """Forget every retirement."""
        cls._store.clear()


UserRetirementStatus.objects = standin_support.InMemoryManager(UserRetirementStatus)
standin_support.register_reset(UserRetirementStatus.reset)
