"""
Version 1 of the REST API.
"""
