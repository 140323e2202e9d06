"""
A small host Django project that loads the plugin exactly as edx-platform's LMS and Studio do.
"""
