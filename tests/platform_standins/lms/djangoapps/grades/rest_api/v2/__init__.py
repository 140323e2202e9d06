"""
Test stand-in package mirroring edx-platform; see tests/platform_standins/README.rst.

The Grades REST API v2 exists only in the newest upstream code: under a release's variant (Teak, Ulmo, Verawood)
the package cannot be imported, as in those releases.
"""
import standin_support

if not standin_support.has_grades_api_v2():
    raise ModuleNotFoundError(f"No module named {__name__!r} in {standin_support.PLATFORM_VARIANT}", name=__name__)
