"""
Stand-in for ``openedx.core.lib.api.view_utils`` (``DeveloperErrorResponseException``, ``DeveloperErrorViewMixin``).

As upstream, ``api_error(...)`` returns (for the view to raise) a plain exception carrying a DRF ``Response`` whose
data holds ``developer_message`` and, when given, ``error_code``; it is not an ``APIException``.
"""
from rest_framework.response import Response


class DeveloperErrorResponseException(Exception):
    """Wraps the DRF ``Response`` a view should answer with."""

    def __init__(self, response):
        super().__init__()
        self.response = response


class DeveloperErrorViewMixin:
    """Gives a view ``api_error``."""

    @classmethod
    def api_error(cls, status_code, developer_message, error_code=None):
        """The exception to raise for an error answer."""
        data = {'developer_message': developer_message}
        if error_code is not None:
            data['error_code'] = error_code
        return DeveloperErrorResponseException(Response(data, status_code))
