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
    path("courses/<path:course_id>/", views.CourseFreezeStatusView.as_view(), name="course_status"),
    path("orgs/<str:org>/override", views.OrgOverrideView.as_view(), name="org_override"),
]

# Where the plugin's URLs are mounted in the LMS (``plugin_app["url_config"]``): the description names full paths.
PUBLIC_PREFIX = "api/grade_freeze/v1/"

openapi_view = SpectacularJSONAPIView.as_view(
    urlconf=[path(PUBLIC_PREFIX, include(list(urlpatterns)))],
    custom_settings={
        "TITLE": "openedx-grade-freeze",
        "DESCRIPTION": "Grade freeze status of courses, and the course and org overrides that decide it.",
        "VERSION": "1.0.0",
        "SCHEMA_PATH_PREFIX": "/api/grade_freeze/v1",
    },
)

urlpatterns.append(path("openapi.json", openapi_view, name="openapi"))
