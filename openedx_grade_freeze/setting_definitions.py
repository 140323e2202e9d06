"""
Every Django setting and toggle of the plugin, defined once: its name, its default and annotation, and how operators
set it. The LMS and Studio get the defaults (``settings/common.py``), the production settings read each from the
YAML's tokens (``settings/production.py``), the Tutor plugin offers the operator's ones as config values, and the
settings and toggles reference pages are generated from the annotations.

Nothing is imported here: the Tutor plugin reads this module in Tutor, outside the LMS.
"""
from dataclasses import dataclass


@dataclass(frozen=True)
class Setting:
    """
    One Django setting of the plugin.

    ``tutor``: an operator's setting, offered as a Tutor config value. ``toggle``: a ``SettingToggle`` (toggles.py),
    whose default applies while the setting is absent. ``auth``: also read from ``AUTH_TOKENS``, which wins;
    ``secret``: read from ``AUTH_TOKENS`` only.
    """

    name: str
    default: object
    tutor: bool = False
    toggle: bool = False
    auth: bool = False
    secret: bool = False


SETTINGS = (
    # Toggles: read through edx-toggles' SettingToggle objects in toggles.py.
    # .. toggle_name: GRADE_FREEZE_ENABLED
    # .. toggle_implementation: SettingToggle
    # .. toggle_default: True
    # .. toggle_description: The installation-wide default for freezing grades after a course's freeze date. It is the
    #   lowest configuration layer: the site's ``GRADE_FREEZE["ENABLED"]``, an org override and a course override each
    #   take precedence over it, in that order.
    # .. toggle_use_cases: open_edx
    # .. toggle_creation_date: 2026-11-21
    Setting("GRADE_FREEZE_ENABLED", True, toggle=True, tutor=True),
    # .. toggle_name: GRADE_FREEZE_PLATFORM_ADAPTER_ENABLED
    # .. toggle_implementation: SettingToggle
    # .. toggle_default: True
    # .. toggle_description: Wires the freeze into edx-platform's grade write points when the LMS starts. Turning it
    #   off leaves edx-platform's own functions untouched; the filter, the API and the REST endpoint still work for
    #   callers that use them.
    # .. toggle_use_cases: open_edx
    # .. toggle_creation_date: 2026-11-21
    Setting("GRADE_FREEZE_PLATFORM_ADAPTER_ENABLED", True, toggle=True, tutor=True),
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
    Setting("GRADE_FREEZE_CREDENTIALS_ENABLED", False, toggle=True, tutor=True),
    # .. toggle_name: GRADE_FREEZE_CREDENTIALS_MIRROR_UPSTREAM_CONDITIONS
    # .. toggle_implementation: SettingToggle
    # .. toggle_default: False
    # .. toggle_description: Inside the LMS, forward a grade only when edx-platform itself would (learner records
    #   enabled for the org, a certificate in a certificate-eligible mode, the run in a program), and send its
    #   ``verified`` flag. Off, every grade of an enabled org is sent with ``verified=true``.
    # .. toggle_use_cases: open_edx
    # .. toggle_creation_date: 2026-11-22
    Setting("GRADE_FREEZE_CREDENTIALS_MIRROR_UPSTREAM_CONDITIONS", False, toggle=True, tutor=True),
    # .. toggle_name: GRADE_FREEZE_CREDENTIALS_REPLACE_UPSTREAM_SENDER
    # .. toggle_implementation: SettingToggle
    # .. toggle_default: True
    # .. toggle_description: In the LMS, for orgs whose grades the plugin forwards (``GRADE_FREEZE_CREDENTIALS_ENABLED``
    #   or the site's ``CREDENTIALS_FORWARDING``, with Credentials configured), edx-platform's own
    #   ``send_grade_if_interesting`` no longer queues ``send_grade_to_credentials``: it asks the plugin's outbox to
    #   send the ledger's newest grade instead, so an older grade can never land after a newer one. A learner missing
    #   from the ledger is first recorded from the LMS's stored grade. Off, edx-platform keeps posting on its own as
    #   well. No effect for orgs the plugin does not forward, or when ``GRADE_FREEZE_PLATFORM_ADAPTER_ENABLED`` is off.
    # .. toggle_use_cases: open_edx
    # .. toggle_creation_date: 2026-11-23
    # .. toggle_warning: ``send_grade_to_credentials`` tasks already queued when this takes effect still post, with
    #   their retries. ``notify_credentials`` then goes through the outbox too, which skips grades Credentials already
    #   holds; use ``send_grades_to_credentials --force`` to re-send everything.
    Setting("GRADE_FREEZE_CREDENTIALS_REPLACE_UPSTREAM_SENDER", True, toggle=True, tutor=True),
    # .. toggle_name: GRADE_FREEZE_EXCEPTIONS_REQUIRE_APPROVAL
    # .. toggle_implementation: SettingToggle
    # .. toggle_default: True
    # .. toggle_description: A learner exception requested by a course's staff or instructor opens only once another
    #   person approves it: global staff, or a user holding the ``openedx_grade_freeze.approve_learnerexception``
    #   permission (grantable through a group), never the requester. Off, a request opens the exception at once
    #   (audited as opened without approval). Exceptions granted by an operator (``grant_grade_exception``, Django
    #   admin) need no approval either way.
    # .. toggle_use_cases: open_edx
    # .. toggle_creation_date: 2026-12-03
    # .. toggle_warning: Off, any staff member or instructor of a frozen course can reopen one learner's grades for up
    #   to ``GRADE_FREEZE_EXCEPTION_MAX_DAYS`` days on their own.
    Setting("GRADE_FREEZE_EXCEPTIONS_REQUIRE_APPROVAL", True, toggle=True, tutor=True),
    # .. toggle_name: GRADE_FREEZE_PERSONALIZED_DUE_DATES
    # .. toggle_implementation: SettingToggle
    # .. toggle_default: True
    # .. toggle_description: A learner given a personalized due date (the instructor dashboard's "Extensions", stored
    #   by edx-when) whose latest due date plus the course's offset falls after the course's freeze date is frozen
    #   at that later date instead; every decision about the learner says "personalized due date". Off, every learner
    #   of a course freezes at the course's date. Read with the course's policy (once per course and refresh).
    # .. toggle_use_cases: open_edx
    # .. toggle_creation_date: 2026-12-10
    Setting("GRADE_FREEZE_PERSONALIZED_DUE_DATES", True, toggle=True, tutor=True),
    # The freeze policy and its caches, schedules, refused updates.
    # .. setting_name: GRADE_FREEZE_OFFSET_DAYS
    # .. setting_default: 30
    # .. setting_description: Days after a course's end date at which its grades freeze, unless a course
    #   or org override, or the site's ``GRADE_FREEZE["OFFSET_DAYS"]``, says otherwise. A whole number from 0 to
    #   36500. Upstream's fixed rule is 30.
    Setting("GRADE_FREEZE_OFFSET_DAYS", 30, tutor=True),
    # .. setting_name: GRADE_FREEZE_EXEMPT_SELF_PACED
    # .. setting_default: False
    # .. setting_description: When True, self-paced runs never freeze, unless their course override sets an explicit
    #   freeze date or forces the freeze on. The site's ``GRADE_FREEZE["EXEMPT_SELF_PACED"]`` takes precedence.
    Setting("GRADE_FREEZE_EXEMPT_SELF_PACED", False, tutor=True),
    # .. setting_name: GRADE_FREEZE_ON_ERROR
    # .. setting_default: "platform-rule"
    # .. setting_description: What decides a course's freeze when the plugin's policy cannot be evaluated (an
    #   unreadable override or site configuration, a broken setting, a failing read): ``"platform-rule"`` applies
    #   edx-platform's own rule, frozen ``GRADEBOOK_FREEZE_DAYS`` (else 30) days after the course end from the stored
    #   schedule or ``CourseOverview``; ``"open"`` lets grades change; ``"closed"`` refuses every grade change. The
    #   error is logged once per course and interval (5 minutes), and ``api.get_freeze_state``, the status page and
    #   the REST API show it (``configuration_error``, ``on_error``). Any other value is logged and read as
    #   ``"platform-rule"``. It replaces ``GRADE_FREEZE_FAIL_CLOSED``, which nothing reads.
    Setting("GRADE_FREEZE_ON_ERROR", "platform-rule", tutor=True),
    # .. setting_name: GRADE_FREEZE_POLICY_CACHE_SECONDS
    # .. setting_default: 10
    # .. setting_description: How often, at most, a process checks the shared cache for schedule or override
    #   changes made by other processes. A change is seen at once in the process that made it, and within
    #   this many seconds everywhere else.
    Setting("GRADE_FREEZE_POLICY_CACHE_SECONDS", 10),
    # .. setting_name: GRADE_FREEZE_POLICY_MAX_AGE_SECONDS
    # .. setting_default: 300
    # .. setting_description: How long a process keeps a course's resolved freeze settings before reading them
    #   again. Schedule and override changes are announced and seen sooner; this bounds how long a Site
    #   Configuration edit (which announces nothing) takes to apply.
    Setting("GRADE_FREEZE_POLICY_MAX_AGE_SECONDS", 300),
    # .. setting_name: GRADE_FREEZE_POLICY_CACHE_MAX_COURSES
    # .. setting_default: 20000
    # .. setting_description: The most courses whose resolved freeze settings one process keeps in memory (about 0.6
    #   KiB each, see ``make benchmark``); the least recently checked course is dropped first and read again when
    #   needed. Invalid course keys are refused before they reach the cache.
    Setting("GRADE_FREEZE_POLICY_CACHE_MAX_COURSES", 20000),
    # .. setting_name: GRADE_FREEZE_EVENT_TIME_SKEW_SECONDS
    # .. setting_default: 300
    # .. setting_description: How far in the future a schedule event's time may lie (Studio's clock running
    #   fast) and still be trusted to order publishes. A later time is not trusted: the schedule is stored,
    #   ordered by the time it was received, and a warning names the event.
    Setting("GRADE_FREEZE_EVENT_TIME_SKEW_SECONDS", 300),
    # .. setting_name: GRADE_FREEZE_SCHEDULE_CHECK_INTERVAL_SECONDS
    # .. setting_default: 3600
    # .. setting_description: Interval of the ``grade-freeze-check-course-schedules`` entry added to the
    #   celery beat schedule: it compares the ``CourseOverview`` rows changed since its last run with the
    #   stored schedules, records courses seen for the first time and every end-date change (also when Studio
    #   sends no publish event). 0 or None leaves it off the schedule.
    Setting("GRADE_FREEZE_SCHEDULE_CHECK_INTERVAL_SECONDS", 3600),
    # .. setting_name: GRADE_FREEZE_BLOCKED_FLUSH_INTERVAL_SECONDS
    # .. setting_default: 60
    # .. setting_description: Interval of the ``grade-freeze-flush-blocked-counts`` entry added to the celery
    #   beat schedule: it reports refused updates still counted in the cache once their course's interval is
    #   over, so no count waits for another refusal. 0 or None leaves it off the schedule.
    Setting("GRADE_FREEZE_BLOCKED_FLUSH_INTERVAL_SECONDS", 60),
    # .. setting_name: GRADE_FREEZE_BLOCKED_EVENT_INTERVAL_SECONDS
    # .. setting_default: 3600
    # .. setting_description: At most one ``edx.grades.freeze.update_blocked`` tracking event is emitted per
    #   course and source in this many seconds; it carries the number of updates blocked since the last one.
    Setting("GRADE_FREEZE_BLOCKED_EVENT_INTERVAL_SECONDS", 3600),
    # Forwarding grades and certificate dates to Credentials (docs/how-tos/connect_to_credentials.rst).
    # .. setting_name: GRADE_FREEZE_CREDENTIALS_URL
    # .. setting_default: None
    # .. setting_description: Base URL of the Credentials service's internal API, e.g.
    #   ``http://credentials.internal:8150``. None falls back to the platform's own Credentials URL (inside the
    #   LMS) and then to ``CREDENTIALS_INTERNAL_SERVICE_URL``.
    Setting("GRADE_FREEZE_CREDENTIALS_URL", None, tutor=True),
    # .. setting_name: GRADE_FREEZE_CREDENTIALS_OAUTH_URL
    # .. setting_default: None
    # .. setting_description: Root URL of the LMS that issues OAuth2 tokens (``/oauth2/access_token`` is
    #   appended). With the client id and secret it selects client-credentials authentication; without them
    #   the plugin uses the LMS's own JWT for ``CREDENTIALS_SERVICE_USERNAME``.
    Setting("GRADE_FREEZE_CREDENTIALS_OAUTH_URL", None, tutor=True),
    # .. setting_name: GRADE_FREEZE_CREDENTIALS_CLIENT_ID
    # .. setting_default: None
    # .. setting_description: OAuth2 client id of an LMS application (client credentials) whose user is staff in
    #   Credentials. Read from ``ENV_TOKENS`` or ``AUTH_TOKENS`` (which wins).
    Setting("GRADE_FREEZE_CREDENTIALS_CLIENT_ID", None, tutor=True, auth=True),
    # .. setting_name: GRADE_FREEZE_CREDENTIALS_CLIENT_SECRET
    # .. setting_default: None
    # .. setting_description: OAuth2 client secret of that application. Read from ``AUTH_TOKENS`` only (the LMS's
    #   secrets YAML), never from ``ENV_TOKENS``; never put it in code.
    Setting("GRADE_FREEZE_CREDENTIALS_CLIENT_SECRET", None, tutor=True, secret=True),
    # .. setting_name: GRADE_FREEZE_CREDENTIALS_TIMEOUT
    # .. setting_default: (3.05, 10.0)
    # .. setting_description: (connect, read) timeouts in seconds of every request to Credentials.
    Setting("GRADE_FREEZE_CREDENTIALS_TIMEOUT", (3.05, 10.0)),
    # .. setting_name: GRADE_FREEZE_CREDENTIALS_MAX_ATTEMPTS
    # .. setting_default: 10
    # .. setting_description: Attempts of one delivery before it is marked ``failed``. Failed deliveries are tried
    #   again every ``GRADE_FREEZE_CREDENTIALS_FAILED_RETRY_SECONDS`` by the periodic drain, except those whose every
    #   attempt ended in the same kind of server error (HTTP 500, not 502/503/504): those stay ``failed`` until an
    #   operator sends them again.
    Setting("GRADE_FREEZE_CREDENTIALS_MAX_ATTEMPTS", 10),
    # .. setting_name: GRADE_FREEZE_CREDENTIALS_RETRY_BACKOFF_SECONDS
    # .. setting_default: 30
    # .. setting_description: First retry delay; it doubles with each attempt (with jitter) up to
    #   ``GRADE_FREEZE_CREDENTIALS_RETRY_BACKOFF_MAX_SECONDS``. A longer ``Retry-After`` wins.
    Setting("GRADE_FREEZE_CREDENTIALS_RETRY_BACKOFF_SECONDS", 30),
    # .. setting_name: GRADE_FREEZE_CREDENTIALS_RETRY_BACKOFF_MAX_SECONDS
    # .. setting_default: 600
    # .. setting_description: The longest delay between two attempts of one delivery.
    Setting("GRADE_FREEZE_CREDENTIALS_RETRY_BACKOFF_MAX_SECONDS", 600),
    # .. setting_name: GRADE_FREEZE_CREDENTIALS_FAILED_RETRY_SECONDS
    # .. setting_default: 3600
    # .. setting_description: How long a ``failed`` delivery waits before the periodic drain tries it again.
    Setting("GRADE_FREEZE_CREDENTIALS_FAILED_RETRY_SECONDS", 3600),
    # .. setting_name: GRADE_FREEZE_CREDENTIALS_LEASE_SECONDS
    # .. setting_default: 300
    # .. setting_description: How long a worker holds a delivery while sending it. A worker killed mid-send
    #   leaves the delivery to another worker after this time. Keep it well above what one send may take (four
    #   requests at ``GRADE_FREEZE_CREDENTIALS_TIMEOUT``, plus 30 s); a drain sending a batch extends its lease
    #   by this much before any send the lease would not cover.
    Setting("GRADE_FREEZE_CREDENTIALS_LEASE_SECONDS", 300),
    # .. setting_name: GRADE_FREEZE_CREDENTIALS_DRAIN_INTERVAL_SECONDS
    # .. setting_default: 300
    # .. setting_description: Interval of the ``grade-freeze-credentials-drain`` entry added to
    #   ``CELERY_BEAT_SCHEDULE`` (re-sends pending deliveries whose task was lost and due failed ones).
    #   0 or None leaves it off the schedule.
    Setting("GRADE_FREEZE_CREDENTIALS_DRAIN_INTERVAL_SECONDS", 300),
    # .. setting_name: GRADE_FREEZE_CREDENTIALS_DRAIN_BATCH_SIZE
    # .. setting_default: 500
    # .. setting_description: The most deliveries one run of the periodic drain sends.
    Setting("GRADE_FREEZE_CREDENTIALS_DRAIN_BATCH_SIZE", 500),
    # .. setting_name: GRADE_FREEZE_CREDENTIALS_DRAIN_THREADS
    # .. setting_default: 4
    # .. setting_description: How many deliveries one drain sends at once. Each is one learner's grade in one
    #   run, leased by one sender, so a learner's grades still go in order. 1 sends one after the other.
    Setting("GRADE_FREEZE_CREDENTIALS_DRAIN_THREADS", 4),
    # .. setting_name: GRADE_FREEZE_CREDENTIALS_UNKNOWN_RUN_RETRY_SECONDS
    # .. setting_default: 3600
    # .. setting_description: How often a grade for a course run Credentials' catalog does not know yet ("No
    #   CourseRun exists for key") is tried again. Such a delivery shows as waiting for the catalog.
    Setting("GRADE_FREEZE_CREDENTIALS_UNKNOWN_RUN_RETRY_SECONDS", 3600),
    # .. setting_name: GRADE_FREEZE_CREDENTIALS_UNKNOWN_RUN_MAX_WAIT_SECONDS
    # .. setting_default: 604800
    # .. setting_description: How long (default 7 days) a delivery waits for Credentials' catalog to learn its
    #   course run before it is marked ``failed`` with an error that says so.
    Setting("GRADE_FREEZE_CREDENTIALS_UNKNOWN_RUN_MAX_WAIT_SECONDS", 7 * 24 * 3600),
    # .. setting_name: GRADE_FREEZE_CREDENTIALS_PAUSE_PROBE_SECONDS
    # .. setting_default: 300
    # .. setting_description: While a Credentials URL is paused (it answered a redirect, 401 after a new token,
    #   403 or 404), one delivery is tried there this often; its success resumes every paused delivery. An
    #   ERROR is logged once per probe.
    Setting("GRADE_FREEZE_CREDENTIALS_PAUSE_PROBE_SECONDS", 300),
    # .. setting_name: GRADE_FREEZE_CREDENTIALS_CERTIFICATES_AVAILABLE_AT_END
    # .. setting_default: False
    # .. setting_description: Whether certificates become available at course end, so a new end date is sent
    #   to Credentials as the certificate available date: True, False, or a list of orgs and course keys. The
    #   site's ``GRADE_FREEZE["CERTIFICATES_AVAILABLE_AT_END"]`` (same forms) takes precedence. Self-paced runs
    #   are never sent a date.
    Setting("GRADE_FREEZE_CREDENTIALS_CERTIFICATES_AVAILABLE_AT_END", False, tutor=True),
    # .. setting_name: GRADE_FREEZE_CREDENTIALS_CERTIFICATE_TYPES
    # .. setting_default: ["verified"]
    # .. setting_description: A fallback: in the LMS the certificate available date is sent for the run's one
    #   certificate-relevant mode, read as upstream reads it. Outside it, the first type listed here (the site's
    #   ``GRADE_FREEZE["CERTIFICATE_TYPES"]`` takes precedence). Credentials keeps one certificate configuration per
    #   run, so name one type: a list of several is reported at startup (system check ``openedx_grade_freeze.W001``).
    Setting("GRADE_FREEZE_CREDENTIALS_CERTIFICATE_TYPES", ["verified"], tutor=True),
    # Final-grade snapshots (docs/concepts/what_is_frozen.rst).
    # .. setting_name: GRADE_FREEZE_SNAPSHOT_INTERVAL_SECONDS
    # .. setting_default: 3600
    # .. setting_description: Interval of the ``grade-freeze-snapshots`` entry added to the celery beat schedule: each
    #   pass freezes the final grades of every course past its freeze date without a current snapshot, marks
    #   superseded the snapshots of courses no longer past their freeze date, and resumes runs left unfinished. 0 or
    #   None leaves it off the schedule (then run ``freeze_final_grades`` yourself).
    Setting("GRADE_FREEZE_SNAPSHOT_INTERVAL_SECONDS", 3600),
    # .. setting_name: GRADE_FREEZE_SNAPSHOT_CHUNK_SIZE
    # .. setting_default: 1000
    # .. setting_description: Learners frozen by one celery task, in one transaction with one bulk read of
    #   stored grades, one of enrollments and one bulk insert. It bounds a worker's memory.
    Setting("GRADE_FREEZE_SNAPSHOT_CHUNK_SIZE", 1000),
    # .. setting_name: GRADE_FREEZE_SNAPSHOT_RETRY_BACKOFF_SECONDS
    # .. setting_default: 60
    # .. setting_description: First retry delay of a learner (or a chunk) that could not be frozen; it doubles
    #   with each attempt up to ``GRADE_FREEZE_SNAPSHOT_RETRY_BACKOFF_MAX_SECONDS``. Learners are never dropped.
    Setting("GRADE_FREEZE_SNAPSHOT_RETRY_BACKOFF_SECONDS", 60),
    # .. setting_name: GRADE_FREEZE_SNAPSHOT_RETRY_BACKOFF_MAX_SECONDS
    # .. setting_default: 3600
    # .. setting_description: The longest delay between two attempts to freeze a learner or a chunk.
    Setting("GRADE_FREEZE_SNAPSHOT_RETRY_BACKOFF_MAX_SECONDS", 3600),
    # .. setting_name: GRADE_FREEZE_SNAPSHOT_STALE_SECONDS
    # .. setting_default: 600
    # .. setting_description: A run with no progress for this long (its tasks lost, its worker killed) is
    #   resumed by the periodic task; a task that turns up late afterwards does nothing.
    Setting("GRADE_FREEZE_SNAPSHOT_STALE_SECONDS", 600),
    # Learner exceptions (docs/how-tos/grant_an_exception.rst).
    # .. setting_name: GRADE_FREEZE_EXCEPTION_DEFAULT_DAYS
    # .. setting_default: 7
    # .. setting_description: How many days a learner exception lasts when its request names no end: counted from
    #   its approval, or from the course's freeze date when the course is not frozen yet.
    Setting("GRADE_FREEZE_EXCEPTION_DEFAULT_DAYS", 7, tutor=True),
    # .. setting_name: GRADE_FREEZE_EXCEPTION_MAX_DAYS
    # .. setting_default: 30
    # .. setting_description: The longest window of a learner exception, in days (from now, or from the course's
    #   freeze date when it is later). A request or grant ending later is refused.
    Setting("GRADE_FREEZE_EXCEPTION_MAX_DAYS", 30, tutor=True),
    # .. setting_name: GRADE_FREEZE_EXCEPTIONS_CHECK_INTERVAL_SECONDS
    # .. setting_default: 300
    # .. setting_description: Interval of the ``grade-freeze-learner-exceptions`` entry added to the celery beat
    #   schedule: it closes the learner exceptions whose window ended and re-freezes each learner's grade into the
    #   course's snapshot (and so sends it to Credentials), including those closed early; it also re-takes the
    #   snapshot row of each learner whose own freeze date (a personalized due date) has passed. The veto needs no
    #   task: it compares each window and date with the clock on every decision. 0 or None adds no entry (then run
    #   ``openedx_grade_freeze.tasks.close_learner_exceptions`` from your own scheduler).
    Setting("GRADE_FREEZE_EXCEPTIONS_CHECK_INTERVAL_SECONDS", 300),
    # Course teams: the advance warning and the status page.
    # .. setting_name: GRADE_FREEZE_UPCOMING_WARNING_DAYS
    # .. setting_default: 7
    # .. setting_description: How many days before a course's freeze date the ``edx.grades.freeze.upcoming``
    #   tracking event is emitted (once per course and freeze date; again when the date moves).
    Setting("GRADE_FREEZE_UPCOMING_WARNING_DAYS", 7, tutor=True),
    # .. setting_name: GRADE_FREEZE_UPCOMING_CHECK_INTERVAL_SECONDS
    # .. setting_default: 3600
    # .. setting_description: Interval of the ``grade-freeze-upcoming-warning`` entry added to the celery beat
    #   schedule, which emits ``edx.grades.freeze.upcoming``. 0 or None leaves it off the schedule (run
    #   ``openedx_grade_freeze.tasks.announce_upcoming_freezes`` from your own scheduler then).
    Setting("GRADE_FREEZE_UPCOMING_CHECK_INTERVAL_SECONDS", 3600),
    # .. setting_name: GRADE_FREEZE_EXCEPTION_HELP_URL
    # .. setting_default: None
    # .. setting_description: Where course teams get help with the grade freeze (a support form or mailto: link),
    #   shown on the course's freeze status page beside the learner exception request. None shows the generic
    #   advice (contact the platform's support team).
    Setting("GRADE_FREEZE_EXCEPTION_HELP_URL", None, tutor=True),
)

BY_NAME = {setting.name: setting for setting in SETTINGS}


def default(name):
    """The default of the setting called ``name``."""
    return BY_NAME[name].default
