"""
Stand-in for ``lms.djangoapps.grades.rest_api.v1.gradebook_views`` (only the pieces that use ``are_grades_frozen``).

Upstream imports ``are_grades_frozen`` BY NAME (``from lms.djangoapps.grades.grade_utils import are_grades_frozen``).
No DRF here: views take any ``request`` with ``.user`` and ``.data``, errors are raised as ``StandinAPIError``
(upstream: ``self.api_error(...)`` raising a DRF error response), answers are ``StandinResponse``. The
access-check decorators (``course_author_access_required``, ``verify_writable_gradebook_enabled``,
``verify_course_exists``) are left out, so ``get``/``post`` take the parsed ``course_key`` directly.
"""
import logging
from collections import namedtuple
from dataclasses import dataclass, field

from opaque_keys import InvalidKeyError
from opaque_keys.edx.keys import UsageKey

from lms.djangoapps.grades.api import constants as grades_constants
from lms.djangoapps.grades.grade_utils import are_grades_frozen
from lms.djangoapps.grades.models import PersistentSubsectionGrade, PersistentSubsectionGradeOverride
from lms.djangoapps.grades.tasks import recalculate_subsection_grade_v3
from openedx.core.djangoapps.content.course_overviews.models import CourseOverview
from standin_support import User, enrolled_users

log = logging.getLogger(__name__)

HTTP_202_ACCEPTED = 202
HTTP_403_FORBIDDEN = 403
HTTP_422_UNPROCESSABLE_ENTITY = 422


class StandinAPIError(Exception):
    """What ``DeveloperErrorViewMixin.api_error`` raises upstream."""

    def __init__(self, status_code, developer_message, error_code):
        super().__init__(developer_message)
        self.status_code = status_code
        self.developer_message = developer_message
        self.error_code = error_code


@dataclass
class StandinResponse:
    """A DRF ``Response`` look-alike."""

    data: object = None
    status: int = 200
    headers: dict = field(default_factory=dict)


class CourseGradingView:
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
        return StandinResponse(results)


GradebookUpdateResponseItem = namedtuple('GradebookUpdateResponseItem', ['user_id', 'usage_id', 'success', 'reason'])


class GradebookBulkUpdateView:
    """``POST /api/grades/v1/gradebook/{course_id}/bulk-update``: store subsection overrides, then recalculate."""

    @staticmethod
    def api_error(status_code, developer_message, error_code):
        return StandinAPIError(status_code, developer_message, error_code)

    def post(self, request, course_key):
        """Refuse with 403 ``grades_frozen`` once grades are frozen; otherwise override each requested grade."""
        if are_grades_frozen(course_key):
            raise self.api_error(
                status_code=HTTP_403_FORBIDDEN,
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
        status_code = HTTP_422_UNPROCESSABLE_ENTITY
        if all(item.success for item in result):
            status_code = HTTP_202_ACCEPTED
        return StandinResponse([item._asdict() for item in result], status=status_code)

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
