"""
Default settings of the plugin, applied to the LMS and Studio by ``plugin_settings``.
"""

FILTER_TYPE = "org.openedx.learning.grade.persistence.requested.v1"
PIPELINE_STEP = "openedx_grade_freeze.pipeline.PreventGradePersistenceAfterFreeze"


def plugin_settings(settings):
    """Give every plugin setting its default and register the veto step, keeping what the host already set."""
    defaults = {
        # .. setting_name: GRADE_FREEZE_OFFSET_DAYS
        # .. setting_default: 30
        # .. setting_description: Days after a course's end date at which its grades freeze, unless a course
        #   or org override, or the site's ``GRADE_FREEZE["OFFSET_DAYS"]``, says otherwise. A whole number from 0 to
        #   36500. Upstream's fixed rule is 30.
        "GRADE_FREEZE_OFFSET_DAYS": 30,
        # .. setting_name: GRADE_FREEZE_EXEMPT_SELF_PACED
        # .. setting_default: False
        # .. setting_description: When True, self-paced runs never freeze unless a course override gives them an
        #   explicit freeze date or forces the freeze on.
        "GRADE_FREEZE_EXEMPT_SELF_PACED": False,
        # .. setting_name: GRADE_FREEZE_FAIL_CLOSED
        # .. setting_default: False
        # .. setting_description: What the veto does when the policy cannot be evaluated (database down, corrupt
        #   override): False lets the grade write through and logs an error; True refuses the write.
        "GRADE_FREEZE_FAIL_CLOSED": False,
        # .. setting_name: GRADE_FREEZE_POLICY_CACHE_SECONDS
        # .. setting_default: 10
        # .. setting_description: How often, at most, a process checks the shared cache for schedule or override
        #   changes made by other processes. A change is seen at once in the process that made it, and within
        #   this many seconds everywhere else.
        "GRADE_FREEZE_POLICY_CACHE_SECONDS": 10,
        # .. setting_name: GRADE_FREEZE_POLICY_MAX_AGE_SECONDS
        # .. setting_default: 300
        # .. setting_description: How long a process keeps a course's resolved freeze settings before reading them
        #   again. Schedule and override changes are announced and seen sooner; this bounds how long a Site
        #   Configuration edit (which announces nothing) takes to apply.
        "GRADE_FREEZE_POLICY_MAX_AGE_SECONDS": 300,
        # .. setting_name: GRADE_FREEZE_BLOCKED_EVENT_INTERVAL_SECONDS
        # .. setting_default: 3600
        # .. setting_description: At most one ``edx.grades.freeze.update_blocked`` tracking event is emitted per
        #   course and source in this many seconds; it carries the number of updates blocked since the last one.
        "GRADE_FREEZE_BLOCKED_EVENT_INTERVAL_SECONDS": 3600,
        # Forwarding grades and certificate dates to Credentials (docs/how-tos/connect_to_credentials.rst).
        # GRADE_FREEZE_CREDENTIALS_ENABLED, GRADE_FREEZE_CREDENTIALS_MIRROR_UPSTREAM_CONDITIONS and
        # GRADE_FREEZE_CREDENTIALS_REPLACE_UPSTREAM_SENDER are toggles (toggles.py).
        # .. setting_name: GRADE_FREEZE_CREDENTIALS_URL
        # .. setting_default: None
        # .. setting_description: Base URL of the Credentials service's internal API, e.g.
        #   ``http://credentials.internal:8150``. None falls back to the platform's own Credentials URL (inside the
        #   LMS) and then to ``CREDENTIALS_INTERNAL_SERVICE_URL``.
        "GRADE_FREEZE_CREDENTIALS_URL": None,
        # .. setting_name: GRADE_FREEZE_CREDENTIALS_OAUTH_URL
        # .. setting_default: None
        # .. setting_description: Root URL of the LMS that issues OAuth2 tokens (``/oauth2/access_token`` is
        #   appended). With the client id and secret it selects client-credentials authentication; without them
        #   the plugin uses the LMS's own JWT for ``CREDENTIALS_SERVICE_USERNAME``.
        "GRADE_FREEZE_CREDENTIALS_OAUTH_URL": None,
        # .. setting_name: GRADE_FREEZE_CREDENTIALS_CLIENT_ID
        # .. setting_default: None
        # .. setting_description: OAuth2 client id of an LMS application (client credentials) whose user is staff
        #   in Credentials.
        "GRADE_FREEZE_CREDENTIALS_CLIENT_ID": None,
        # .. setting_name: GRADE_FREEZE_CREDENTIALS_CLIENT_SECRET
        # .. setting_default: None
        # .. setting_description: OAuth2 client secret of that application; set it from ``AUTH_TOKENS``, never in code.
        "GRADE_FREEZE_CREDENTIALS_CLIENT_SECRET": None,
        # .. setting_name: GRADE_FREEZE_CREDENTIALS_TIMEOUT
        # .. setting_default: (3.05, 10.0)
        # .. setting_description: (connect, read) timeouts in seconds of every request to Credentials.
        "GRADE_FREEZE_CREDENTIALS_TIMEOUT": (3.05, 10.0),
        # .. setting_name: GRADE_FREEZE_CREDENTIALS_MAX_ATTEMPTS
        # .. setting_default: 10
        # .. setting_description: Attempts of one delivery before it is marked ``failed``; failed deliveries are
        #   tried again every ``GRADE_FREEZE_CREDENTIALS_FAILED_RETRY_SECONDS`` by the periodic drain.
        "GRADE_FREEZE_CREDENTIALS_MAX_ATTEMPTS": 10,
        # .. setting_name: GRADE_FREEZE_CREDENTIALS_RETRY_BACKOFF_SECONDS
        # .. setting_default: 30
        # .. setting_description: First retry delay; it doubles with each attempt (with jitter) up to
        #   ``GRADE_FREEZE_CREDENTIALS_RETRY_BACKOFF_MAX_SECONDS``. A longer ``Retry-After`` wins.
        "GRADE_FREEZE_CREDENTIALS_RETRY_BACKOFF_SECONDS": 30,
        # .. setting_name: GRADE_FREEZE_CREDENTIALS_RETRY_BACKOFF_MAX_SECONDS
        # .. setting_default: 600
        # .. setting_description: The longest delay between two attempts of one delivery.
        "GRADE_FREEZE_CREDENTIALS_RETRY_BACKOFF_MAX_SECONDS": 600,
        # .. setting_name: GRADE_FREEZE_CREDENTIALS_FAILED_RETRY_SECONDS
        # .. setting_default: 3600
        # .. setting_description: How long a ``failed`` delivery waits before the periodic drain tries it again.
        "GRADE_FREEZE_CREDENTIALS_FAILED_RETRY_SECONDS": 3600,
        # .. setting_name: GRADE_FREEZE_CREDENTIALS_LEASE_SECONDS
        # .. setting_default: 300
        # .. setting_description: How long a worker holds a delivery while sending it. A worker killed mid-send
        #   leaves the delivery to another worker after this time; keep it well above the request timeouts.
        "GRADE_FREEZE_CREDENTIALS_LEASE_SECONDS": 300,
        # .. setting_name: GRADE_FREEZE_CREDENTIALS_DRAIN_INTERVAL_SECONDS
        # .. setting_default: 300
        # .. setting_description: Interval of the ``grade-freeze-credentials-drain`` entry added to
        #   ``CELERY_BEAT_SCHEDULE`` (re-sends pending deliveries whose task was lost and due failed ones).
        #   0 or None adds no entry.
        "GRADE_FREEZE_CREDENTIALS_DRAIN_INTERVAL_SECONDS": 300,
        # .. setting_name: GRADE_FREEZE_CREDENTIALS_DRAIN_BATCH_SIZE
        # .. setting_default: 500
        # .. setting_description: The most deliveries one run of the periodic drain sends.
        "GRADE_FREEZE_CREDENTIALS_DRAIN_BATCH_SIZE": 500,
        # .. setting_name: GRADE_FREEZE_CREDENTIALS_DRAIN_THREADS
        # .. setting_default: 4
        # .. setting_description: How many deliveries one drain sends at once. Each is one learner's grade in one
        #   run, leased by one sender, so a learner's grades still go in order. 1 sends one after the other.
        "GRADE_FREEZE_CREDENTIALS_DRAIN_THREADS": 4,
        # .. setting_name: GRADE_FREEZE_CREDENTIALS_UNKNOWN_RUN_RETRY_SECONDS
        # .. setting_default: 3600
        # .. setting_description: How often a grade for a course run Credentials' catalog does not know yet ("No
        #   CourseRun exists for key") is tried again. Such a delivery shows as waiting for the catalog.
        "GRADE_FREEZE_CREDENTIALS_UNKNOWN_RUN_RETRY_SECONDS": 3600,
        # .. setting_name: GRADE_FREEZE_CREDENTIALS_UNKNOWN_RUN_MAX_WAIT_SECONDS
        # .. setting_default: 604800
        # .. setting_description: How long (default 7 days) a delivery waits for Credentials' catalog to learn its
        #   course run before it is marked ``failed`` with an error that says so.
        "GRADE_FREEZE_CREDENTIALS_UNKNOWN_RUN_MAX_WAIT_SECONDS": 7 * 24 * 3600,
        # .. setting_name: GRADE_FREEZE_CREDENTIALS_PAUSE_PROBE_SECONDS
        # .. setting_default: 300
        # .. setting_description: While a Credentials URL is paused (it answered a redirect, 401 after a new token,
        #   403 or 404), one delivery is tried there this often; its success resumes every paused delivery. An
        #   ERROR is logged once per probe.
        "GRADE_FREEZE_CREDENTIALS_PAUSE_PROBE_SECONDS": 300,
        # .. setting_name: GRADE_FREEZE_CREDENTIALS_CERTIFICATES_AVAILABLE_AT_END
        # .. setting_default: False
        # .. setting_description: Whether certificates become available at course end, so a new end date is sent
        #   to Credentials as the certificate available date: True, False, or a list of orgs and course keys. The
        #   site's ``GRADE_FREEZE["CERTIFICATES_AVAILABLE_AT_END"]`` (same forms) takes precedence. Self-paced runs
        #   are never sent a date.
        "GRADE_FREEZE_CREDENTIALS_CERTIFICATES_AVAILABLE_AT_END": False,
        # .. setting_name: GRADE_FREEZE_CREDENTIALS_CERTIFICATE_TYPES
        # .. setting_default: ["verified"]
        # .. setting_description: The Credentials certificate types whose available date is sent on an end-date
        #   change. The site's ``GRADE_FREEZE["CERTIFICATE_TYPES"]`` takes precedence.
        "GRADE_FREEZE_CREDENTIALS_CERTIFICATE_TYPES": ["verified"],
    }
    for name, value in defaults.items():
        if not hasattr(settings, name):
            setattr(settings, name, value)
    # GRADE_FREEZE_ENABLED and GRADE_FREEZE_PLATFORM_ADAPTER_ENABLED are toggles: see openedx_grade_freeze/toggles.py.
    register_filter_step(settings)
    register_drain_schedule(settings)


