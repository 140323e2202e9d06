"""
Stand-in for ``openedx.core.djangoapps.external_user_ids.models`` (in memory): the ids sent outside Open edX.

event-routing-backends names xAPI actors by ``ExternalId.add_new_user_id(user, ExternalIdType.XAPI)``: one random
UUID per user and type, created on first use and the same afterwards; an unknown type gives ``(None, False)``.
"""
import uuid

from standin_support import register_reset


class ExternalIdType:
    """The id types upstream's migrations create (``name`` is the type)."""

    CALIPER = 'caliper'
    XAPI = 'xapi'
    LTI = 'lti'

    known = {CALIPER, XAPI, LTI}


class ExternalId:
    """One user's external id of one type."""

    _store = {}

    def __init__(self, user, type_name):
        self.user = user
        self.external_id_type = type_name
        self.external_user_id = uuid.uuid4()

    @classmethod
    def add_new_user_id(cls, user, type_name):
        """Return ``(external_id, created)``; ``(None, False)`` when the type does not exist (as upstream)."""
        if type_name not in ExternalIdType.known:
            return None, False
        key = (user.id, type_name)
        created = key not in cls._store
        if created:
            cls._store[key] = cls(user, type_name)
        return cls._store[key], created

    @classmethod
    def user_has_external_id(cls, user, type_name):
        return (user.id, type_name) in cls._store

    @classmethod
    def reset(cls):
        cls._store.clear()


register_reset(ExternalId.reset)
