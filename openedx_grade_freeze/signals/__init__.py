"""
Receivers of openedx-events, connected through the plugin's ``signals_config``.
"""
