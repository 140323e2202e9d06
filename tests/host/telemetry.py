"""
A monitoring backend for the host project that keeps the custom attributes it is given, so tests can read them.
"""
import contextlib

from edx_django_utils.monitoring.internal.backends import TelemetryBackend

ATTRIBUTES = []


class RecordingBackend(TelemetryBackend):
    """Records ``set_custom_attribute`` calls in ``ATTRIBUTES`` (an APM agent would put them on the span)."""

    def set_attribute(self, key, value):
        ATTRIBUTES.append((key, value))

    def record_exception(self):
        ATTRIBUTES.append(("exception", True))

    def create_span(self, name, operation_name=None):
        return contextlib.nullcontext()

    def tag_root_span_with_error(self, exception):
        ATTRIBUTES.append(("error", repr(exception)))

    def set_local_root_span_name(self, name, group=None, priority=None):
        ATTRIBUTES.append(("root_span_name", name))
