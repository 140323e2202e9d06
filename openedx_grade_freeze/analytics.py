"""
xAPI statements for the plugin's tracking events, for event-routing-backends (ERB); imported only when it is installed.

Each event is one ``Statement`` entry in ``STATEMENTS``; ``register()`` gives each a transformer in ERB's xAPI
registry. The object is the course (or the org of an org override), the actor the person the event is about, or
the plugin itself when there is none (ADR 0016). Free text (reasons) and raw user ids never leave the LMS.
"""
import logging
from dataclasses import dataclass

from django.conf import settings
from event_routing_backends.helpers import get_course_from_id, get_uuid5
from event_routing_backends.processors.xapi import constants
from event_routing_backends.processors.xapi.registry import XApiTransformersRegistry
from event_routing_backends.processors.xapi.transformer import XApiTransformer
from tincan import (
    Activity,
    ActivityDefinition,
    ActivityList,
    Agent,
    ContextActivities,
    Extensions,
    LanguageMap,
    Result,
    Verb,
)

from openedx_grade_freeze import tracking

log = logging.getLogger(__name__)

# Our own extension IRIs (ERB's ``https://w3id.org/xapi/openedx/`` namespace is not ours to add to).
EXTENSION_BASE = "https://github.com/openedx/openedx-grade-freeze/xapi/extensions/"
# The actor of statements no person caused: an account on the LMS, never mistaken for a learner's external id.
SYSTEM_ACCOUNT_NAME = "openedx-grade-freeze"
SYSTEM_DISPLAY_NAME = "Open edX grade freeze"

EDITED = Verb(id=constants.XAPI_VERB_EDITED, display=LanguageMap({constants.EN: constants.EDITED}))
ATTEMPTED = Verb(id=constants.XAPI_VERB_ATTEMPTED, display=LanguageMap({constants.EN: constants.ATTEMPTED}))
EARNED = Verb(id=constants.XAPI_VERB_EARNED, display=LanguageMap({constants.EN: constants.EARNED}))
# Activity Streams 1.0 verbs (in the xAPI vocabulary registry) for what happens to a course's grades as a whole.
CLOSED = Verb(id="http://activitystrea.ms/schema/1.0/close", display=LanguageMap({constants.EN: "closed"}))
OPENED = Verb(id="http://activitystrea.ms/schema/1.0/open", display=LanguageMap({constants.EN: "opened"}))
SCHEDULED = Verb(id="http://activitystrea.ms/schema/1.0/schedule", display=LanguageMap({constants.EN: "scheduled"}))
# An exception for one learner: requested for them, approved, closed (Activity Streams 1.0 verbs too).
REQUESTED = Verb(id="http://activitystrea.ms/schema/1.0/request", display=LanguageMap({constants.EN: "requested"}))
APPROVED = Verb(id="http://activitystrea.ms/schema/1.0/approve", display=LanguageMap({constants.EN: "approved"}))


def extension_iri(field):
    """The extension IRI that carries the event's ``field``."""
    return EXTENSION_BASE + field.replace("_", "-")


def _without_reason(values):
    """An override's values without its free-text reason."""
    if not isinstance(values, dict):
        return values
    return {key: value for key, value in values.items() if key != "reason"}


def _refused(data):  # pylint: disable=unused-argument
    return Result(success=False)


def _frozen_grade(data):
    """The re-taken grade as ERB states a course grade: a 0–1 score and the letter grade (``Fail`` when none)."""
    after = data.get("after") or {}
    percent = after.get("percent_grade") or 0.0
    return Result(
        score={"min": 0.0, "max": 1.0, "raw": percent, "scaled": percent},
        success=bool(after.get("passed")),
        extensions=Extensions({constants.XAPI_ACTIVITY_GRADE_CLASSIFICATION: after.get("letter_grade") or "Fail"}),
    )


@dataclass(frozen=True)
class Statement:
    """
    How one tracking event becomes an xAPI statement.

    ``actor`` names the data field holding the id of the user the statement is about (None: the plugin is the
    actor); ``extensions`` the data fields carried as context extensions, each a name or ``(name, convert)``;
    ``result`` builds the statement's result from the event data; ``scoped`` says the object is given by the
    data's ``scope``/``key`` (a course or an org) instead of ``course_id``.
    """

    event_name: str
    verb: Verb
    actor: str = None
    extensions: tuple = ()
    result: object = None
    scoped: bool = False


