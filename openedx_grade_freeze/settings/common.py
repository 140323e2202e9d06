"""
Default settings of the plugin, applied to the LMS and Studio by ``plugin_settings``, and the hooks it registers.

Every setting is defined and annotated in ``openedx_grade_freeze.setting_definitions``.
"""
import copy

from openedx_grade_freeze import tracking
from openedx_grade_freeze.setting_definitions import SETTINGS

FILTER_TYPE = "org.openedx.learning.grade.persistence.requested.v1"
PIPELINE_STEP = "openedx_grade_freeze.pipeline.PreventGradePersistenceAfterFreeze"


def plugin_settings(settings):
    """Give every plugin setting its default and register the veto step, keeping what the host already set."""
    # Toggles are left unset: their SettingToggle applies the default (setting_definitions has every setting).
    for setting in SETTINGS:
        if not setting.toggle and not hasattr(settings, setting.name):
            setattr(settings, setting.name, copy.deepcopy(setting.default))
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
EXCEPTIONS_TASK = "openedx_grade_freeze.tasks.close_learner_exceptions"
EXCEPTIONS_SCHEDULE_ENTRY = "grade-freeze-learner-exceptions"
# edx-platform configures celery from Django settings without a namespace, in celery's old setting names, so beat
# reads CELERYBEAT_SCHEDULE; a project configured with namespace="CELERY" reads CELERY_BEAT_SCHEDULE. Both get ours.
BEAT_SCHEDULE_SETTINGS = ("CELERYBEAT_SCHEDULE", "CELERY_BEAT_SCHEDULE")


def register_periodic_tasks(settings):
    """Put the plugin's periodic tasks on the celery beat schedule at their configured intervals (0 or None: none),
    keeping entries the operator wrote under the same names.

    It runs twice in the LMS and Studio: with the defaults (every plugin's common settings, at the end of their
    ``common.py``), then with the operator's values (production settings). The entries it wrote the first time are
    its own, recognised by their shape, and follow the second call's intervals.
    """
    entries = (
        (DRAIN_SCHEDULE_ENTRY, DRAIN_TASK, "GRADE_FREEZE_CREDENTIALS_DRAIN_INTERVAL_SECONDS"),
        (SCHEDULE_CHECK_ENTRY, SCHEDULE_CHECK_TASK, "GRADE_FREEZE_SCHEDULE_CHECK_INTERVAL_SECONDS"),
        (BLOCKED_FLUSH_ENTRY, BLOCKED_FLUSH_TASK, "GRADE_FREEZE_BLOCKED_FLUSH_INTERVAL_SECONDS"),
        (SNAPSHOT_SCHEDULE_ENTRY, SNAPSHOT_TASK, "GRADE_FREEZE_SNAPSHOT_INTERVAL_SECONDS"),
        (UPCOMING_SCHEDULE_ENTRY, UPCOMING_TASK, "GRADE_FREEZE_UPCOMING_CHECK_INTERVAL_SECONDS"),
        (EXCEPTIONS_SCHEDULE_ENTRY, EXCEPTIONS_TASK, "GRADE_FREEZE_EXCEPTIONS_CHECK_INTERVAL_SECONDS"),
    )
    for setting_name in BEAT_SCHEDULE_SETTINGS:
        schedule = dict(getattr(settings, setting_name, None) or {})
        for entry, task, interval_setting in entries:
            if entry in schedule and not _is_plugin_entry(schedule[entry], task):
                continue  # the operator's own entry (another task, a crontab, arguments or options): theirs
            interval = getattr(settings, interval_setting, None)
            if interval:
                schedule[entry] = {"task": task, "schedule": float(interval)}
            else:
                schedule.pop(entry, None)
        setattr(settings, setting_name, schedule)


def _is_plugin_entry(entry, task):
    """Whether a beat entry is one this function writes: the plugin's task every so many seconds, nothing else."""
    return (
        isinstance(entry, dict) and set(entry) == {"task", "schedule"} and entry["task"] == task
        and isinstance(entry["schedule"], (int, float)) and not isinstance(entry["schedule"], bool)
    )


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
