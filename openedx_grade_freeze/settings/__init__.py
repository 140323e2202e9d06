"""
Settings the plugin adds to the LMS and Studio through ``plugin_settings``.
"""
