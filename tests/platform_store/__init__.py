"""
A test-only Django app: database tables behind the edx-platform stand-ins, so every process sees the same rows.

See README.rst in this folder.
"""
