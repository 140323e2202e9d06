"""
Stand-in for ``openedx.core.djangoapps.site_configuration.helpers``.

Site configuration is an in-memory ``{org: {name: value}}`` dict; tests fill it with ``set_value_for_org``
(stand-in only). ``get_value`` answers for "the current site", which the stand-in models as ``CURRENT_SITE_VALUES``.
"""
from standin_support import register_reset

_VALUES_BY_ORG = {}
CURRENT_SITE_VALUES = {}


def set_value_for_org(org, val_name, value):
    """Stand-in only: set ``val_name`` in the site configuration of the site that owns ``org``."""
    _VALUES_BY_ORG.setdefault(org, {})[val_name] = value


def get_value_for_org(org, val_name, default=None):
    """Return ``val_name`` from the site configuration whose org filter holds ``org``, else ``default``."""
    if org in _VALUES_BY_ORG:
        return _VALUES_BY_ORG[org].get(val_name, default)
    return default


def get_value(val_name, default=None, **kwargs):  # pylint: disable=unused-argument
    """Return ``val_name`` from the current site's configuration, else ``default``."""
    return CURRENT_SITE_VALUES.get(val_name, default)


def get_all_orgs():
    """All orgs that some site configuration names."""
    return set(_VALUES_BY_ORG)


@register_reset
def reset():
    _VALUES_BY_ORG.clear()
    CURRENT_SITE_VALUES.clear()
