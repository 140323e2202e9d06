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
        #   or org override, or the site's ``GRADE_FREEZE["OFFSET_DAYS"]``, says otherwise. Upstream's fixed rule is 30.
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
        # .. setting_name: GRADE_FREEZE_BLOCKED_EVENT_INTERVAL_SECONDS
        # .. setting_default: 3600
        # .. setting_description: At most one ``edx.grades.freeze.update_blocked`` tracking event is emitted per
        #   course and source in this many seconds; it carries the number of updates blocked since the last one.
        "GRADE_FREEZE_BLOCKED_EVENT_INTERVAL_SECONDS": 3600,
    }
    for name, value in defaults.items():
        if not hasattr(settings, name):
            setattr(settings, name, value)
    # GRADE_FREEZE_ENABLED and GRADE_FREEZE_PLATFORM_ADAPTER_ENABLED are toggles: see openedx_grade_freeze/toggles.py.
    register_filter_step(settings)


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
