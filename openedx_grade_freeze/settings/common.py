"""
Default settings of the plugin, applied to the LMS and Studio by ``plugin_settings``.
"""
from openedx_grade_freeze import tracking

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
        # .. setting_name: GRADE_FREEZE_ON_ERROR
        # .. setting_default: "platform-rule"
        # .. setting_description: What decides a course's freeze when the plugin's policy cannot be evaluated (a
        #   broken override or setting, a read that fails): ``"platform-rule"`` applies edx-platform's own rule
        #   (frozen ``GRADEBOOK_FREEZE_DAYS``, else 30, days after the course end from the stored schedule or
        #   ``CourseOverview``); ``"open"`` lets grades change; ``"closed"`` refuses every grade change. The error
        #   is logged once per course and interval and shown by the freeze-state endpoint. Any other value is
        #   logged and read as ``"platform-rule"``.
        "GRADE_FREEZE_ON_ERROR": "platform-rule",
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
        # .. setting_name: GRADE_FREEZE_POLICY_CACHE_MAX_COURSES
        # .. setting_default: 20000
        # .. setting_description: The most courses whose resolved freeze settings one process keeps in memory
        #   (about 0.6 KiB each); the least recently checked course is dropped first and read again when needed.
        "GRADE_FREEZE_POLICY_CACHE_MAX_COURSES": 20000,
        # .. setting_name: GRADE_FREEZE_EVENT_TIME_SKEW_SECONDS
        # .. setting_default: 300
        # .. setting_description: How far in the future a schedule event's time may lie (Studio's clock running
        #   fast) and still be trusted to order publishes. A later time is not trusted: the schedule is stored,
        #   ordered by the time it was received, and a warning names the event.
        "GRADE_FREEZE_EVENT_TIME_SKEW_SECONDS": 300,
        # .. setting_name: GRADE_FREEZE_SCHEDULE_CHECK_INTERVAL_SECONDS
        # .. setting_default: 3600
        # .. setting_description: Interval of the ``grade-freeze-check-course-schedules`` entry added to the
        #   celery beat schedule: it compares the ``CourseOverview`` rows changed since its last run with the
        #   stored schedules, records courses seen for the first time and every end-date change (also when Studio
        #   sends no publish event). 0 or None adds no entry.
        "GRADE_FREEZE_SCHEDULE_CHECK_INTERVAL_SECONDS": 3600,
        # .. setting_name: GRADE_FREEZE_BLOCKED_FLUSH_INTERVAL_SECONDS
        # .. setting_default: 60
        # .. setting_description: Interval of the ``grade-freeze-flush-blocked-counts`` entry added to the celery
        #   beat schedule: it reports refused updates still counted in the cache once their course's interval is
        #   over, so no count waits for another refusal. 0 or None adds no entry.
        "GRADE_FREEZE_BLOCKED_FLUSH_INTERVAL_SECONDS": 60,
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
        # Final-grade snapshots (docs/concepts/what_is_frozen.rst).
        # .. setting_name: GRADE_FREEZE_SNAPSHOT_INTERVAL_SECONDS
        # .. setting_default: 3600
        # .. setting_description: Interval of the ``grade-freeze-snapshots`` entry added to the celery beat schedule,
        #   which freezes the final grades of every course past its freeze date without a snapshot, marks
        #   snapshots superseded and resumes unfinished runs. 0 or None adds no entry.
        "GRADE_FREEZE_SNAPSHOT_INTERVAL_SECONDS": 3600,
        # .. setting_name: GRADE_FREEZE_SNAPSHOT_CHUNK_SIZE
        # .. setting_default: 1000
        # .. setting_description: Learners frozen by one celery task, in one transaction with one bulk read of
        #   stored grades, one of enrollments and one bulk insert. It bounds a worker's memory.
        "GRADE_FREEZE_SNAPSHOT_CHUNK_SIZE": 1000,
        # .. setting_name: GRADE_FREEZE_SNAPSHOT_RETRY_BACKOFF_SECONDS
        # .. setting_default: 60
        # .. setting_description: First retry delay of a learner (or a chunk) that could not be frozen; it doubles
        #   with each attempt up to ``GRADE_FREEZE_SNAPSHOT_RETRY_BACKOFF_MAX_SECONDS``. Learners are never dropped.
        "GRADE_FREEZE_SNAPSHOT_RETRY_BACKOFF_SECONDS": 60,
        # .. setting_name: GRADE_FREEZE_SNAPSHOT_RETRY_BACKOFF_MAX_SECONDS
        # .. setting_default: 3600
        # .. setting_description: The longest delay between two attempts to freeze a learner or a chunk.
        "GRADE_FREEZE_SNAPSHOT_RETRY_BACKOFF_MAX_SECONDS": 3600,
        # .. setting_name: GRADE_FREEZE_SNAPSHOT_STALE_SECONDS
        # .. setting_default: 600
        # .. setting_description: A run with no progress for this long (its tasks lost, its worker killed) is
        #   resumed by the periodic task; a task that turns up late afterwards does nothing.
        "GRADE_FREEZE_SNAPSHOT_STALE_SECONDS": 600,
        # .. setting_name: GRADE_FREEZE_UPCOMING_WARNING_DAYS
        # .. setting_default: 7
        # .. setting_description: How many days before a course's freeze date the ``edx.grades.freeze.upcoming``
        #   tracking event is emitted (once per course and freeze date; again when the date moves).
        "GRADE_FREEZE_UPCOMING_WARNING_DAYS": 7,
        # .. setting_name: GRADE_FREEZE_UPCOMING_CHECK_INTERVAL_SECONDS
        # .. setting_default: 3600
        # .. setting_description: Interval of the ``grade-freeze-upcoming-warning`` entry added to
        #   the celery beat schedule, which emits ``edx.grades.freeze.upcoming``. 0 or None adds no entry.
        "GRADE_FREEZE_UPCOMING_CHECK_INTERVAL_SECONDS": 3600,
        # .. setting_name: GRADE_FREEZE_EXCEPTION_HELP_URL
        # .. setting_default: None
        # .. setting_description: Where course teams ask for a freeze exception (a support form or mailto: link),
        #   shown on the course's freeze status page. None shows the generic advice (contact the platform's
        #   support team).
        "GRADE_FREEZE_EXCEPTION_HELP_URL": None,
    }
    for name, value in defaults.items():
        if not hasattr(settings, name):
            setattr(settings, name, value)
    # GRADE_FREEZE_ENABLED and GRADE_FREEZE_PLATFORM_ADAPTER_ENABLED are toggles: see openedx_grade_freeze/toggles.py.
    register_filter_step(settings)
    register_dashboard_step(settings)
    register_periodic_tasks(settings)
    allow_xapi_events(settings)


