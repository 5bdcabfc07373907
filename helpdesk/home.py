"""The start page ("/", and where the login lands): the first page of the signed-in person's
work that they may open. Most staff start on the complaint list; an executive, who may not open
complaints (accounts/roles.py), starts on the monthly dashboard, so nobody lands on a 403."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.views.decorators.http import require_safe

# (permission, URL name), the first one the user holds wins
START_PAGES = (
    ("complaints.view_complaint", "complaints:list"),
    ("complaints.view_reports", "reports:monthly"),
    ("followups.view_visit", "followups:agenda"),
    ("followups.view_phonemessage", "followups:message_list"),
)


@require_safe
@login_required
def home(request):
    for perm, page in START_PAGES:
        if request.user.has_perm(perm):
            return redirect(page)
    return redirect("notifications:list")  # every signed-in user may read their notifications
