"""
Stand-in for ``openedx.core.djangoapps.signals.signals``: the platform-wide Django signals the grade code sends.
"""
from django.dispatch import Signal

# Sent by CourseGradeFactory._update with user, course_grade, course_key, deadline.
COURSE_GRADE_CHANGED = Signal()
# user, course_id
COURSE_GRADE_NOW_PASSED = Signal()
# user, course_id, grade
COURSE_GRADE_NOW_FAILED = Signal()
# user, course_key, mode, status
COURSE_CERT_CHANGED = Signal()
COURSE_CERT_AWARDED = Signal()
COURSE_CERT_REVOKED = Signal()
# course_key
COURSE_CERT_DATE_CHANGE = Signal()