# event-routing-backends' allow-list setting, and the backend its plugin_settings builds from it.
XAPI_ALLOWED_EVENTS = "EVENT_TRACKING_BACKENDS_ALLOWED_XAPI_EVENTS"
ERB_BACKEND = "event_transformer"
WHITELIST_PROCESSOR = "eventtracking.processors.whitelist.NameWhitelistProcessor"


def allow_xapi_events(settings):
    """Add the plugin's event names to event-routing-backends' xAPI allow-list, keeping every name already there.

    ERB's own ``plugin_settings`` appends its names to ``EVENT_TRACKING_BACKENDS_ALLOWED_XAPI_EVENTS`` when the
    setting exists and builds its ``event_transformer`` backend from it. Plugins' settings run in no fixed order:
    when ERB's ran first, its backend holds the same list (extended here in place) and a copy in its outer
    whitelist, which gets the names too. Harmless without ERB: the setting is read by nothing else.
    """
    allowed = getattr(settings, XAPI_ALLOWED_EVENTS, None)
    if allowed is None:
        allowed = []
    elif not isinstance(allowed, list):  # an operator's tuple or set: keep its names, make it extendable
        allowed = list(allowed)
    _add_names(allowed)
    setattr(settings, XAPI_ALLOWED_EVENTS, allowed)
    backends = getattr(settings, "EVENT_TRACKING_BACKENDS", None) or {}
    options = (backends.get(ERB_BACKEND) or {}).get("OPTIONS") or {}
    xapi_options = ((options.get("backends") or {}).get("xapi") or {}).get("OPTIONS") or {}
    for processor in [*(options.get("processors") or []), *(xapi_options.get("processors") or [])]:
        if processor.get("ENGINE") == WHITELIST_PROCESSOR:
            _add_names((processor.get("OPTIONS") or {}).get("whitelist"))
    bus_events = getattr(settings, "EVENT_BUS_TRACKING_LOGS", None)
    if isinstance(bus_events, set):  # ERB offers every event it transforms to the event bus as well
        bus_events.update(tracking.EVENT_NAMES)


def _add_names(names):
    if isinstance(names, set):
        names.update(tracking.EVENT_NAMES)
    elif isinstance(names, list):
        names.extend(name for name in tracking.EVENT_NAMES if name not in names)


