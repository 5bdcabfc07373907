"""Notices to complainants (the outbox): the SMS backends, the HTTP gateway against a real
local server, splitting long texts, retries and failure, quiet hours, multipart e-mail with
its Message-ID, sent once, `notice_sent` after commit, and "Send again" in the admin. Celery
runs for real in-process (`task.apply`, whose retries run at once), not in eager mode."""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from unittest import mock
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMultiAlternatives
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError

from notifications import notice_delivery, outbox, sms
from notifications.models import Notice, NoticeChannel, NoticeStatus
from notifications.signals import notice_sent
from notifications.tasks import deliver_notices, deliver_pending_notices
from tests.factories import ComplaintFactory, UserFactory

pytestmark = pytest.mark.django_db

PHONE = "13912345678"
SHANGHAI = ZoneInfo("Asia/Shanghai")  # the test settings' TIME_ZONE: the quiet hours are local
DELAY = "notifications.tasks.deliver_notices.delay"
FORM = "application/x-www-form-urlencoded"
LONG_CHINESE = (
    "【物业服务中心】尊敬的业主，您好！您反映的三号楼一二零二室卫生间天花板漏水问题我们已经收到，"
    "维修部门将于明天上午九点至十一点之间上门查看并处理，届时请您在家等候。"
    "如需改约时间，请致电服务中心。感谢您对我们工作的理解与支持，祝您生活愉快！"
)


def a_notice(**fields) -> Notice:
    now = timezone.now()
    values = {
        "channel": NoticeChannel.SMS,
        "to": PHONE,
        "language": "zh-hans",
        "kind": "received",
        "body": "您的投诉已受理。",
        "created_at": now,
        "not_before": now,
    }
    values.update(fields)
    return Notice.objects.create(**values)


def an_email_notice(**fields) -> Notice:
    values = {
        "channel": NoticeChannel.EMAIL,
        "to": "wang@example.com",
        "subject": "We received your complaint #12",
        "body": "Dear Mr Wang,\nwe received your complaint.",
        "body_html": "<p>Dear Mr Wang,</p><p>we received your complaint.</p>",
    }
    values.update(fields)
    return a_notice(**values)


def run(ids):
    """Apply the task in this process; returns its counts (retries, if any, already run)."""
    result = deliver_notices.apply(args=[ids])
    assert result.successful(), result.traceback
    return result.get()


