"""
Tests that start real processes: celery workers on the Redis broker.
"""
