"""Issue 13: staff e-mails in the recipient's language (`User.language`; empty: the site's),
whatever language the sender's request or the worker runs in, each with an absolute link."""

import pytest
from django.core import mail
from django.utils import translation

from notifications import delivery
from notifications.models import Kind
from tests.factories import ComplaintFactory, UserFactory

from .factories import NotificationFactory

pytestmark = pytest.mark.django_db

SITE = "https://helpdesk.example.com"


@pytest.fixture(autouse=True)
def site(settings):
    settings.HELPDESK_SITE_URL = SITE + "/"


def mail_to(user, complaint, *, request_language: str):
    note = NotificationFactory(
        recipient=user, complaint=complaint, kind=Kind.MOVED_UP, data={"to_level": 1, "cause": "deadline_missed"}
    )
    with translation.override(request_language):  # the sender's (or worker's) language does not count
        assert delivery.deliver_emails([note.pk])["sent"] == 1
    [message] = [m for m in mail.outbox if m.to == [user.email]]
    return message


def test_an_english_reader_gets_an_english_mail(settings, office):
    settings.LANGUAGE_CODE = "zh-hans"  # the site speaks Chinese; this reader chose English
    reader = UserFactory(office=office, language="en")
    complaint = ComplaintFactory(office=office)

    message = mail_to(reader, complaint, request_language="zh-hans")

    assert message.subject == f"[Complaint centre] Moved up: complaint #{complaint.pk}"
    assert f"Complaint #{complaint.pk} was moved up to you (level 1 — service-centre supervisor)" in message.body
    assert "Cause: Reply deadline missed." in message.body
    assert f"Open the complaint: {SITE}/complaints/{complaint.pk}/" in message.body
    assert f"{SITE}/notifications/" in message.body


def test_a_chinese_reader_gets_a_chinese_mail(settings, office):
    settings.LANGUAGE_CODE = "en"
    reader = UserFactory(office=office, language="zh-hans")
    complaint = ComplaintFactory(office=office)

    message = mail_to(reader, complaint, request_language="en")

    assert "已上移" in message.subject and f"#{complaint.pk}" in message.subject  # "Moved up"
    assert f"投诉 #{complaint.pk} 已上移给您" in message.body
    assert "投诉处理中心" in message.body  # "Complaint centre"
    assert "Moved up" not in message.subject and "was moved up" not in message.body
    assert f"{SITE}/complaints/{complaint.pk}/" in message.body


def test_without_a_language_of_their_own_the_site_language_is_used(settings, office):
    settings.LANGUAGE_CODE = "zh-hans"
    reader = UserFactory(office=office, language="")
    complaint = ComplaintFactory(office=office)

    message = mail_to(reader, complaint, request_language="en")

    assert "已上移" in message.subject
    assert f"{SITE}/complaints/{complaint.pk}/" in message.body


def test_each_reader_of_one_batch_gets_their_own_language(settings, office):
    english, chinese = UserFactory(office=office, language="en"), UserFactory(office=office, language="zh-hans")
    complaint = ComplaintFactory(office=office)
    notes = [
        NotificationFactory(recipient=reader, complaint=complaint, kind=Kind.DEPARTMENT_ASSIGNED, data={})
        for reader in (english, chinese)
    ]

    assert delivery.deliver_emails([n.pk for n in notes])["sent"] == 2

    by_reader = {m.to[0]: m for m in mail.outbox}
    assert "is asked to investigate" in by_reader[english.email].body
    assert "is asked to investigate" not in by_reader[chinese.email].body
