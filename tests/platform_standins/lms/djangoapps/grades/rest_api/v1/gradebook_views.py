"""
Stand-in for ``lms.djangoapps.grades.rest_api.v1.gradebook_views`` (only the pieces that use ``are_grades_frozen``;
read at ``22eb254bbc0a…``).

Upstream imports ``are_grades_frozen`` BY NAME (``from lms.djangoapps.grades.grade_utils import are_grades_frozen``).
As upstream, a frozen bulk update raises ``self.api_error(...)``: a ``DeveloperErrorResponseException`` (NOT a DRF
``APIException``) carrying a DRF ``Response`` with status 403 and ``error_code='grades_frozen'``; answers are DRF
``Response`` objects. The views are plain classes (no ``APIView`` dispatch): they take any ``request`` with
``.user`` and ``.data``, and the access-check decorators are left out, so ``get``/``post`` take the parsed
``course_key`` directly. Stand-in only: ``StandinAPIError``, the exception class ``api_error`` returns, a
``DeveloperErrorResponseException`` that also exposes ``status_code`` and ``error_code``.
"""
import logging
from collections import namedtuple

from opaque_keys import InvalidKeyError
from opaque_keys.edx.keys import UsageKey
from rest_framework import status
from rest_framework.response import Response

from common.djangoapps.student.auth import has_course_author_access
from lms.djangoapps.grades.api import constants as grades_constants
from lms.djangoapps.grades.grade_utils import are_grades_frozen
from lms.djangoapps.grades.models import PersistentSubsectionGrade, PersistentSubsectionGradeOverride
from lms.djangoapps.grades.tasks import recalculate_subsection_grade_v3
from openedx.core.djangoapps.content.course_overviews.models import CourseOverview
from openedx.core.lib.api.view_utils import DeveloperErrorResponseException, DeveloperErrorViewMixin
from standin_support import User, enrolled_users

log = logging.getLogger(__name__)


class StandinAPIError(DeveloperErrorResponseException):
    """Stand-in only: upstream's exception, with the response's status and error code at hand."""

    @property
    def status_code(self):
        return self.response.status_code

    @property
    def error_code(self):
        return self.response.data.get('error_code')

    @property
    def developer_message(self):
        return self.response.data.get('developer_message')


def _has_ccx_gradebook_access(user, course_key):
    """Whether ``user`` may manage the gradebook of a custom course (stand-in: as for any course)."""
    return has_course_author_access(user, course_key)


class CourseGradingView(DeveloperErrorViewMixin):
    """``GET /api/grades/v1/gradebook/{course_id}/grading-info``; tells the Gradebook MFE whether grades are frozen."""

    def get(self, request, course_key):  # pylint: disable=unused-argument
        """Return grading information, including ``grades_frozen``."""
        course = CourseOverview.get_from_id(course_key)
        results = {
            'grade_cutoffs': getattr(course, 'grade_cutoffs', {'Pass': 0.5}),
            'assignment_types': {},
            'subsections': [],
            'grades_frozen': are_grades_frozen(course_key),
            'can_see_bulk_management': False,
        }
        return Response(results)


GradebookUpdateResponseItem = namedtuple('GradebookUpdateResponseItem', ['user_id', 'usage_id', 'success', 'reason'])


class GradebookBulkUpdateView(DeveloperErrorViewMixin):
    """``POST /api/grades/v1/gradebook/{course_id}/bulk-update``: store subsection overrides, then recalculate."""

    @classmethod
    def api_error(cls, status_code, developer_message, error_code=None):
        return StandinAPIError(super().api_error(status_code, developer_message, error_code).response)

    def post(self, request, course_key):
        """Refuse with 403 ``grades_frozen`` once grades are frozen; otherwise override each requested grade."""
        if are_grades_frozen(course_key):
            raise self.api_error(
                status_code=status.HTTP_403_FORBIDDEN,
                developer_message='Grades are frozen for this course.',
                error_code='grades_frozen',
            )
        result = []
        for user_data in request.data:
            requested_user_id = user_data['user_id']
            requested_usage_id = user_data['usage_id']
            try:
                user = self._get_single_user(request, course_key, requested_user_id)
                usage_key = UsageKey.from_string(requested_usage_id)
            except (User.DoesNotExist, InvalidKeyError) as exc:
                result.append(GradebookUpdateResponseItem(requested_user_id, requested_usage_id, False, str(exc)))
                continue
            try:
                subsection_grade_model = PersistentSubsectionGrade.objects.get(
                    user_id=user.id, course_id=course_key, usage_key=usage_key,
                )
            except PersistentSubsectionGrade.DoesNotExist:
                from lms.djangoapps.grades.api import _create_subsection_grade  # pylint: disable=import-outside-toplevel
                subsection_grade_model = _create_subsection_grade(user.id, course_key, usage_key)
            self._create_override(request.user, subsection_grade_model, **user_data['grade'])
            result.append(GradebookUpdateResponseItem(user.id, str(usage_key), True, None))
        status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
        if all(item.success for item in result):
            status_code = status.HTTP_202_ACCEPTED
        return Response([item._asdict() for item in result], status=status_code)

    @staticmethod
    def _get_single_user(request, course_key, user_id):  # pylint: disable=unused-argument
        for user in enrolled_users(course_key):
            if user.id == user_id:
                return user
        raise User.DoesNotExist(f'User {user_id} is not enrolled in {course_key}.')

    def _create_override(self, request_user, subsection_grade_model, **override_data):
        """Store the override, then run ``recalculate_subsection_grade_v3.apply`` (in process), as upstream."""
        override_data['system'] = grades_constants.GradeOverrideFeatureEnum.gradebook
        override = PersistentSubsectionGradeOverride.update_or_create_override(
            requesting_user=request_user,
            subsection_grade_model=subsection_grade_model,
            feature=grades_constants.GradeOverrideFeatureEnum.gradebook,
            **override_data
        )
        recalculate_subsection_grade_v3.apply(
            kwargs=dict(
                user_id=subsection_grade_model.user_id,
                anonymous_user_id=None,
                course_id=str(subsection_grade_model.course_id),
                usage_id=str(subsection_grade_model.usage_key),
                only_if_higher=False,
                expected_modified_time=override.modified.timestamp(),
                score_deleted=False,
                event_transaction_id=None,
                event_transaction_type=None,
                score_db_table=grades_constants.ScoreDatabaseTableEnum.overrides,
                force_update_subsections=True,
            )
        )
        return override
