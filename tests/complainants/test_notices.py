"""Notices to the complainant (R-P4): each trigger writes one outbox row per channel the
complainant can be reached on, in their language, in the step's transaction; sending records
"SMS sent to 139****5678" on the timeline; a complainant who stopped notices gets none."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from complainants import services
from complainants.models import ComplainantAccess
from complaints.choices import CallbackMethod, EventKind
from complaints.models import ComplaintEvent
from notifications.models import Notice, NoticeStatus
from notifications.notice_delivery import deliver_notices
from notifications.sms import split_sms

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_quiet_hours(settings):
    settings.HELPDESK_SMS_QUIET_HOURS = ""
    settings.HELPDESK_SMS_BACKEND = "console"


def rows(complaint, kind=None):
    qs = Notice.objects.filter(complaint=complaint).order_by("id")
    if kind:
        qs = qs.filter(kind=kind)
    return list(qs)


def test_received_writes_one_sms_and_one_email_with_the_private_link(submit, settings):
    submitted = submit()
    notices = rows(submitted.complaint)
    assert [(n.channel, n.kind) for n in notices] == [("sms", "received"), ("email", "received")]
    sms, email = notices
    # links sent out are absolute, from the declared site address
    link = settings.HELPDESK_SITE_URL.rstrip("/") + reverse("complainants:progress", args=[submitted.token])
    assert link in sms.body and link in email.body and link in email.body_html
    assert sms.to == "13912345678" and email.to == "wang@example.com"
    assert f"[#{submitted.complaint.pk} {submitted.token}]" in email.subject


@pytest.mark.parametrize(
    ("step", "kind"),
    [
        (lambda c, a: c.reply(actor=a, note="明天上门"), "replied"),
        (lambda c, a: (c.reply(actor=a, note="收到"), c.report_progress(actor=a, note="配件已订")), "progress"),
        (lambda c, a: c.propose_solution(actor=a, solution="更换水管"), "solution_proposed"),
    ],
)
def test_each_step_the_complainant_hears_of_writes_one_row_per_channel(submit, agent, step, kind):
    complaint = submit().complaint
    complaint.claim(actor=agent)

    step(complaint, agent)

    assert sorted(n.channel for n in rows(complaint, kind)) == ["email", "sms"]


def test_internal_steps_write_no_notice(submit, agent, supervisor):
    complaint = submit().complaint
    before = len(rows(complaint))
    complaint.claim(actor=agent)
    complaint.add_note(actor=agent, note="内部备注")
    complaint.reassign(actor=supervisor, assignee=supervisor)
    assert len(rows(complaint)) == before


def _resolved(complaint, agent):
    complaint.claim(actor=agent)
    complaint.propose_solution(actor=agent, solution="更换水管")
    services.answer_solution(complaint, accepted=True)
    complaint.mark_handled(actor=agent, note="已更换")


def test_resolved_carries_the_questionnaire_link_and_closed_follows(submit, agent):
    submitted = submit()
    _resolved(submitted.complaint, agent)

    [sms] = [n for n in rows(submitted.complaint, "resolved") if n.channel == "sms"]
    assert reverse("complainants:questionnaire", args=[submitted.token]) in sms.body

    services.answer_questionnaire(submitted.complaint, satisfied=True, rating=5, answers={})
    assert sorted(n.channel for n in rows(submitted.complaint, "closed")) == ["email", "sms"]


def test_closed_by_a_phone_call_back_is_told_too(submit, agent):
    complaint = submit().complaint
    _resolved(complaint, agent)
    complaint.record_callback(actor=agent, method=CallbackMethod.PHONE, satisfied=True)
    assert len(rows(complaint, "closed")) == 2


def test_notices_follow_the_complainant_language(office, category):
    from tests.complainants.conftest import online_fields

    submitted = services.submit_online(office=office, fields=online_fields(category), language="en", consented=True)
    sms, email = rows(submitted.complaint)
    assert "We received your complaint" in sms.body
    assert "We received your complaint" in email.subject


def test_chinese_notices_are_in_chinese(submit):
    sms, email = rows(submit().complaint)
    assert "投诉" in sms.body and "投诉" in email.subject


def test_only_the_channels_the_complainant_gave(submit):
    email_only = submit(contact_phone="", contact_email="only@example.com").complaint
    assert [n.channel for n in rows(email_only)] == ["email"]
    landline = submit(contact_phone="021-62345678", contact_email="").complaint
    assert rows(landline) == []  # a landline takes no SMS


def test_a_complainant_who_stopped_notices_gets_none(submit, agent):
    complaint = submit().complaint
    services.stop_notices(complaint)
    complaint.claim(actor=agent)
    complaint.reply(actor=agent, note="明天上门")
    assert rows(complaint, "replied") == []
    services.resume_notices(complaint)
    complaint.report_progress(actor=agent, note="配件已订")
    assert len(rows(complaint, "progress")) == 2


def test_sending_records_the_notice_on_the_timeline_masked(client, submit, django_capture_on_commit_callbacks):
    submitted = submit()
    ids = [n.pk for n in rows(submitted.complaint)]

    with django_capture_on_commit_callbacks(execute=True):
        counts = deliver_notices(ids)

    assert counts["sent"] == 2
    assert all(n.status == NoticeStatus.SENT for n in rows(submitted.complaint))
    recorded = ComplaintEvent.objects.filter(complaint=submitted.complaint, kind=EventKind.NOTICE_SENT)
    assert sorted(e.data["to"] for e in recorded) == ["139****5678", "w***@example.com"]
    assert len(mail.outbox) == 1 and mail.outbox[0].alternatives
    page = client.get(reverse("complainants:progress", args=[submitted.token])).content.decode()
    assert "139****5678" in page and "13912345678" not in page
    # a second delivery sends nothing again and records nothing again
    with django_capture_on_commit_callbacks(execute=True):
        assert deliver_notices(ids)["sent"] == 0
    assert recorded.count() == 2


def test_a_chinese_sms_fits_the_part_limit(submit, settings):
    settings.HELPDESK_SMS_MAX_CHARS = 70
    [sms] = [n for n in rows(submit().complaint) if n.channel == "sms"]
    parts = split_sms(sms.body)
    assert all(len(p) <= 70 for p in parts)
    assert "".join(parts).count("http") == 1


def test_the_stored_preferences_decide_the_channels(submit, agent):
    complaint = submit().complaint
    ComplainantAccess.objects.filter(complaint=complaint).update(notify_email=False)
    complaint.claim(actor=agent)
    complaint.reply(actor=agent, note="明天上门")
    assert [n.channel for n in rows(complaint, "replied")] == ["sms"]


def test_a_batch_of_steps_finds_its_links_with_one_query(submit, agent):
    from complainants.notices import on_events_logged

    complaints = [submit(contact_phone=f"1391234560{n}").complaint for n in range(2)]
    more = [submit(contact_phone=f"1391234561{n}").complaint for n in range(6)]
    events = []
    for c in complaints + more:
        c.claim(actor=agent)
        c.reply(actor=agent, note="明天上门")
        events.append(c.events.latest("id"))

    def queries(batch):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            on_events_logged(None, events=batch)
        return [q for q in captured.captured_queries if "INSERT" not in q["sql"]]

    # two lookups whatever the batch (the accesses, the links); the rest are the notices' INSERTs
    assert len(queries(events[:2])) == len(queries(events)) == 2