DRAIN_TASK = "openedx_grade_freeze.tasks.drain_credentials_deliveries"
DRAIN_SCHEDULE_ENTRY = "grade-freeze-credentials-drain"


def register_drain_schedule(settings):
    """Add the periodic outbox drain to ``CELERY_BEAT_SCHEDULE``, keeping an entry the operator already wrote."""
    interval = getattr(settings, "GRADE_FREEZE_CREDENTIALS_DRAIN_INTERVAL_SECONDS", None)
    if not interval:
        return
    schedule = dict(getattr(settings, "CELERY_BEAT_SCHEDULE", None) or {})
    schedule.setdefault(DRAIN_SCHEDULE_ENTRY, {"task": DRAIN_TASK, "schedule": float(interval)})
    settings.CELERY_BEAT_SCHEDULE = schedule


def register_filter_step(settings):
    """Add the veto step to ``OPEN_EDX_FILTERS_CONFIG`` for our filter type, keeping every other entry."""
    filters_config = getattr(settings, "OPEN_EDX_FILTERS_CONFIG", None)
    filters_config = dict(filters_config or {})
    entry = dict(filters_config.get(FILTER_TYPE) or {})
    pipeline = entry.get("pipeline") or []
    if isinstance(pipeline, str):
        pipeline = [pipeline]
    pipeline = list(pipeline)
    if PIPELINE_STEP not in pipeline:
        pipeline.append(PIPELINE_STEP)
    entry["pipeline"] = pipeline
    # The veto must reach the caller: a silently failing pipeline would let frozen grades change.
    entry.setdefault("fail_silently", False)
    filters_config[FILTER_TYPE] = entry
    settings.OPEN_EDX_FILTERS_CONFIG = filters_config
