"""Stand-in for edx-drf-extensions (not installed here); see tests/platform_standins/README.rst."""
