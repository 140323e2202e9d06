"""
A small host Django project that loads the plugin exactly as edx-platform's LMS and Studio do.
"""

# As lms/__init__.py does: the Celery app is created (and made current) whenever the project is loaded.
from tests.host.celery_app import app as celery_app  # noqa: F401
