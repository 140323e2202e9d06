"""
The one package that imports edx-platform (``lms.*``, ``cms.*``, ``common.*``, ``openedx.core.*``).

Each module is named for what it reaches and imports edx-platform lazily, answering "not available" outside the
LMS and Studio so the plugin and its tests run without edx-platform. The package imports nothing from the features
above it: the edx-platform functions the plugin replaces are one table (``write_points``), and a feature that owns
what one of them does supplies its wrapper when ``AppConfig.ready()`` registers the table. Nothing outside this
package names an edx-platform module, not even as a string.
"""
