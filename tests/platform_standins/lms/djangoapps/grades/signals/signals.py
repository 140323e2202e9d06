"""
Stand-in for ``lms.djangoapps.grades.signals.signals`` (the signals the stand-ins send).
"""
from django.dispatch import Signal

# user_id, course_id, usage_id, only_if_higher, modified, score_deleted, score_db_table
SUBSECTION_OVERRIDE_CHANGED = Signal()
# weighted_earned, weighted_possible, user_id, anonymous_user_id, course_id, usage_id, modified, score_db_table...
PROBLEM_WEIGHTED_SCORE_CHANGED = Signal()
# course, course_structure, user, subsection_grade
SUBSECTION_SCORE_CHANGED = Signal()
# course_id, user_id
COURSE_GRADE_PASSED_FIRST_TIME = Signal()
# user_id, course_id
COURSE_GRADE_PASSED_UPDATE_IN_LEARNER_PATHWAY = Signal()
