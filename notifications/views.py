"""The user's own notifications: list, mark one read, mark all read. Another user's
notification is a 404 (every query is scoped to `request.user`)."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from .models import Notification


def _back(request):
    """Where to go after marking: `next` (or the referring page) on this site, else the list."""
    for target in (request.POST.get("next"), request.headers.get("referer")):
        if target and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return redirect(target)
    return redirect("notifications:list")


@login_required
@require_GET
def notification_list(request):
    qs = Notification.objects.for_user(request.user).order_by("-created_at", "-id")
    page = Paginator(qs, settings.HELPDESK_LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "notifications/list.html", {"page": page})


@login_required
@require_POST
def mark_read(request, pk: int):
    notification = get_object_or_404(Notification.objects.for_user(request.user), pk=pk)
    Notification.objects.filter(pk=notification.pk).mark_read()
    return _back(request)


@login_required
@require_POST
def mark_all_read(request):
    Notification.objects.for_user(request.user).mark_read()
    return _back(request)
