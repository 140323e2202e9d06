"""
URLs of the plugin, mounted under ``api/grade_freeze/`` in the LMS and Studio.
"""
from django.urls import path

from openedx_grade_freeze import views

app_name = "openedx_grade_freeze"

urlpatterns = [
    # ``path``, not ``str``: deprecated ``org/course/run`` keys contain slashes.
    path("v1/courses/<path:course_id>/freeze_state/", views.freeze_state, name="freeze_state"),
]
