"""
edx-platform's user retirement signals (LMS only), by dotted path: ``signals_config`` connects receivers to them.

Both are sent by the retirement views as ``send(sender=…, user=<User>)``, before the username is replaced
(``openedx.core.djangoapps.user_api.accounts.signals``).
"""
USER_RETIRE_LMS_CRITICAL = "openedx.core.djangoapps.user_api.accounts.signals.USER_RETIRE_LMS_CRITICAL"
USER_RETIRE_LMS_MISC = "openedx.core.djangoapps.user_api.accounts.signals.USER_RETIRE_LMS_MISC"

