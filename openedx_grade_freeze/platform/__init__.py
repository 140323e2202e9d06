"""
The one package that imports edx-platform (``lms.*``, ``cms.*``, ``common.*``, ``openedx.core.*``).

Each module is named for what it reaches and imports edx-platform lazily, answering "not available" outside the
LMS and Studio so the plugin and its tests run without edx-platform. The package imports nothing from the features
above it: a feature that needs an edx-platform function replaced registers a ``WritePoint`` with ``wiring``.
"""