# ------------------------------------------------------------------ a real gateway
class Gateway:
    """An SMS gateway on 127.0.0.1: records every request and answers with the next status
    of `answers` (200 when none is left; "hang" answers after the client gave up)."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.answers: list[int | str] = []
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                gateway.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                answer = gateway.answers.pop(0) if gateway.answers else 200
                if answer == "hang":
                    time.sleep(1)
                    answer = 200
                payload = b'{"code": 0}' if answer == 200 else b"gateway overloaded"
                self.send_response(int(answer))
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/sms/send"
        self.server.handle_error = lambda request, address: None  # the client gave up on "hang"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def bodies(self) -> list[str]:
        return [r["body"].decode("utf-8") for r in self.requests]


@pytest.fixture
def gateway(settings, monkeypatch):
    monkeypatch.setenv("no_proxy", "127.0.0.1")  # never through a proxy of the environment
    server = Gateway()
    server.thread.start()
    settings.HELPDESK_SMS_BACKEND = "http"
    settings.HELPDESK_SMS_GATEWAY_URL = server.url
    settings.HELPDESK_SMS_GATEWAY_USERNAME = "acct"
    settings.HELPDESK_SMS_GATEWAY_PASSWORD = 'se"cr\\et'
    settings.HELPDESK_SMS_GATEWAY_TIMEOUT = 0.3
    settings.HELPDESK_SMS_QUIET_HOURS = ""
    yield server
    server.server.shutdown()
    server.server.server_close()


def refused_url() -> str:
    """A port on 127.0.0.1 where nobody listens (connection refused)."""
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return f"http://127.0.0.1:{port}/sms/send"


@pytest.fixture
def announced():
    """The notices `notice_sent` announced."""
    heard: list[Notice] = []

    def receiver(sender, *, notice, **kwargs):
        heard.append(notice)

    notice_sent.connect(receiver, dispatch_uid="test_notices.announced")
    yield heard
    notice_sent.disconnect(dispatch_uid="test_notices.announced")


# ------------------------------------------------------------------------ backends
def test_the_console_backend_logs_the_sms_with_the_number_masked(settings, caplog):
    # Given the default backend
    settings.HELPDESK_SMS_BACKEND = "console"
    notice = a_notice()

    # When the notice is delivered
    with caplog.at_level(logging.INFO, logger="notifications.sms"):
        counts = notice_delivery.deliver_notices([notice.pk])

    # Then the log shows it, without the whole number
    assert counts == {"sent": 1, "failed": 0, "retry": 0}
    assert "SMS to 139****5678: 您的投诉已受理。" in caplog.text
    assert PHONE not in caplog.text
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.SENT and notice.sent_at is not None and notice.parts == 1


def test_the_file_backend_appends_one_json_line_per_sms_creating_the_folder(settings, tmp_path):
    folder = tmp_path / "var" / "sms"
    settings.HELPDESK_SMS_BACKEND = "file"
    settings.HELPDESK_SMS_FILE_PATH = str(folder)
    first, second = a_notice(), a_notice(to="13800138000", body="第二条短信")

    notice_delivery.deliver_notices([first.pk, second.pk])

    [file] = folder.glob("sms-*.jsonl")
    lines = [json.loads(line) for line in file.read_text(encoding="utf-8").splitlines()]
    assert [(line["to"], line["text"]) for line in lines] == [
        (PHONE, "您的投诉已受理。"),
        ("13800138000", "第二条短信"),
    ]
    assert "您的投诉" in file.read_text(encoding="utf-8")  # readable, not \\u-escaped


class RecordingBackend(sms.BaseSmsBackend):
    sent: list[tuple[str, str]] = []

    def send(self, to: str, text: str) -> None:
        RecordingBackend.sent.append((to, text))


def test_a_backend_may_be_given_by_its_dotted_path(settings):
    settings.HELPDESK_SMS_BACKEND = "tests.notifications.test_notices.RecordingBackend"
    RecordingBackend.sent = []
    notice = a_notice()

    notice_delivery.deliver_notices([notice.pk])

    assert RecordingBackend.sent == [(PHONE, "您的投诉已受理。")]
    assert isinstance(sms.get_backend(), RecordingBackend)


def test_the_http_backend_posts_the_json_template_with_every_value_escaped(gateway, settings):
    # Given the default JSON template, a password and a text that need escaping
    assert settings.HELPDESK_SMS_GATEWAY_CONTENT_TYPE == "application/json"
    text = '投诉#12已受理，回复"好"即可。{password}\n查看：https://h.example.com/p/a?x=1&y=2'
    notice = a_notice(body=text)

    # When it is delivered
    assert notice_delivery.deliver_notices([notice.pk])["sent"] == 1

    # Then the gateway received exactly this body, the Chinese text intact
    [request] = gateway.requests
    assert request["path"] == "/sms/send"
    assert request["headers"]["Content-Type"] == "application/json"
    assert gateway.bodies() == [
        '{"account": "acct", "password": "se\\"cr\\\\et", "mobile": "13912345678", '
        '"content": "投诉#12已受理，回复\\"好\\"即可。{password}\\n查看：https://h.example.com/p/a?x=1&y=2"}'
    ]
    received = json.loads(request["body"])
    assert received["content"] == text and received["password"] == 'se"cr\\et'


def test_the_http_backend_posts_a_form_template_url_encoded(gateway, settings):
    settings.HELPDESK_SMS_GATEWAY_CONTENT_TYPE = FORM
    settings.HELPDESK_SMS_GATEWAY_BODY = "account={username}&password={password}&mobile={to}&content={text}"
    notice = a_notice(body="您好 a&b=c+d")

    notice_delivery.deliver_notices([notice.pk])

    [request] = gateway.requests
    assert request["headers"]["Content-Type"] == FORM
    assert gateway.bodies() == [
        "account=acct&password=se%22cr%5Cet&mobile=13912345678&content=%E6%82%A8%E5%A5%BD+a%26b%3Dc%2Bd"
    ]
    assert parse_qs(gateway.bodies()[0])["content"] == ["您好 a&b=c+d"]


def test_a_gateway_content_type_that_cannot_be_escaped_fails_the_notice_at_once(gateway, settings):
    settings.HELPDESK_SMS_GATEWAY_CONTENT_TYPE = "text/xml"
    notice = a_notice()

    counts = run([notice.pk])

    assert counts == {"sent": 0, "failed": 1, "retry": 0}
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.FAILED and notice.attempts == 1
    assert "ImproperlyConfigured" in notice.last_error
    assert gateway.requests == []


# ------------------------------------------------------------ failures and retries
def test_a_failing_gateway_counts_the_attempts_and_fails_the_notice_after_the_last(gateway, settings, announced):
    notice = a_notice()

    # When the gateway answers 500
    gateway.answers = [500]
    with pytest.raises(sms.SmsTransientError):
        notice_delivery.deliver_notices([notice.pk])
    # Then the attempt and the answer are recorded, and the notice waits
    notice.refresh_from_db()
    assert (notice.status, notice.attempts) == (NoticeStatus.PENDING, 1)
    assert "500" in notice.last_error and "gateway overloaded" in notice.last_error
    assert 'se"cr' not in notice.last_error

    # When nobody listens any more
    settings.HELPDESK_SMS_GATEWAY_URL = refused_url()
    with pytest.raises(sms.SmsGatewayUnreachable):
        notice_delivery.deliver_notices([notice.pk])
    notice.refresh_from_db()
    assert (notice.status, notice.attempts) == (NoticeStatus.PENDING, 2)
    assert "unreachable" in notice.last_error and "refused" in notice.last_error.lower()

    # Then after the sixth attempt it is failed, and never tried again
    for _ in range(3):
        with pytest.raises(sms.SmsGatewayUnreachable):
            notice_delivery.deliver_notices([notice.pk])
    assert notice_delivery.deliver_notices([notice.pk]) == {"sent": 0, "failed": 1, "retry": 0}
    notice.refresh_from_db()
    assert (notice.status, notice.attempts, notice.sent_at) == (NoticeStatus.FAILED, 6, None)
    settings.HELPDESK_SMS_GATEWAY_URL = gateway.url
    assert notice_delivery.deliver_notices([notice.pk]) == {"sent": 0, "failed": 0, "retry": 0}
    assert len(gateway.requests) == 1 and announced == []


def test_a_gateway_that_does_not_answer_in_time_is_a_transient_error(gateway):
    gateway.answers = ["hang"]
    notice = a_notice()

    with pytest.raises(sms.SmsGatewayUnreachable):
        notice_delivery.deliver_notices([notice.pk])

    notice.refresh_from_db()
    assert notice.status == NoticeStatus.PENDING and notice.attempts == 1
    assert "timed out" in notice.last_error


def test_the_task_retries_with_backoff_and_a_later_success_is_announced_once(
    gateway, announced, django_capture_on_commit_callbacks
):
    # Given a gateway that fails twice, then takes the message
    gateway.answers = [500, 503]
    notice = a_notice()

    # When the task runs (its retries at once)
    with (
        mock.patch.object(deliver_notices, "retry", wraps=deliver_notices.retry) as retry,
        django_capture_on_commit_callbacks(execute=True),
    ):
        counts = run([notice.pk])

    # Then it was retried with exponential backoff, sent once and announced once
    assert counts["sent"] == 1
    assert retry.call_count == 2
    for n, call in enumerate(retry.call_args_list):
        assert 0 <= call.kwargs["countdown"] <= 2**n
    notice.refresh_from_db()
    assert (notice.status, notice.attempts) == (NoticeStatus.SENT, 3)
    assert "503" in notice.last_error  # the last error is kept
    assert len(gateway.requests) == 3
    assert [n.pk for n in announced] == [notice.pk]
    assert announced[0].status == NoticeStatus.SENT


def test_the_task_fails_the_notice_after_its_last_retry(gateway):
    gateway.answers = [500] * 10
    notice = a_notice()

    counts = run([notice.pk])

    assert counts == {"sent": 0, "failed": 1, "retry": 0}
    assert len(gateway.requests) == 6  # the first try and five retries
    notice.refresh_from_db()
    assert (notice.status, notice.attempts) == (NoticeStatus.FAILED, 6)


def test_the_tasks_retry_only_named_transient_errors():
    assert deliver_notices.name == "notifications.tasks.deliver_notices"
    assert deliver_pending_notices.name == "notifications.tasks.deliver_pending_notices"
    assert deliver_notices.acks_late is True and deliver_notices.reject_on_worker_lost is True
    assert deliver_notices.retry_backoff is True
    assert deliver_notices.max_retries == 5
    assert sms.SmsTransientError in deliver_notices.autoretry_for
    assert Exception not in deliver_notices.autoretry_for
    assert deliver_pending_notices.acks_late is True


def test_an_unreachable_gateway_is_tried_once_per_run(settings):
    # Given three SMS and a gateway where nobody listens
    settings.HELPDESK_SMS_BACKEND = "http"
    settings.HELPDESK_SMS_GATEWAY_URL = refused_url()
    notices = [a_notice(), a_notice(), a_notice()]

    tried = []
    real_send = sms.HttpBackend.send

    def send(self, to, text):
        tried.append(to)
        return real_send(self, to, text)

    with mock.patch.object(sms.HttpBackend, "send", send):
        counts = notice_delivery.deliver_notices([n.pk for n in notices], raise_transient=False)

    # Then one connection was tried, and every notice got the attempt and the error
    assert len(tried) == 1
    assert counts == {"sent": 0, "failed": 0, "retry": 3}
    rows = Notice.objects.values_list("status", "attempts")
    assert set(rows) == {(NoticeStatus.PENDING, 1)}
    assert all("refused" in e.lower() for e in Notice.objects.values_list("last_error", flat=True))


def test_a_gateway_refusing_one_message_does_not_hold_up_the_next(gateway):
    gateway.answers = [400]
    first, second = a_notice(), a_notice(to="13800138000")

    counts = notice_delivery.deliver_notices([first.pk, second.pk], raise_transient=False)

    assert counts == {"sent": 1, "failed": 0, "retry": 1}
    assert Notice.objects.get(pk=first.pk).status == NoticeStatus.PENDING
    assert Notice.objects.get(pk=second.pk).status == NoticeStatus.SENT


# ----------------------------------------------------------------------- splitting
def test_a_short_text_is_one_sms_without_a_prefix(settings):
    assert sms.split_sms("您的投诉已受理。", 70) == ["您的投诉已受理。"]
    assert sms.split_sms("字" * 70, 70) == ["字" * 70]


def test_a_long_chinese_text_is_split_into_numbered_parts_that_each_fit(gateway, settings):
    # Given a text longer than one SMS
    settings.HELPDESK_SMS_MAX_CHARS = 70
    assert 70 < len(LONG_CHINESE) <= 130
    notice = a_notice(body=LONG_CHINESE)

    # When it is delivered
    notice_delivery.deliver_notices([notice.pk])

    # Then the gateway got two numbered parts, each within the limit, together the whole text
    texts = [json.loads(body)["content"] for body in gateway.bodies()]
    assert [t[:5] for t in texts] == ["(1/2)", "(2/2)"]
    assert all(len(t) <= 70 for t in texts)
    assert "".join(t[5:] for t in texts) == LONG_CHINESE
    notice.refresh_from_db()
    assert notice.parts == 2 and notice.status == NoticeStatus.SENT


def test_splitting_keeps_a_url_in_one_part_when_it_fits():
    url = "https://helpdesk.example.com/p/Zk3xQ9aB7c"
    text = "您的投诉#123有新的回复，请点击以下链接查看处理进度和回复内容：" + url + "。谢谢！"
    assert len(text.split("https")[0]) < 65 < len(text.split("。谢谢")[0])  # the URL would straddle the parts

    parts = sms.split_sms(text, 70)

    assert len(parts) == 2
    assert any(url in part for part in parts)
    assert all(len(part) <= 70 for part in parts)
    assert parts[1].startswith("(2/2)" + url)


def test_a_url_longer_than_a_part_is_split_and_nothing_is_lost():
    url = "https://helpdesk.example.com/p/" + "a" * 80
    parts = sms.split_sms("进度：" + url, 40)
    assert all(len(part) <= 40 for part in parts)
    assert "".join(part.split(")", 1)[1] for part in parts) == "进度：" + url


def test_splitting_counts_the_prefix_width_of_ten_parts_and_more():
    # 620 characters are 10 parts of 65 with "(1/9)", so the prefix is "(1/10)" and parts hold 63
    parts = sms.split_sms("字" * 620, 70)
    assert len(parts) == 10
    assert parts[0].startswith("(1/10)") and parts[-1].startswith("(10/10)")
    assert all(len(part) <= 70 for part in parts)
    assert sum(len(part.split(")", 1)[1]) for part in parts) == 620


def test_a_limit_without_room_for_the_text_is_a_settings_error():
    with pytest.raises(ImproperlyConfigured):
        sms.split_sms("字" * 20, 5)


# --------------------------------------------------------------------- quiet hours
def test_an_sms_written_in_the_quiet_hours_is_sent_at_their_end(
    settings, gateway, django_capture_on_commit_callbacks, announced
):
    # Given quiet hours from 21:00 to 08:00 (Asia/Shanghai) and a complaint step at 22:30
    settings.HELPDESK_SMS_QUIET_HOURS = "21:00-08:00"
    night = datetime(2026, 3, 2, 22, 30, tzinfo=SHANGHAI)
    morning = datetime(2026, 3, 3, 8, 0, tzinfo=SHANGHAI)
    assert outbox.sms_not_before(night) == morning
    assert outbox.sms_not_before(morning) == morning  # outside: now

    # When an SMS and an e-mail are written then
    with mock.patch("django.utils.timezone.now", return_value=night), mock.patch(DELAY) as delay:
        with django_capture_on_commit_callbacks(execute=True):
            text = outbox.queue_notice(channel=NoticeChannel.SMS, to=PHONE, language="zh-hans", kind="x", body="晚安")
            email = outbox.queue_notice(
                channel=NoticeChannel.EMAIL, to="w@example.com", language="en", kind="x", body="Hi"
            )

    # Then only the e-mail goes to the task now; the SMS waits for the morning
    assert text.not_before == morning and email.not_before == night
    delay.assert_called_once_with([email.pk])
    with django_capture_on_commit_callbacks(execute=True):
        assert notice_delivery.deliver_notices([text.pk], now=night + timedelta(hours=1))["sent"] == 0
        assert deliver_pending_notices_at(morning - timedelta(minutes=1))["sent"] == 1  # the e-mail only
    assert gateway.requests == []

    # And at 08:00 the periodic run sends it (no minute's grace: it was due then), once
    with django_capture_on_commit_callbacks(execute=True):
        counts = deliver_pending_notices_at(morning)
        again = deliver_pending_notices_at(morning + timedelta(minutes=5))
    assert counts["picked_up"] == 1 and counts["sent"] == 1
    assert again["picked_up"] == 0
    assert gateway.bodies() and json.loads(gateway.bodies()[0])["content"] == "晚安"
    assert len(gateway.requests) == 1
    assert sorted(n.pk for n in announced) == sorted([text.pk, email.pk])


def deliver_pending_notices_at(now: datetime) -> dict:
    return notice_delivery.deliver_pending_notices(now=now)


def test_the_periodic_run_leaves_a_fresh_notice_to_its_task_for_a_minute(settings):
    settings.HELPDESK_SMS_BACKEND = "console"
    now = timezone.now()
    fresh = a_notice(created_at=now - timedelta(seconds=20), not_before=now - timedelta(seconds=20))
    lost = a_notice(created_at=now - timedelta(minutes=3), not_before=now - timedelta(minutes=3))

    counts = deliver_pending_notices.apply().get()

    assert counts["picked_up"] == 1 and counts["sent"] == 1
    assert Notice.objects.get(pk=lost.pk).status == NoticeStatus.SENT
    assert Notice.objects.get(pk=fresh.pk).status == NoticeStatus.PENDING


# ------------------------------------------------------------------------- e-mail
def test_an_email_notice_is_multipart_with_its_message_id(settings, announced, django_capture_on_commit_callbacks):
    settings.HELPDESK_SITE_URL = "https://helpdesk.example.com"
    notice = an_email_notice()

    with django_capture_on_commit_callbacks(execute=True):
        assert run([notice.pk])["sent"] == 1

    [message] = mail.outbox
    assert isinstance(message, EmailMultiAlternatives)
    assert message.to == ["wang@example.com"]
    assert message.subject == "We received your complaint #12"
    assert message.body == "Dear Mr Wang,\nwe received your complaint."
    assert message.alternatives == [("<p>Dear Mr Wang,</p><p>we received your complaint.</p>", "text/html")]
    assert message.extra_headers["Message-ID"] == f"<notice-{notice.pk}@helpdesk.example.com>"
    parsed = message.message()
    assert parsed.get_content_type() == "multipart/alternative"
    assert parsed["Message-ID"] == f"<notice-{notice.pk}@helpdesk.example.com>"
    assert parsed["Auto-Submitted"] == "auto-generated"
    assert [n.pk for n in announced] == [notice.pk]


def test_an_unreachable_mail_server_leaves_the_email_notices_pending(settings):
    notices = [an_email_notice(), an_email_notice(to="li@example.com")]
    backend = mock.Mock()
    backend.open.side_effect = ConnectionRefusedError(111, "Connection refused")

    with mock.patch("notifications.notice_delivery.get_connection", return_value=backend):
        with pytest.raises(ConnectionRefusedError):
            notice_delivery.deliver_notices([n.pk for n in notices])

    backend.send_messages.assert_not_called()
    assert backend.open.call_count == 1
    assert set(Notice.objects.values_list("status", "attempts")) == {(NoticeStatus.PENDING, 1)}


# --------------------------------------------------------------- sent once, announced
def test_a_sent_notice_is_never_sent_twice(gateway, announced, django_capture_on_commit_callbacks):
    text, email = a_notice(), an_email_notice()

    with django_capture_on_commit_callbacks(execute=True):
        first = run([text.pk, email.pk])
        second = run([text.pk, email.pk, text.pk])
        swept = notice_delivery.deliver_pending_notices(now=timezone.now() + timedelta(hours=1))

    assert first["sent"] == 2 and second["sent"] == 0 and swept["picked_up"] == 0
    assert len(gateway.requests) == 1 and len(mail.outbox) == 1
    assert len(announced) == 2


def test_notice_sent_is_announced_only_after_commit(settings, announced, django_capture_on_commit_callbacks):
    settings.HELPDESK_SMS_BACKEND = "console"
    notice = a_notice()

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notice_delivery.deliver_notices([notice.pk])
        assert announced == []

    assert len(callbacks) == 1
    callbacks[0]()
    assert [n.pk for n in announced] == [notice.pk]


def test_a_failing_receiver_neither_undoes_nor_resends_the_notice(
    settings, gateway, announced, django_capture_on_commit_callbacks, caplog
):
    def broken(sender, **kwargs):
        raise RuntimeError("timeline is down")

    notice_sent.connect(broken, dispatch_uid="test_notices.broken")
    try:
        notice = a_notice()
        with caplog.at_level(logging.ERROR), django_capture_on_commit_callbacks(execute=True):
            assert run([notice.pk])["sent"] == 1
            assert run([notice.pk])["sent"] == 0
    finally:
        notice_sent.disconnect(dispatch_uid="test_notices.broken")

    notice.refresh_from_db()
    assert notice.status == NoticeStatus.SENT
    assert len(gateway.requests) == 1
    assert [n.pk for n in announced] == [notice.pk]  # the other receivers still hear of it
    assert "timeline is down" in caplog.text


# ------------------------------------------------------------------- the hand-off
def test_a_notice_is_handed_to_the_task_only_after_commit(settings, django_capture_on_commit_callbacks):
    settings.HELPDESK_SMS_QUIET_HOURS = ""
    with mock.patch(DELAY) as delay:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            notice = outbox.queue_notice(channel=NoticeChannel.SMS, to=PHONE, language="zh-hans", kind="x", body="好")
        delay.assert_not_called()
        for callback in callbacks:
            callback()
    delay.assert_called_once_with([notice.pk])


def test_a_broker_that_is_down_leaves_the_notice_pending(settings, django_capture_on_commit_callbacks, caplog):
    settings.HELPDESK_SMS_QUIET_HOURS = ""
    with mock.patch(DELAY, side_effect=OperationalError("Error 111 connecting to redis")):
        with caplog.at_level(logging.WARNING), django_capture_on_commit_callbacks(execute=True):
            notice = outbox.queue_notice(channel=NoticeChannel.SMS, to=PHONE, language="zh-hans", kind="x", body="好")

    assert Notice.objects.get(pk=notice.pk).status == NoticeStatus.PENDING
    assert "1 notice(s), left pending" in caplog.text


def test_a_slow_broker_is_waited_for_at_most_the_publish_wait(settings, django_capture_on_commit_callbacks):
    settings.HELPDESK_SMS_QUIET_HOURS = ""
    settings.HELPDESK_BROKER_PUBLISH_WAIT = 0.1
    settings.HELPDESK_BROKER_BACKOFF_SECONDS = 30
    released = threading.Event()
    from notifications.services import broker_backoff

    try:
        with mock.patch(DELAY, side_effect=lambda ids: released.wait(2)) as delay:
            started = time.monotonic()
            with django_capture_on_commit_callbacks(execute=True):
                outbox.queue_notice(channel=NoticeChannel.SMS, to=PHONE, language="zh-hans", kind="x", body="好")
            assert time.monotonic() - started < 1
            assert delay.called and broker_backoff.open()
            released.set()
    finally:
        released.set()
        broker_backoff.reset()


# -------------------------------------------------------------------------- admin
def test_the_admin_lists_notices_with_the_number_masked_and_sends_failed_ones_again(
    client, settings, django_capture_on_commit_callbacks
):
    # Given a failed SMS, a failed e-mail and a sent SMS, and someone who may send again
    settings.HELPDESK_SMS_QUIET_HOURS = ""
    complaint = ComplaintFactory()
    failed = a_notice(complaint=complaint, status=NoticeStatus.FAILED, attempts=6, last_error="SmsTransientError: 500")
    failed_email = an_email_notice(status=NoticeStatus.FAILED, attempts=1, last_error="ValueError: x")
    sent = a_notice(status=NoticeStatus.SENT, sent_at=timezone.now(), attempts=1)
    admin_user = UserFactory(is_staff=True)
    admin_user.user_permissions.add(*Permission.objects.filter(codename__in=["view_notice", "change_notice"]))
    client.force_login(admin_user)
    url = reverse("admin:notifications_notice_changelist")

    # When the list is shown
    response = client.get(url, {"status__exact": "failed"})

    # Then it shows the masked number, never the whole one
    assert response.status_code == 200
    content = response.content.decode()
    assert "139****5678" in content and PHONE not in content
    assert f"#{complaint.pk}" in content
    assert len(response.context["cl"].result_list) == 2

    # When the three are sent again
    with mock.patch(DELAY) as delay, django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url, {"action": "send_again", "_selected_action": [failed.pk, failed_email.pk, sent.pk]}, follow=True
        )

    # Then the failed ones are pending again, their attempts kept, and handed to the task
    assert response.status_code == 200
    rows = dict(Notice.objects.values_list("pk", "status"))
    assert rows == {failed.pk: NoticeStatus.PENDING, failed_email.pk: NoticeStatus.PENDING, sent.pk: NoticeStatus.SENT}
    assert Notice.objects.get(pk=failed.pk).attempts == 6
    delay.assert_called_once_with([failed.pk, failed_email.pk])
    messages = [str(m) for m in response.context["messages"]]
    assert "2 failed notices will be sent again." in messages
    assert "1 notice was left alone: only failed notices can be sent again." in messages


def test_the_admin_is_read_only_and_send_again_needs_the_change_permission(client):
    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_notice"))
    notice = a_notice(status=NoticeStatus.FAILED, attempts=6)
    client.force_login(viewer)

    response = client.get(reverse("admin:notifications_notice_changelist"))
    assert response.status_code == 200
    assert "send_again" not in response.content.decode()
    change = client.get(reverse("admin:notifications_notice_change", args=[notice.pk]))
    assert change.status_code == 200 and b'name="_save"' not in change.content
    assert client.get(reverse("admin:notifications_notice_add")).status_code == 403
    assert (
        client.post(reverse("admin:notifications_notice_delete", args=[notice.pk]), {"post": "yes"}).status_code == 403
    )


def test_send_again_in_the_quiet_hours_waits_for_their_end(settings, django_capture_on_commit_callbacks):
    settings.HELPDESK_SMS_QUIET_HOURS = "21:00-08:00"
    night = datetime(2026, 3, 2, 23, 0, tzinfo=SHANGHAI)
    notice = a_notice(status=NoticeStatus.FAILED, attempts=6, created_at=night - timedelta(days=1))

    with mock.patch("django.utils.timezone.now", return_value=night), mock.patch(DELAY) as delay:
        with django_capture_on_commit_callbacks(execute=True):
            assert outbox.send_again([notice.pk]) == 1

    delay.assert_not_called()
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.PENDING
    assert notice.not_before == datetime(2026, 3, 3, 8, 0, tzinfo=SHANGHAI)
    assert deliver_pending_notices_at(night + timedelta(hours=1))["picked_up"] == 0
