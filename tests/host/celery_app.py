"""
The host project's Celery app, configured from Django settings (``CELERY_*``) as edx-platform's LMS does.

Workers: ``celery -A tests.host.celery_app worker --pool=solo`` (see tests/integration/test_celery_workers.py).
"""
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.host.settings")

app = Celery("grade_freeze_host")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
