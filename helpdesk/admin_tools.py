"""Shared admin pieces."""


class ReadOnlyAdminMixin:
    """An admin page that shows records and never adds, changes or deletes them (logs and
    rows whose changes go through model methods elsewhere)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
