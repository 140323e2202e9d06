"""
The host project's Celery app, configured from Django settings (``CELERY_*``) as edx-platform's LMS does.

Workers: ``celery -A tests.host.celery_app worker --pool=solo`` (see tests/integration/test_celery_workers.py).
"""
import contextlib
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.host.settings")

app = Celery("grade_freeze_host")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@contextlib.contextmanager
def configured(**values):
    """Change the app's configuration for a block, then restore it (``task_always_eager=False``, ``broker_url=…``).

    Each value is set under its own name and under its ``CELERY_`` setting name: celery 5.6 reads the namespaced
    key first when the app is configured from Django settings, so setting only one of them does nothing there.
    """
    conf = app.conf
    changes = conf.changes
    names = [key for name in values for key in (name, f"CELERY_{name.upper()}")]
    keys = [conf._key(name) for name in names]  # pylint: disable=protected-access
    saved = {key: changes[key] for key in keys if key in changes}
    for name, value in values.items():
        conf[name] = conf[f"CELERY_{name.upper()}"] = value
    _reset_pools()
    try:
        yield conf
    finally:
        # A key set only for the block is removed, not set to None: None would hide the setting's own value.
        for key in keys:
            if key in saved:
                changes[key] = saved[key]
            else:
                changes.pop(key, None)
        _reset_pools()


def _reset_pools():
    """Drop the connection and producer pools so the next publish uses the current broker URL."""
    app._pool = None  # pylint: disable=protected-access
    app.amqp._producer_pool = None  # pylint: disable=protected-access
