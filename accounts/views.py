"""Pages every signed-in member of staff has for their own account: changing their password.

Django's views do the work: the old password is checked, AUTH_PASSWORD_VALIDATORS apply to
the new one, and the session that made the change stays signed in (update_session_auth_hash)
while the user's other sessions end (their stored password hash no longer matches)."""

from django.contrib.auth import views as auth_views
from django.urls import reverse_lazy


class PasswordChangeView(auth_views.PasswordChangeView):
    """Change one's own password (any role; anonymous → the login page)."""

    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:password_change_done")

    def form_invalid(self, form):
        response = super().form_invalid(form)
        response.status_code = 400  # like every other form page of the helpdesk
        return response


class PasswordChangeDoneView(auth_views.PasswordChangeDoneView):
    template_name = "accounts/password_change_done.html"
