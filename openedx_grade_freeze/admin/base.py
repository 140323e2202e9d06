"""
Shared admin building blocks.
"""
from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    """An admin page that shows records and lets nobody add, edit or delete them."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
