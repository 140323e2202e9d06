"""
The plugin's celery tasks, gathered here for celery's autodiscovery; each is defined beside the code it runs.
"""
from openedx_grade_freeze.credentials.ledger import drain_credentials_deliveries
from openedx_grade_freeze.credentials.outbox import send_credentials_delivery

__all__ = ["drain_credentials_deliveries", "send_credentials_delivery"]
