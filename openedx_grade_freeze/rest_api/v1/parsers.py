"""
Request parsers of the REST API: DRF's, with a JSON body nested too deeply for Python's parser answered as a 400.
"""
from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser; a body nested deeper than the parser's recursion limit is a parse error, not a 500."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - the body is nested too deeply.") from None


# DRF's default parsers, with the JSON one above.
PARSER_CLASSES = (JSONParser, parsers.FormParser, parsers.MultiPartParser)
