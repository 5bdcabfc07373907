"""The framework's floor for the benchmark: an authenticated one-line page (session, auth,
middleware, no query of ours). Every figure of the bench is also given as a multiple of it."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse


@login_required
def floor(request):
    return HttpResponse("ok", content_type="text/plain")
