"""
Stand-in for ``lms.djangoapps.grades.services`` (``GradesService``, the XBlock ``grades`` service).

Read from ``openedx/edx-platform`` at ``d0579ea26bf9…`` (not in the ``openedx-platform`` index). Every method
delegates to ``lms.djangoapps.grades.api`` (looked up on the module at call time), as upstream; it does not check
``are_grades_frozen`` itself. edx-proctoring calls ``override_subsection_grade`` on a rejected review, then
``CertificateService.invalidate_certificate`` (upstream: ``certificates.api.invalidate_certificate``).
"""
from . import api


class GradesService:
    """Course grade service: read, override and un-override subsection grades."""

    def get_subsection_grade(self, user_id, course_key_or_id, usage_key_or_id):
        return api.get_subsection_grade(user_id, course_key_or_id, usage_key_or_id)

    def get_subsection_grade_override(self, user_id, course_key_or_id, usage_key_or_id):
        return api.get_subsection_grade_override(user_id, course_key_or_id, usage_key_or_id)

    def override_subsection_grade(
            self, user_id, course_key_or_id, usage_key_or_id, earned_all=None, earned_graded=None,
            feature=api.constants.GradeOverrideFeatureEnum.proctoring, overrider=None, comment=None
    ):
        return api.override_subsection_grade(user_id,
                                             course_key_or_id,
                                             usage_key_or_id,
                                             earned_all=earned_all,
                                             earned_graded=earned_graded,
                                             feature=feature,
                                             overrider=overrider,
                                             comment=comment)

    def undo_override_subsection_grade(self, user_id, course_key_or_id, usage_key_or_id,
                                       feature=api.constants.GradeOverrideFeatureEnum.proctoring):
        return api.undo_override_subsection_grade(user_id, course_key_or_id, usage_key_or_id, feature=feature)

    def should_override_grade_on_rejected_exam(self, course_key_or_id):
        return api.should_override_grade_on_rejected_exam(course_key_or_id)
