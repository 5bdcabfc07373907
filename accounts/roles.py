"""The SPEC's role table as Django groups and permissions (used by the data migration and
by seed_demo; views check the permissions, never the group names)."""

from .models import Role

_AGENT = [
    "complaints.view_complaint",
    "complaints.view_office_complaints",
    "complaints.handle_special_incident",
    "complaints.add_complaint",
    "complaints.receive_complaint",
    "complaints.move_up_complaint",
    "complaints.comment_on_complaint",
    "complaints.view_complaintevent",
    "complaints.view_category",
    "complaints.view_department",
    "customers.view_customer",
]
_AGENT += [
    # follow-ups (issue 4): own visits and visit plans, reception log, field trips, work log
    "followups.view_visit",
    "followups.record_visit",
    "followups.view_visitplan",
    "followups.add_visitplan",
    "followups.change_visitplan",
    "followups.view_reception",
    "followups.add_reception",
    "followups.view_fieldtrip",
    "followups.add_fieldtrip",
    "followups.change_fieldtrip",
    "followups.view_worklog",
    "followups.add_worklog",
    "followups.change_worklog",
    "followups.view_worksummary",
    "followups.add_worksummary",
    "followups.change_worksummary",
    # messages for absent colleagues (R-F6)
    "followups.view_phonemessage",
    "followups.add_phonemessage",
    "followups.change_phonemessage",
]
_SUPERVISOR = _AGENT + [
    "complaints.reassign_complaint",
    "complaints.merge_complaint",
    "complaints.investigate_complaint",
    "complaints.view_reports",
    "complaints.mark_training_case",
    # the confidential archive (R-CU5): read only; everyone's visits; the agents' work logs
    "customers.view_confidential",
    "customers.view_customerdocument",
    "customers.view_customertransaction",
    "customers.view_tierchange",
    "followups.view_all_visits",
    "followups.change_visit",
    "followups.view_team_logs",
    "followups.view_surveyround",
    "followups.view_surveyresponse",
    "followups.view_visitholiday",
]
# maintaining the archive and running satisfaction surveys (R-CU2, R-CU6)
_ARCHIVE_AND_SURVEYS = [
    "customers.view_confidential",
    "customers.view_customerdocument",
    "customers.add_customerdocument",
    "customers.view_customertransaction",
    "customers.add_customertransaction",
    "customers.view_tierchange",
    "customers.view_archiveaccess",
    "followups.view_surveyround",
    "followups.add_surveyround",
    "followups.change_surveyround",
    "followups.view_surveyresponse",
    "followups.add_surveyresponse",
    # credit evaluation and churn analysis (R-CU7): managers and the customer-information role only
    "customers.view_creditevaluation",
    "customers.add_creditevaluation",
    "customers.view_churn",
]
ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.AGENT: _AGENT,
    Role.SUPERVISOR: _SUPERVISOR,
    Role.DEPARTMENT_HANDLER: [
        # only their department's complaints and those handed to them (no view_office_complaints)
        "complaints.view_complaint",
        "complaints.handle_special_incident",
        "complaints.investigate_complaint",
        "complaints.move_up_complaint",
        "complaints.comment_on_complaint",
        "complaints.view_complaintevent",
        "complaints.view_category",
        "complaints.view_department",
        "customers.view_customer",
        "followups.view_phonemessage",
        "followups.add_phonemessage",
        "followups.change_phonemessage",
    ],
    Role.MANAGER: _SUPERVISOR
    + [
        "complaints.view_all_offices",
        "complaints.download_summary",
        "complaints.add_category",
        "complaints.change_category",
        "complaints.add_department",
        "complaints.change_department",
        "accounts.view_user",
        "accounts.add_user",
        "accounts.change_user",
        "accounts.view_office",
        "accounts.add_office",
        "accounts.change_office",
        "customers.add_customer",
        "customers.change_customer",
        # the working calendar (deadlines in working time, R-T1 … R-T3)
        "complaints.view_workinghours",
        "complaints.add_workinghours",
        "complaints.change_workinghours",
        "complaints.delete_workinghours",
        "complaints.view_calendarholiday",
        "complaints.add_calendarholiday",
        "complaints.change_calendarholiday",
        "complaints.delete_calendarholiday",
        # API tokens for integrations (REST API)
        "authtoken.view_tokenproxy",
        "authtoken.add_tokenproxy",
        "authtoken.delete_tokenproxy",
        "authtoken.view_token",
        "authtoken.add_token",
        "authtoken.delete_token",
        # follow-ups: review visit plans, the holiday list for visits (R-CU3)
        "followups.approve_visitplan",
        # the agents' performance review with satisfaction sampling (R-F5)
        "followups.view_agent_kpis",
        "followups.view_kpisample",
        "followups.add_kpisample",
        "followups.view_kpisampleitem",
        "followups.change_kpisampleitem",
        "followups.add_visitholiday",
        "followups.change_visitholiday",
        "followups.delete_visitholiday",
        # the notifications in the admin, read-only (also granted by notifications migration 0002)
        "notifications.view_notification",
        *_ARCHIVE_AND_SURVEYS,
    ],
    Role.CUSTOMER_INFO: [
        "complaints.view_office_complaints",
        "customers.view_customer",
        "customers.add_customer",
        "customers.change_customer",
        "complaints.view_complaint",
        "complaints.comment_on_complaint",
        "complaints.view_complaintevent",
        "complaints.view_category",
        "followups.view_visit",
        "followups.view_all_visits",
        "followups.view_phonemessage",
        "followups.add_phonemessage",
        "followups.change_phonemessage",
        *_ARCHIVE_AND_SURVEYS,
    ],
    # 分管領導 / 總裁 (issue 13): read-only dashboards and monthly summaries across offices; the
    # senior visits of the tier schedules on their own agenda, with the customer's page (contacts,
    # address) to prepare them. No complaint pages (no complaints.view_complaint): the figures,
    # not the complainants' personal data; nothing they could change.
    Role.EXECUTIVE: [
        "complaints.view_all_offices",
        "complaints.view_reports",
        "complaints.download_summary",
        "customers.view_customer",
        "followups.view_visit",
        "followups.record_visit",
    ],
}


def sync_role_permissions(apps) -> None:
    """Create the role groups and give each exactly the permissions above. Used by the data
    migrations, with the historical `apps`; safe to run again."""
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, perms in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=str(role))
        wanted = []
        for perm in perms:
            app_label, codename = perm.split(".")
            found = Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()
            if found is not None:  # a model added by a later migration gets it then
                wanted.append(found)
        group.permissions.set(wanted)
