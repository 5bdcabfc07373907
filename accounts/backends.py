"""The staff's authentication backend: Django's ModelBackend, in fewer queries per page.

Every page reads the signed-in user (the header shows their office) and checks permissions.
ModelBackend reads the user, then their office on first use, then their own and their groups'
permissions in two more queries; this backend reads the user with the office (one query) and
all permissions in one query (two semi-joins). The permissions and their caching are ModelBackend's own
(`_perm_cache`), so `has_perm` answers exactly as before (issue 17: list pages ≤ 8 queries)."""

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.db.models import Q


class StaffBackend(ModelBackend):
    def get_user(self, user_id: Any):
        user_model = get_user_model()
        try:
            user = user_model._default_manager.select_related("office").get(pk=user_id)
        except user_model.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None

    def get_all_permissions(self, user_obj, obj=None) -> set[str]:
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            if user_obj.is_superuser:
                perms = Permission.objects.all()
            else:
                # two semi-joins, each on its own link table: the LEFT JOINs of both tables to
                # every permission, then DISTINCT, took 4× as long to plan and run (0.85 ms a page)
                own = user_obj.user_permissions.through.objects.filter(user=user_obj).values("permission_id")
                grouped = Permission.group_set.through.objects.filter(group__user=user_obj).values("permission_id")
                perms = Permission.objects.filter(Q(pk__in=own) | Q(pk__in=grouped))
            rows = perms.values_list("content_type__app_label", "codename").order_by()
            user_obj._perm_cache = {f"{app}.{codename}" for app, codename in rows}
        return user_obj._perm_cache
