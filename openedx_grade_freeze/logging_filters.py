"""
Keeps expected grade-freeze vetoes out of openedx-filters' error log; they are counted and reported instead.
"""
import logging

from openedx_grade_freeze.filters import GradePersistenceRequested

FILTERS_LOGGER = "openedx_filters.tooling"


class DropGradeFreezeVetoes(logging.Filter):
    """
    openedx-filters logs every exception a step raises with its traceback; a veto is the expected outcome for a
    frozen course, and a frozen MOOC would flood the log. Other filters' records pass untouched.
    """

    def filter(self, record):
        exc_info = record.exc_info
        return not (exc_info and isinstance(exc_info[1], GradePersistenceRequested.PreventGradePersistence))


def install():
    """Attach the filter to openedx-filters' logger once per process."""
    logger = logging.getLogger(FILTERS_LOGGER)
    if not any(isinstance(existing, DropGradeFreezeVetoes) for existing in logger.filters):
        logger.addFilter(DropGradeFreezeVetoes())
