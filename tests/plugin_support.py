"""
Looking at the plugin as the host loaded it: the checkout it runs from and the receivers connected to a signal.
"""
import os

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def receivers_of(signal):
    """The receiver functions connected to a signal (openedx-events' sync and async groups flattened)."""
    live = signal._live_receivers(None)  # pylint: disable=protected-access
    return [receiver for group in live for receiver in (group if isinstance(group, list) else [group])]
