"""
Settings of the celery worker processes the integration tests start: the host project's, pointed at the test
database, the test broker and the fake Credentials service named in ``GRADE_FREEZE_WORKER_SETTINGS``.
"""
import json
import os

from tests.host.settings import *  # noqa: F403  pylint: disable=wildcard-import,unused-wildcard-import
from tests.host.settings import DATABASES

CELERY_TASK_ALWAYS_EAGER = False
CELERY_BROKER_URL = os.environ["GRADE_FREEZE_CELERY_BROKER"]
# This test run's own queue: retries the workers queue go there too, never to another run's workers.
CELERY_TASK_DEFAULT_QUEUE = os.environ["GRADE_FREEZE_CELERY_QUEUE"]
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ACKS_LATE = False

# The test process created (and will flush) this database; the worker only reads and writes rows in it.
DATABASES["default"]["NAME"] = os.environ["GRADE_FREEZE_WORKER_DB_NAME"]

# GRADE_FREEZE_CREDENTIALS_* and friends, chosen by the test.
globals().update(json.loads(os.environ.get("GRADE_FREEZE_WORKER_SETTINGS", "{}")))
