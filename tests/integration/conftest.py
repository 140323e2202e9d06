"""
The broker the integration tests' workers take tasks from: this run's own queue on Redis.
"""
import pytest
from django.conf import settings

from tests.host.celery_app import configured as celery_configured
from tests.integration.workers import QUEUE, require_redis


@pytest.fixture(name="broker")
def fixture_broker():
    """This process publishes to this run's queue on the broker instead of running tasks eagerly."""
    broker = settings.CELERY_BROKER_URL
    redis_client = require_redis(broker)
    with celery_configured(task_always_eager=False, broker_url=broker, task_default_queue=QUEUE):
        yield broker
    redis_client.delete(QUEUE)
