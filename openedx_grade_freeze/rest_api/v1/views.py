"""
REST API views: thin wrappers around ``openedx_grade_freeze.api``.
"""
from django.urls import reverse
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from edx_rest_framework_extensions.auth.jwt.authentication import JwtAuthentication
from edx_rest_framework_extensions.auth.session.authentication import SessionAuthenticationAllowInactiveUser
from edx_rest_framework_extensions.paginators import DefaultPagination
from rest_framework import status
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from openedx_grade_freeze import api
from openedx_grade_freeze.rest_api.v1 import (  # noqa: F401 (schema: auth names)
    parsers,
    permissions,
    schema,
    serializers,
)

_COURSE_ID = OpenApiParameter(
    "course_id", OpenApiTypes.STR, OpenApiParameter.PATH,
    description="A course run key, e.g. course-v1:edX+DemoX+2026 (old org/course/run keys too).",
)
_ORG = OpenApiParameter("org", OpenApiTypes.STR, OpenApiParameter.PATH, description="An organization short name.")
_EXCEPTION_ID = OpenApiParameter("exception_id", OpenApiTypes.INT, OpenApiParameter.PATH,
                                 description="A learner exception's id.")


def documented(**kwargs):
    """``extend_schema`` on drf-spectacular's own schema class, whatever ``DEFAULT_SCHEMA_CLASS`` the LMS sets."""
    def decorate(method):
        method.schema = AutoSchema
        return extend_schema(**kwargs)(method)
    return decorate


class _GradeFreezeView(APIView):
    """Authenticated as edx-platform's own APIs: a JWT (services, support tools), or the browser's session."""

    authentication_classes = (JwtAuthentication, SessionAuthenticationAllowInactiveUser)
    parser_classes = parsers.PARSER_CLASSES
    schema = AutoSchema()


class _CourseView(_GradeFreezeView):
    """A view about one course: parses the course key before permissions are checked (400 when invalid)."""

    def initial(self, request, *args, **kwargs):
        try:
            self.course_key = api.to_course_key(kwargs["course_id"])
        except api.InvalidCourseKeyError as error:
            self.course_key = None
            self.perform_authentication(request)
            if request.user and request.user.is_authenticated:
                raise ValidationError({"course_id": [str(error)]}) from error
        super().initial(request, *args, **kwargs)


class CourseFreezeStatusView(_CourseView):
    """``GET courses/{course_id}/``: whether the course's grades are frozen, why, and what it has refused."""

    permission_classes = (permissions.CanReadCourseStatus,)

    @documented(
        operation_id="grade_freeze_course_status", parameters=[_COURSE_ID],
        responses={200: serializers.CourseFreezeStatusSerializer},
    )
    def get(self, request, course_id):  # pylint: disable=unused-argument
        """The freeze status of one course (global staff, and the course's staff and instructors)."""
        try:
            course_status = api.get_course_status(self.course_key)
        except api.UnknownCourseError as error:
            raise NotFound(str(error)) from error
        data = serializers.CourseFreezeStatusSerializer(course_status).data
        data["status_page_url"] = request.build_absolute_uri(
            reverse("openedx_grade_freeze:course_status_page", args=[str(self.course_key)])
        )
        data["refused_learners_url"] = request.build_absolute_uri(
            reverse("openedx_grade_freeze:course_refused", args=[str(self.course_key)])
        )
        return Response(data)


class CourseListView(_GradeFreezeView, ListAPIView):
    """``GET courses/``: every course the plugin knows, with its status (global staff); the facts of a page's courses
    are read for that page only."""

    permission_classes = (permissions.IsGlobalStaff,)
    pagination_class = DefaultPagination
    serializer_class = serializers.CourseListEntrySerializer

    def get_queryset(self):
        """The courses matching ``frozen``, ``upcoming_days`` and ``org`` (400 on a bad filter)."""
        query = serializers.CourseListQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return api.list_courses(**{name: query.validated_data.get(name) for name in ("frozen", "upcoming_days", "org")})

    @documented(operation_id="grade_freeze_course_list", parameters=[serializers.CourseListQuerySerializer])
    def get(self, request, *args, **kwargs):
        """Courses filtered by ``frozen``, by a freeze within ``upcoming_days`` days, and by ``org``."""
        return super().get(request, *args, **kwargs)


