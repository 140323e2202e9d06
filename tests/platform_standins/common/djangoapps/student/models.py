"""
Stand-in for ``common.djangoapps.student.models``: only ``CourseEnrollment``, a real Django model in the test-only
``tests.platform_store`` app (so worker processes see the same enrollments), with upstream's field names.

Read at ``common/djangoapps/student/models/course_enrollment.py`` (openedx/openedx-platform 0b870c132a5e…).
Differences: ``course_id`` is a plain course-key column (upstream: a foreign key to ``CourseOverview`` without a
database constraint, whose column is ``course_id``); no manager methods, history, caches or signals.
"""
from tests.platform_store.models import CourseEnrollment

__all__ = ["CourseEnrollment"]
