"""
Stand-in for ``openedx.core.djangoapps.user_api.accounts.signals``: the retirement signals, plain Django signals.

Read from ``openedx/openedx-platform`` at ``e57a655d77b614f19223984e9805b1fb940ab192``. The retirement views send
``USER_RETIRE_LMS_CRITICAL`` (and ``USER_RETIRE_LMS_MISC``) as ``send(sender=…, user=user)`` before they replace
the username.
"""
from django.dispatch import Signal

USER_RETIRE_MAILINGS = Signal()
USER_RETIRE_LMS_CRITICAL = Signal()
USER_RETIRE_LMS_MISC = Signal()
