"""
edx-platform's user retirement (LMS only): its signals, by dotted path (``signals_config`` connects receivers to
them), and the username and email a learner had before retirement began.

Both signals are sent by the retirement views as ``send(sender=…, user=<User>)``, before the username is replaced
(``openedx.core.djangoapps.user_api.accounts.signals``) but after the pipeline's first step gave the user a retired
email: the original one is kept in ``UserRetirementStatus`` until the pipeline's clean-up.
"""
from openedx_grade_freeze.platform.modules import import_platform_module

USER_RETIRE_LMS_CRITICAL = "openedx.core.djangoapps.user_api.accounts.signals.USER_RETIRE_LMS_CRITICAL"
USER_RETIRE_LMS_MISC = "openedx.core.djangoapps.user_api.accounts.signals.USER_RETIRE_LMS_MISC"

_USER_API_MODELS = "openedx.core.djangoapps.user_api.models"


def original_identity(user_id):
    """``(original username, original email)`` of a learner being retired, from ``UserRetirementStatus``; empty
    outside the LMS or when no retirement is under way."""
    models = import_platform_module(_USER_API_MODELS)
    status_model = getattr(models, "UserRetirementStatus", None)
    if status_model is None:
        return ()
    for status in status_model.objects.filter(user_id=user_id):
        return (status.original_username, status.original_email)
    return ()
