"""
URLs of the plugin, mounted under ``api/grade_freeze/`` in the LMS and Studio.
"""
from django.urls import path

from openedx_grade_freeze import views

app_name = "openedx_grade_freeze"

urlpatterns = [
    path("v1/courses/<str:course_id>/freeze_state/", views.freeze_state, name="freeze_state"),
]
