"""
Freeze final grades after a course ends, and keep every service that holds grades in step.
"""

__version__ = "0.1.0"
