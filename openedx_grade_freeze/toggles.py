"""
Feature toggles of the plugin.
"""
from edx_toggles.toggles import SettingToggle

# .. toggle_name: GRADE_FREEZE_ENABLED
# .. toggle_implementation: SettingToggle
# .. toggle_default: True
# .. toggle_description: The installation-wide default for freezing grades after a course's freeze date. It is the
#   lowest configuration layer: the site's ``GRADE_FREEZE["ENABLED"]``, an org override and a course override each
#   take precedence over it, in that order.
# .. toggle_use_cases: open_edx
# .. toggle_creation_date: 2026-11-21
GRADE_FREEZE_ENABLED = SettingToggle("GRADE_FREEZE_ENABLED", default=True, module_name=__name__)

# .. toggle_name: GRADE_FREEZE_PLATFORM_ADAPTER_ENABLED
# .. toggle_implementation: SettingToggle
# .. toggle_default: True
# .. toggle_description: Wires the freeze into edx-platform's grade write points when the LMS starts. Turning it
#   off leaves edx-platform's own functions untouched (the filter and the API still work for callers that use them).
# .. toggle_use_cases: open_edx
# .. toggle_creation_date: 2026-11-21
GRADE_FREEZE_PLATFORM_ADAPTER_ENABLED = SettingToggle(
    "GRADE_FREEZE_PLATFORM_ADAPTER_ENABLED", default=True, module_name=__name__
)

# .. toggle_name: GRADE_FREEZE_CREDENTIALS_ENABLED
# .. toggle_implementation: SettingToggle
# .. toggle_default: False
# .. toggle_description: Forwards each learner's course grade (with its last-modified time) and, where configured,
#   course certificate available dates to the Credentials service through a durable, ordered outbox. Nothing is
#   sent until Credentials is configured (``GRADE_FREEZE_CREDENTIALS_*`` settings, or the LMS's own Credentials
#   settings). The site's ``GRADE_FREEZE["CREDENTIALS_FORWARDING"]`` (true/false) takes precedence for its orgs.
# .. toggle_use_cases: open_edx
# .. toggle_creation_date: 2026-11-22
# .. toggle_warning: In the LMS, edx-platform's own sender is routed through the plugin's outbox for these orgs
#   unless ``GRADE_FREEZE_CREDENTIALS_REPLACE_UPSTREAM_SENDER`` is off; see docs/how-tos/connect_to_credentials.rst.
GRADE_FREEZE_CREDENTIALS_ENABLED = SettingToggle(
    "GRADE_FREEZE_CREDENTIALS_ENABLED", default=False, module_name=__name__
)

# .. toggle_name: GRADE_FREEZE_CREDENTIALS_MIRROR_UPSTREAM_CONDITIONS
# .. toggle_implementation: SettingToggle
# .. toggle_default: False
# .. toggle_description: Inside the LMS, forward a grade only when edx-platform itself would (learner records
#   enabled for the org, a certificate in a certificate-eligible mode, the run in a program), and send its
#   ``verified`` flag. Off, every grade of an enabled org is sent with ``verified=true``.
# .. toggle_use_cases: open_edx
# .. toggle_creation_date: 2026-11-22
GRADE_FREEZE_CREDENTIALS_MIRROR_UPSTREAM_CONDITIONS = SettingToggle(
    "GRADE_FREEZE_CREDENTIALS_MIRROR_UPSTREAM_CONDITIONS", default=False, module_name=__name__
)

# .. toggle_name: GRADE_FREEZE_CREDENTIALS_REPLACE_UPSTREAM_SENDER
# .. toggle_implementation: SettingToggle
# .. toggle_default: True
# .. toggle_description: In the LMS, for orgs whose grades the plugin forwards (``GRADE_FREEZE_CREDENTIALS_ENABLED``
#   or the site's ``CREDENTIALS_FORWARDING``, with Credentials configured), edx-platform's own
#   ``send_grade_if_interesting`` no longer queues ``send_grade_to_credentials``: it asks the plugin's outbox to send
#   the ledger's newest grade instead, so an older grade can never land after a newer one. A learner missing from the
#   ledger is first recorded from the LMS's stored grade. Off, edx-platform keeps posting on its own as well. No
#   effect for orgs the plugin does not forward, or when ``GRADE_FREEZE_PLATFORM_ADAPTER_ENABLED`` is off.
# .. toggle_use_cases: open_edx
# .. toggle_creation_date: 2026-11-23
# .. toggle_warning: ``send_grade_to_credentials`` tasks already queued when this takes effect still post, with
#   their retries. ``notify_credentials`` then goes through the outbox too, which skips grades Credentials already
#   holds; use ``send_grades_to_credentials --force`` to re-send everything.
GRADE_FREEZE_CREDENTIALS_REPLACE_UPSTREAM_SENDER = SettingToggle(
    "GRADE_FREEZE_CREDENTIALS_REPLACE_UPSTREAM_SENDER", default=True, module_name=__name__
)
