"""
URLs of the plugin, mounted under ``api/grade_freeze/`` in the LMS and Studio.
"""
from django.urls import include, path

from openedx_grade_freeze import views
from openedx_grade_freeze.rest_api.v1 import urls as v1_urls

app_name = "openedx_grade_freeze"

urlpatterns = [
    path("v1/", include(v1_urls.urlpatterns)),
    # The people-facing page lives beside the API: the plugin has one mount point in the LMS.
    path("status/<path:course_id>/refused.csv", views.refused_learners_csv, name="refused_learners_csv"),
    path("status/<path:course_id>/exceptions", views.request_exception, name="request_exception"),
    path("status/<path:course_id>/", views.course_status_page, name="course_status_page"),
]
