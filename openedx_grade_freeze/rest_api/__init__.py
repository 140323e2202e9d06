"""
The plugin's REST API (``/api/grade_freeze/v1/`` in the LMS and Studio), authenticated as edx-platform's own APIs.
"""
