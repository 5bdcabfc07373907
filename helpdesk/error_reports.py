"""Error reports (the e-mails to ADMINS on a 500) show which POST fields and local variables
there were, never their values: a complaint form carries the complainant's name and phone."""

from django.views.debug import SafeExceptionReporterFilter


class NoPostDataExceptionReporterFilter(SafeExceptionReporterFilter):
    """Error reports (the e-mails to ADMINS) show which POST fields there were, never their values."""

    def get_post_parameters(self, request):
        if request is None:
            return {}
        return {key: self.cleansed_substitute for key in request.POST}

    def get_traceback_frame_variables(self, request, tb_frame):
        # A frame's local variables may hold a complaint or a customer: names only.
        return [(name, self.cleansed_substitute) for name in tb_frame.f_locals]
