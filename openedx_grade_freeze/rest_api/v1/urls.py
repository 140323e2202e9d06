"""
URLs of version 1 of the REST API, and the OpenAPI description of exactly these URLs.
"""
from django.urls import include, path
from drf_spectacular.views import SpectacularJSONAPIView

from openedx_grade_freeze.rest_api.v1 import views

# ``path``, not ``str``: deprecated ``org/course/run`` keys contain slashes, so the specific routes come first.
urlpatterns = [
    path("courses/", views.CourseListView.as_view(), name="course_list"),
    path("courses/<path:course_id>/override", views.CourseOverrideView.as_view(), name="course_override"),
    path("courses/<path:course_id>/refused/", views.CourseRefusedLearnersView.as_view(), name="course_refused"),
    path("courses/<path:course_id>/exceptions", views.CourseExceptionsView.as_view(), name="course_exceptions"),
    path("courses/<path:course_id>/", views.CourseFreezeStatusView.as_view(), name="course_status"),
    path("orgs/<str:org>/override", views.OrgOverrideView.as_view(), name="org_override"),
    path("exceptions/<int:exception_id>/", views.LearnerExceptionView.as_view(), name="learner_exception"),
    path("exceptions/<int:exception_id>/approve", views.ApproveExceptionView.as_view(), name="approve_exception"),
    path("exceptions/<int:exception_id>/close", views.CloseExceptionView.as_view(), name="close_exception"),
]

# Where the plugin's URLs are mounted in the LMS (``plugin_app["url_config"]``): the description names full paths.
PUBLIC_PREFIX = "api/grade_freeze/v1/"

openapi_view = SpectacularJSONAPIView.as_view(
    urlconf=[path(PUBLIC_PREFIX, include(list(urlpatterns)))],
    custom_settings={
        "TITLE": "openedx-grade-freeze",
        "DESCRIPTION": ("Grade freeze status of courses, the course and org overrides that decide it, and learner "
                        "exceptions."),
        "VERSION": "1.0.0",
        "SCHEMA_PATH_PREFIX": "/api/grade_freeze/v1",
    },
)

urlpatterns.append(path("openapi.json", openapi_view, name="openapi"))