SNAPSHOT_TASK = "openedx_grade_freeze.tasks.freeze_due_courses"
SNAPSHOT_SCHEDULE_ENTRY = "grade-freeze-snapshots"
DRAIN_TASK = "openedx_grade_freeze.tasks.drain_credentials_deliveries"
DRAIN_SCHEDULE_ENTRY = "grade-freeze-credentials-drain"
SCHEDULE_CHECK_TASK = "openedx_grade_freeze.tasks.check_course_schedules"
SCHEDULE_CHECK_ENTRY = "grade-freeze-check-course-schedules"
BLOCKED_FLUSH_TASK = "openedx_grade_freeze.tasks.flush_blocked_counts"
BLOCKED_FLUSH_ENTRY = "grade-freeze-flush-blocked-counts"
UPCOMING_TASK = "openedx_grade_freeze.tasks.announce_upcoming_freezes"
UPCOMING_SCHEDULE_ENTRY = "grade-freeze-upcoming-warning"
# edx-platform configures celery from Django settings without a namespace, in celery's old setting names, so beat
# reads CELERYBEAT_SCHEDULE; a project configured with namespace="CELERY" reads CELERY_BEAT_SCHEDULE. Both get ours.
BEAT_SCHEDULE_SETTINGS = ("CELERYBEAT_SCHEDULE", "CELERY_BEAT_SCHEDULE")


def register_periodic_tasks(settings):
    """Add the plugin's periodic tasks to the celery beat schedule, keeping entries the operator already wrote."""
    entries = (
        (DRAIN_SCHEDULE_ENTRY, DRAIN_TASK, "GRADE_FREEZE_CREDENTIALS_DRAIN_INTERVAL_SECONDS"),
        (SCHEDULE_CHECK_ENTRY, SCHEDULE_CHECK_TASK, "GRADE_FREEZE_SCHEDULE_CHECK_INTERVAL_SECONDS"),
        (BLOCKED_FLUSH_ENTRY, BLOCKED_FLUSH_TASK, "GRADE_FREEZE_BLOCKED_FLUSH_INTERVAL_SECONDS"),
        (SNAPSHOT_SCHEDULE_ENTRY, SNAPSHOT_TASK, "GRADE_FREEZE_SNAPSHOT_INTERVAL_SECONDS"),
        (UPCOMING_SCHEDULE_ENTRY, UPCOMING_TASK, "GRADE_FREEZE_UPCOMING_CHECK_INTERVAL_SECONDS"),
    )
    for setting_name in BEAT_SCHEDULE_SETTINGS:
        schedule = dict(getattr(settings, setting_name, None) or {})
        for entry, task, interval_setting in entries:
            interval = getattr(settings, interval_setting, None)
            if interval:
                schedule.setdefault(entry, {"task": task, "schedule": float(interval)})
        setattr(settings, setting_name, schedule)


DASHBOARD_FILTER_TYPE = "org.openedx.learning.instructor.dashboard.render.started.v1"
DASHBOARD_STEP = "openedx_grade_freeze.dashboard.AddGradeFreezeSection"


def register_dashboard_step(settings):
    """Add the "Grade freeze" section step to the instructor dashboard's pipeline, keeping other plugins' steps."""
    # The step only adds information: unlike the veto, the dashboard keeps its default fail_silently (True).
    _append_step(settings, DASHBOARD_FILTER_TYPE, DASHBOARD_STEP)


def _append_step(settings, filter_type, step, **defaults):
    """Append ``step`` to the pipeline of ``filter_type`` in ``OPEN_EDX_FILTERS_CONFIG``, keeping every entry."""
    filters_config = dict(getattr(settings, "OPEN_EDX_FILTERS_CONFIG", None) or {})
    entry = dict(filters_config.get(filter_type) or {})
    pipeline = entry.get("pipeline") or []
    if isinstance(pipeline, str):
        pipeline = [pipeline]
    pipeline = list(pipeline)
    if step not in pipeline:
        pipeline.append(step)
    entry["pipeline"] = pipeline
    for name, value in defaults.items():
        entry.setdefault(name, value)
    filters_config[filter_type] = entry
    settings.OPEN_EDX_FILTERS_CONFIG = filters_config


def register_filter_step(settings):
    """Add the veto step to ``OPEN_EDX_FILTERS_CONFIG`` for our filter type, keeping every other entry."""
    # The veto must reach the caller: a silently failing pipeline would let frozen grades change.
    _append_step(settings, FILTER_TYPE, PIPELINE_STEP, fail_silently=False)
