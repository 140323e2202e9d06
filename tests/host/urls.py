"""
URLs of the host project: the admin plus every plugin's URLs, as the LMS adds them.
"""
from django.conf import settings
from django.contrib import admin
from django.urls import path
from edx_django_utils.plugins import get_plugin_url_patterns

urlpatterns = [path("admin/", admin.site.urls)]
urlpatterns.extend(get_plugin_url_patterns(settings.PROJECT_TYPE))