class CourseRefusedLearnersView(_CourseView, ListAPIView):
    """``GET courses/{course_id}/refused/``: whose grade updates the freeze refused, per learner and write path, by
    user id (global staff, and the course's staff and instructors)."""

    permission_classes = (permissions.CanReadCourseStatus,)
    pagination_class = DefaultPagination
    serializer_class = serializers.RefusedLearnerSerializer

    def get_queryset(self):
        """The course's refused learners, read a page at a time; 404 for a course no one knows."""
        try:
            return api.get_course_status(self.course_key).refused_learners
        except api.UnknownCourseError as error:
            raise NotFound(str(error)) from error

    @documented(operation_id="grade_freeze_course_refused_learners", parameters=[_COURSE_ID])
    def get(self, request, *args, **kwargs):
        """The learners whose grade updates the freeze refused in the course, with counts and first and last times."""
        return super().get(request, *args, **kwargs)


def _reason_of(request):
    """The reason of a DELETE: in the body, or as ``?reason=`` for clients that send no body."""
    data = request.data if hasattr(request.data, "get") and request.data.get("reason") else request.query_params
    query = serializers.DeleteOverrideSerializer(data={"reason": data.get("reason", "")})
    query.is_valid(raise_exception=True)
    return query.validated_data["reason"]


def _invalid(error):
    """An ``InvalidFreezeConfigurationError`` as DRF's 400 answer, field by field."""
    return ValidationError(error.message_dict)


class CourseOverrideView(_CourseView):
    """``PUT``/``DELETE courses/{course_id}/override``: a course's freeze override, audited as in the admin."""

    permission_classes = (permissions.CanChangeOverrides,)
    required_permission = "openedx_grade_freeze.change_coursefreezeoverride"

    @documented(
        parameters=[_COURSE_ID], request=serializers.CourseOverrideSerializer,
        responses={200: serializers.CourseOverrideSerializer},
    )
    def put(self, request, course_id):  # pylint: disable=unused-argument
        """Create or replace the course's override (every field; null inherits)."""
        body = serializers.CourseOverrideSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            override = api.set_course_override(self.course_key, user=request.user, **body.validated_data)
        except api.InvalidFreezeConfigurationError as error:
            raise _invalid(error) from error
        return Response(serializers.CourseOverrideSerializer(override).data)

    @documented(
        parameters=[_COURSE_ID, OpenApiParameter("reason", OpenApiTypes.STR, OpenApiParameter.QUERY)],
        request=serializers.DeleteOverrideSerializer, responses={204: None},
    )
    def delete(self, request, course_id):  # pylint: disable=unused-argument
        """Remove the course's override so the lower layers decide again; 404 when there is none."""
        try:
            deleted = api.delete_course_override(self.course_key, reason=_reason_of(request), user=request.user)
        except api.InvalidFreezeConfigurationError as error:
            raise _invalid(error) from error
        if not deleted:
            raise NotFound(f"{self.course_key} has no freeze override.")
        return Response(status=status.HTTP_204_NO_CONTENT)


class OrgOverrideView(_GradeFreezeView):
    """``PUT``/``DELETE orgs/{org}/override``: an org's freeze override, audited as in the admin."""

    permission_classes = (permissions.CanChangeOverrides,)
    required_permission = "openedx_grade_freeze.change_orgfreezeoverride"

    @documented(
        parameters=[_ORG], request=serializers.OrgOverrideSerializer,
        responses={200: serializers.OrgOverrideSerializer},
    )
    def put(self, request, org):
        """Create or replace the org's override (every field; null inherits)."""
        body = serializers.OrgOverrideSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            override = api.set_org_override(org, user=request.user, **body.validated_data)
        except api.InvalidFreezeConfigurationError as error:
            raise _invalid(error) from error
        return Response(serializers.OrgOverrideSerializer(override).data)

    @documented(
        parameters=[_ORG, OpenApiParameter("reason", OpenApiTypes.STR, OpenApiParameter.QUERY)],
        request=serializers.DeleteOverrideSerializer, responses={204: None},
    )
    def delete(self, request, org):
        """Remove the org's override; 404 when there is none."""
        try:
            deleted = api.delete_org_override(org, reason=_reason_of(request), user=request.user)
        except api.InvalidFreezeConfigurationError as error:
            raise _invalid(error) from error
        if not deleted:
            raise NotFound(f"Org {org} has no freeze override.")
        return Response(status=status.HTTP_204_NO_CONTENT)


