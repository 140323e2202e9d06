"""
Stand-in for ``edx_rest_framework_extensions.errors`` (``register_error_type`` only): records each exception class's
problem type and title in ``ERROR_TYPES``.
"""
ERROR_TYPES = {}


def register_error_type(exception_class, type_slug, title):
    """Register the problem-details ``type`` and ``title`` of an API exception class."""
    ERROR_TYPES[exception_class] = (type_slug, title)
    return exception_class
