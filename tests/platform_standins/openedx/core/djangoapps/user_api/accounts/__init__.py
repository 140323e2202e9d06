"""Test stand-in package mirroring edx-platform; see tests/platform_standins/README.rst."""