# -- Learner exceptions -----------------------------------------------------------------------------------------------

def _learner(data):
    """The learner a request names: ``user_id``, or ``user`` (a user id when ASCII digits, else a username)."""
    try:
        if data.get("user_id") is not None:
            return api.find_user(str(data["user_id"]), by_id=True)
        return api.find_user(data["user"])
    except api.UnknownUserError as error:
        raise ValidationError({"user": [str(error)]}) from error


def _exception_answer(action):
    """Run ``action`` (an ``api`` call returning an ``ExceptionRecord``) and answer with the record, or the error as
    400 (bad input), 403 (not this user) or 404 (no such exception)."""
    try:
        record = action()
    except api.UnknownLearnerExceptionError as error:
        raise NotFound(str(error)) from error
    except api.UnknownCourseError as error:
        raise ValidationError({"course_id": [str(error)]}) from error
    except api.InvalidLearnerExceptionError as error:
        raise _invalid(error) from error
    except api.LearnerExceptionNotAllowedError as error:
        raise PermissionDenied(str(error)) from error
    return serializers.LearnerExceptionSerializer(record).data


class CourseExceptionsView(_CourseView):
    """``POST courses/{course_id}/exceptions``: ask for an exception for one learner of the course."""

    permission_classes = (permissions.CanReadCourseStatus,)

    @documented(
        operation_id="grade_freeze_request_exception", parameters=[_COURSE_ID],
        request=serializers.LearnerExceptionRequestSerializer, responses={201: serializers.LearnerExceptionSerializer},
    )
    def post(self, request, course_id):  # pylint: disable=unused-argument
        """Request an exception (the course's staff and instructors, global staff); another person approves it."""
        body = serializers.LearnerExceptionRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        learner = _learner(data)
        answer = _exception_answer(lambda: api.request_learner_exception(
            self.course_key, learner, reason=data["reason"], until=data["until"], user=request.user,
        ))
        return Response(answer, status=status.HTTP_201_CREATED)


class _ExceptionView(_GradeFreezeView):
    """A view about one learner exception; who may act is decided by the action (403 otherwise)."""

    permission_classes = (permissions.IsActiveUser,)


class LearnerExceptionView(_ExceptionView):
    """``GET exceptions/{exception_id}/``: one learner exception (those who may read its course's status)."""

    @documented(parameters=[_EXCEPTION_ID], responses={200: serializers.LearnerExceptionSerializer})
    def get(self, request, exception_id):
        """The exception, its window and its change record."""
        answer = _exception_answer(lambda: api.get_learner_exception(exception_id))
        if not api.can_read_course_status(request.user, api.to_course_key(answer["course_id"])):
            raise PermissionDenied("Only global staff and the course's staff and instructors can read its exceptions.")
        return Response(answer)


class ApproveExceptionView(_ExceptionView):
    """``POST exceptions/{exception_id}/approve``: approve a request (global staff or the approve permission; never
    the requester)."""

    @documented(
        parameters=[_EXCEPTION_ID], request=serializers.LearnerExceptionActionSerializer,
        responses={200: serializers.LearnerExceptionSerializer},
    )
    def post(self, request, exception_id):
        """Approve: the exception opens now."""
        body = serializers.LearnerExceptionActionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return Response(_exception_answer(lambda: api.approve_learner_exception(
            exception_id, user=request.user, reason=body.validated_data["reason"],
        )))


class CloseExceptionView(_ExceptionView):
    """``POST exceptions/{exception_id}/close``: close an open exception early (its learner's grade is re-frozen), or
    revoke a request (the course's staff and instructors, approvers)."""

    @documented(
        parameters=[_EXCEPTION_ID], request=serializers.LearnerExceptionActionSerializer,
        responses={200: serializers.LearnerExceptionSerializer},
    )
    def post(self, request, exception_id):
        """Close or revoke, with a reason."""
        body = serializers.LearnerExceptionActionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return Response(_exception_answer(lambda: api.close_learner_exception(
            exception_id, user=request.user, reason=body.validated_data["reason"],
        )))
