from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComplainantsConfig(AppConfig):
    """The complainant's side (R-P1 … R-P4): the public complaint form, the private progress
    link, online answers and the call-back questionnaire, notices by SMS and e-mail, and
    complaints by e-mail. A floor above `complaints`: it calls the one intake method and the
    lifecycle methods, and listens to what they announce."""

    name = "complainants"
    verbose_name = _("Complainants")

    def ready(self) -> None:
        from complaints.signals import events_logged
        from notifications.signals import notice_sent

        from . import notices

        events_logged.connect(notices.on_events_logged, dispatch_uid="complainants.notices")
        notice_sent.connect(notices.on_notice_sent, dispatch_uid="complainants.notice_sent")