STATEMENTS = (
    Statement(tracking.COURSE_END_CHANGED, EDITED, extensions=(
        "previous_end", "new_end", "previous_freeze_date", "new_freeze_date", "pacing")),
    Statement(tracking.CONFIG_CHANGED, EDITED, actor="changed_by_user_id", scoped=True, extensions=(
        "scope", "action", ("before", _without_reason), ("after", _without_reason))),
    Statement(tracking.UPDATE_BLOCKED, ATTEMPTED, actor="user_id", result=_refused, extensions=(
        "source", "freeze_date", "blocked_count")),
    Statement(tracking.COURSE_FROZEN, CLOSED, extensions=(
        "freeze_date", "learners", "frozen", "no_grade", "skipped", "trigger")),
    Statement(tracking.UNFROZEN, OPENED, actor="user_id", extensions=("learners",)),
    Statement(tracking.LEARNER_REFROZEN, EARNED, actor="user_id", result=_frozen_grade),
    Statement(tracking.FREEZE_UPCOMING, SCHEDULED, extensions=(
        "freeze_date", "previous_freeze_date", "days_until_freeze", "course_end", "source")),
    # A learner exception's statements are about the learner whose grades it opens (not the staff who acted).
    Statement(tracking.EXCEPTION_REQUESTED, REQUESTED, actor="user_id", extensions=("exception_id", "closes_at")),
    Statement(tracking.EXCEPTION_APPROVED, APPROVED, actor="user_id", extensions=(
        "exception_id", "approval", "opens_at", "closes_at")),
    Statement(tracking.EXCEPTION_CLOSED, CLOSED, actor="user_id", extensions=("exception_id", "how", "closes_at")),
)


class FreezeEventTransformer(XApiTransformer):
    """
    The xAPI transformer of one of the plugin's events; ``statement`` says how (set per event by ``register``).
    """

    statement = None
    additional_fields = ("result",)

    def extract_username_or_userid(self):
        """Only the event's own field names the actor: the requesting user in the context is not the subject."""
        if self.statement.actor is None:
            return None
        return self.get_data(f"data.{self.statement.actor}")

    def get_actor(self):
        """The user the event is about, as ERB identifies learners; the plugin's own account when there is none."""
        if self.extract_username_or_userid() is None:
            return Agent(
                name=SYSTEM_DISPLAY_NAME, account={"homePage": settings.LMS_ROOT_URL, "name": SYSTEM_ACCOUNT_NAME},
            )
        return super().get_actor()

    def get_event_id(self):
        """Stable on re-processing, like ERB's; includes the object, as the plugin's account acts on many courses."""
        name = f"{self.get_actor().to_json()}-{self.get_timestamp()}-{self._object_key()}"
        return get_uuid5(self.get_verb().to_json(), name)

    def _object_key(self):
        if self.statement.scoped:
            return f"{self.get_data('data.scope', True)}:{self.get_data('data.key', True)}"
        return self.get_data("data.course_id", True)

    def _course_id(self):
        if self.statement.scoped:
            return self.get_data("data.key", True) if self.get_data("data.scope") == "course" else None
        return self.get_data("data.course_id", True)

    def _course_activity(self, course_id, language):
        try:
            display_name = get_course_from_id(course_id).get("display_name")
        except ValueError:  # no course overview (a deleted course): the statement goes without a name
            display_name = None
        return Activity(
            id=self.get_object_iri("course", course_id),
            definition=ActivityDefinition(
                type=constants.XAPI_ACTIVITY_COURSE,
                name=LanguageMap({language: display_name}) if display_name else None,
            ),
        )

    def get_object(self):
        course_id = self._course_id()
        if course_id is not None:
            return self._course_activity(course_id, constants.EN)
        org = self.get_data("data.key", True)
        return Activity(id=self.get_object_iri("org", org), definition=ActivityDefinition(
            name=LanguageMap({constants.EN: org}),
        ))

    def get_context_activities(self):
        course_id = self._course_id()
        if course_id is None:
            return None
        return ContextActivities(parent=ActivityList([self._course_activity(course_id, constants.EN_US)]))

    def get_context_extensions(self):
        extensions = super().get_context_extensions()
        data = self.get_data("data") or {}
        for entry in self.statement.extensions:
            field, convert = entry if isinstance(entry, tuple) else (entry, None)
            if data.get(field) is not None:
                extensions[extension_iri(field)] = convert(data[field]) if convert else data[field]
        return extensions

    def get_result(self):
        if self.statement.result is None:
            return None
        return self.statement.result(self.get_data("data") or {})


def register():
    """Give each statement a transformer in ERB's xAPI registry (again: replaced, so calling twice is harmless)."""
    for statement in STATEMENTS:
        name = "".join(part.title() for part in statement.event_name.rsplit(".", 1)[-1].split("_")) + "Transformer"
        attributes = {"statement": statement, "_verb": statement.verb, "__module__": __name__}
        transformer = type(name, (FreezeEventTransformer,), attributes)
        XApiTransformersRegistry.register(statement.event_name)(transformer)
    log.info("openedx-grade-freeze: xAPI transformers registered with event-routing-backends for %s.",
             ", ".join(s.event_name for s in STATEMENTS))
