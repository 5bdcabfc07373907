"""The request-body limit, enforced before the body is read (issue 16 item 9): a request that
declares a body above settings.HELPDESK_REQUEST_MAX_BYTES is answered 413 at once, so an
oversized upload is neither read into a temporary file nor handed to a view."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.utils.translation import gettext as _


class RequestBodyLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.headers.get("content-length") or 0)
        except ValueError:
            length = 0
        if length > settings.HELPDESK_REQUEST_MAX_BYTES:
            if request.path_info.startswith("/api/"):  # the API's error shape (helpdesk.drf)
                return JsonResponse({"detail": _("The request is too large."), "code": "too_large"}, status=413)
            return HttpResponse(_("The request is too large."), status=413, content_type="text/plain; charset=utf-8")
        return self.get_response(request)
