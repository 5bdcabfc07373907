"""Complaints by e-mail (issue 12, R-C1 online): `complainants.mail.take_in` on real messages
(tests/complainants/emails/*.eml: GBK and mislabelled GB2312, UTF-8 quoted-printable with a
photo, HTML only, an automatic reply, a bounce, one of our own notices) and on replies built
from the notice a complaint really got; and the MTA's entry point, `manage.py receive_email`."""

from __future__ import annotations

import io
import os
from datetime import timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import OperationalError
from django.utils import timezone
from PIL import Image

from accounts.models import Office
from complainants import mail, tokens
from complainants.models import ComplainantAccess, InboundEmail, InboundOutcome, Source
from complaints.attachments import AttachmentKind, ComplaintAttachment, check_uploads
from complaints.choices import Channel, CloseReason, EventKind, Status
from complaints.models import Complaint
from customers.storage import get_private_storage
from helpdesk.bounds import TEXT_MAX
from notifications.models import Notice, NoticeChannel
from tests.factories import ComplaintFactory, OfficeFactory

EMAILS = Path(__file__).parent / "emails"
GPS_IFD = 0x8825
HOST = "helpdesk.example.com"


@pytest.fixture(autouse=True)
def _mail_settings(settings, tmp_path):
    settings.HELPDESK_PRIVATE_MEDIA_ROOT = str(tmp_path / "private")
    settings.HELPDESK_SITE_URL = f"https://{HOST}"
    settings.DEFAULT_FROM_EMAIL = f"Service centre <helpdesk@{HOST}>"
    settings.HELPDESK_EMAIL_INTAKE_OFFICE = ""
    settings.HELPDESK_EMAIL_INTAKE_CATEGORY = "other"


def eml(name: str) -> bytes:
    return (EMAILS / name).read_bytes()


def jpeg(*, gps: bool = True) -> bytes:
    exif = Image.Exif()
    if gps:
        exif[GPS_IFD] = {1: "N", 2: (31.0, 14.0, 0.0), 3: "E", 4: (121.0, 28.0, 0.0)}
    out = io.BytesIO()
    Image.new("RGB", (32, 24), (10, 120, 200)).save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def message(
    *,
    subject: str = "Broken gate",
    body: str = "The car park gate has been stuck open for three days.",
    sender: str = "Wang Wei <wang.wei@example.com>",
    date=None,
    files: tuple[tuple[str, bytes, str], ...] = (),
    **headers: str,
) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "complaints@example.com"
    msg["Subject"] = subject
    msg["Date"] = format_datetime(date or timezone.now())
    msg["Message-ID"] = make_msgid(domain="example.com")
    msg.set_content(body)
    for name, data, content_type in files:
        maintype, subtype = content_type.split("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    for name, value in headers.items():  # after the content: set_content() drops Content-* headers
        msg[name.replace("_", "-")] = value
    return msg.as_bytes()


def stored_photo(attachment: ComplaintAttachment) -> Image.Image:
    with get_private_storage().open(attachment.stored_name, "rb") as fh:
        image = Image.open(io.BytesIO(fh.read()))
        image.load()
    return image


# --------------------------------------------------------------------- new complaints
def test_gbk_subject_and_body_make_an_unclaimed_online_complaint(office, django_capture_on_commit_callbacks):
    # Given an office that takes e-mail (the first non-head office) and a GBK message
    OfficeFactory(is_head_office=True)
    # When it is taken in
    result = mail.take_in(eml("gbk_subject.eml"))
    # Then it is a new online complaint, waiting in the office's queue
    assert (result.outcome, result.duplicate) == (InboundOutcome.CREATED, False)
    complaint = Complaint.objects.get(pk=result.complaint_id)
    assert complaint.office == office
    assert complaint.channel == Channel.ONLINE and complaint.received_by is None
    assert complaint.status == Status.RECEIVED
    assert complaint.subject == "楼上卫生间漏水一周无人处理"
    assert complaint.complainant_name == "李娜"
    assert complaint.contact_email == "lina@example.cn"
    assert "楼上卫生间漏水已经一个星期了，天花板发霉。" in complaint.description
    assert complaint.category.code == "other"
    assert complaint.incident_place == "Not stated (e-mail)"
    # the message's date (June 2024) is older than HELPDESK_BACKDATE_DAYS: the time it came
    assert abs(complaint.incident_at - timezone.now()) < timedelta(minutes=1)
    access = ComplainantAccess.objects.get(complaint=complaint)
    assert (access.source, access.language, access.consented_at) == (Source.EMAIL, "zh-hans", None)
    assert complaint.events.get(kind=EventKind.RECEIVED).data["via"] == Source.EMAIL
    row = InboundEmail.objects.get(message_id="<20240603091240.4711@example.cn>")
    assert (row.outcome, row.complaint, row.sender) == (InboundOutcome.CREATED, complaint, "lina@example.cn")
    assert row.subject == complaint.subject
    # and the complainant is told, by e-mail, with the reference and the token in the subject
    notice = Notice.objects.get(complaint=complaint, kind="received", channel=NoticeChannel.EMAIL)
    assert notice.to == "lina@example.cn"
    assert f"[{complaint.reference} " in notice.subject


def test_gb2312_label_on_gbk_text_is_decoded_as_gbk(office):
    result = mail.take_in(eml("gb2312_mislabelled.eml"))

    complaint = Complaint.objects.get(pk=result.complaint_id)
    assert complaint.complainant_name == "张喆"  # 喆 is not in GB2312
    assert complaint.subject == "东门路灯坏了（张喆）"
    assert "我是张喆，住12号楼。朱镕路那边也一样。" in complaint.description
    assert "\ufffd" not in complaint.description + complaint.subject + complaint.complainant_name


def test_raw_8bit_gbk_headers_are_decoded_too(office):
    # Given an old client's message whose headers are GBK bytes, not encoded words
    raw = (
        "From: 王建国 <wjg@example.cn>\r\nSubject: 楼道灯坏了\r\nMessage-ID: <8bit-gbk@example.cn>\r\n"
        "Precedence: 普通\r\nContent-Type: text/plain; charset=gbk\r\n\r\n三楼楼道灯不亮。\r\n"
    ).encode("gbk")

    result = mail.take_in(raw)

    complaint = Complaint.objects.get(pk=result.complaint_id)
    assert (complaint.complainant_name, complaint.subject) == ("王建国", "楼道灯坏了")
    assert complaint.description == "三楼楼道灯不亮。"
    assert InboundEmail.objects.get().subject == "楼道灯坏了"


def test_utf8_quoted_printable_with_a_photo_keeps_the_photo_without_exif(office):
    # Given a message whose JPEG carries a GPS position
    raw = eml("utf8_qp_photo.eml")
    [upload] = mail.read(raw).files
    assert Image.open(upload).getexif().get_ifd(GPS_IFD), "the test photo must carry GPS"
    # When it is taken in
    result = mail.take_in(raw)
    # Then the photo is kept on the received step, its name decoded, with no EXIF at all
    complaint = Complaint.objects.get(pk=result.complaint_id)
    assert complaint.subject == "车库积水"
    assert complaint.complainant_name == "赵先生"
    assert "车库B2层入口的积水越来越深，照片见附件。\n请物业尽快处理排水沟。" in complaint.description
    [attachment] = ComplaintAttachment.objects.filter(complaint=complaint)
    assert attachment.kind == AttachmentKind.IMAGE
    assert attachment.original_name == "车库积水.jpg"
    assert attachment.event.kind == EventKind.RECEIVED
    photo = stored_photo(attachment)
    assert not photo.getexif()
    assert "exif" not in photo.info


def test_html_only_message_without_message_id_is_read_as_text_and_taken_once(office):
    raw = eml("html_only_no_message_id.eml")

    first = mail.take_in(raw)
    again = mail.take_in(raw)

    complaint = Complaint.objects.get(pk=first.complaint_id)
    assert complaint.description == (
        "The lift in building 9 has been broken since Monday & nobody came.\n\nPlease send someone.\nTom"
    )
    assert complaint.complainant_name == "Tom Baker"
    assert ComplainantAccess.objects.get(complaint=complaint).language == "en"  # plain ASCII
    assert first.message_id == mail.synthetic_message_id(raw)
    assert (again.duplicate, again.outcome, again.complaint_id) == (True, InboundOutcome.CREATED, complaint.pk)
    assert Complaint.objects.count() == 1


def test_a_second_delivery_of_the_same_message_id_changes_nothing(office):
    raw = eml("gbk_subject.eml")
    first = mail.take_in(raw)
    counts = (Complaint.objects.count(), Notice.objects.count(), InboundEmail.objects.count())

    again = mail.take_in(raw.replace(b"X-Mailer: Foxmail", b"X-Mailer: Resent by"))

    assert again.duplicate and again.label == mail.DUPLICATE
    assert (again.outcome, again.complaint_id) == (first.outcome, first.complaint_id)
    assert (Complaint.objects.count(), Notice.objects.count(), InboundEmail.objects.count()) == counts


def test_sender_without_a_display_name_is_named_by_the_local_part_and_english_is_detected(office):
    result = mail.take_in(message(sender="li.lei@example.com", subject="", Content_Language="en-GB", body="中文"))

    complaint = Complaint.objects.get(pk=result.complaint_id)
    assert complaint.complainant_name == "li.lei"
    assert complaint.subject == "(no subject)"
    assert ComplainantAccess.objects.get(complaint=complaint).language == "en"


def test_a_sane_date_is_the_time_of_the_incident_a_future_one_is_not(office):
    two_hours_ago = (timezone.now() - timedelta(hours=2)).replace(microsecond=0)
    dated = mail.take_in(message(date=two_hours_ago))
    future = mail.take_in(message(date=timezone.now() + timedelta(days=1)))

    assert Complaint.objects.get(pk=dated.complaint_id).incident_at == two_hours_ago
    assert abs(Complaint.objects.get(pk=future.complaint_id).incident_at - timezone.now()) < timedelta(minutes=1)


def test_a_long_text_is_cut_to_the_limit_with_a_note(office):
    result = mail.take_in(message(body="漏水。" * 3000))

    description = Complaint.objects.get(pk=result.complaint_id).description
    assert len(description) <= TEXT_MAX
    assert description.startswith("漏水。漏水。")
    assert f"The e-mail was cut here: it is longer than {TEXT_MAX} characters." in description


def test_files_the_rules_refuse_and_files_over_the_limit_are_listed_not_kept(office, settings):
    # Given a limit of one file per step, two photos and a program
    settings.HELPDESK_ATTACHMENTS_PER_STEP = 1
    raw = message(
        files=(
            ("gate.jpg", jpeg(), "image/jpeg"),
            ("gate-2.jpg", jpeg(), "image/jpeg"),
            ("setup.exe", b"MZ\x90\x00", "application/octet-stream"),
        )
    )
    # When it is taken in
    result = mail.take_in(raw)
    # Then the first photo is kept and the others are named in the description, with why
    complaint = Complaint.objects.get(pk=result.complaint_id)
    assert list(complaint.attachments.values_list("original_name", flat=True)) == ["gate.jpg"]
    assert "Attachments not kept:" in complaint.description
    assert "- gate-2.jpg (at most 1 files are kept)" in complaint.description
    assert "- setup.exe (Files of type “exe” cannot be attached." in complaint.description


@pytest.mark.parametrize("found", ["before", "when stored"])
def test_a_photo_that_passes_the_checks_but_does_not_decode_does_not_lose_the_message(
    office, caplog, monkeypatch, found
):
    # Given a truncated JPEG: its header passes check_uploads, decoding it fails
    out = io.BytesIO()
    Image.frombytes("RGB", (200, 150), os.urandom(200 * 150 * 3)).save(out, "JPEG")
    broken = SimpleUploadedFile("broken.jpg", out.getvalue()[:2000], content_type="image/jpeg")
    assert not check_uploads([broken])
    if found == "when stored":  # the last line of defence: storing it fails the intake once
        monkeypatch.setattr(mail, "photo_decodes", lambda upload: True)
    # When it comes with a message and a good photo
    files = (("broken.jpg", broken.read(), "image/jpeg"), ("good.jpg", jpeg(), "image/jpeg"))
    result = mail.take_in(message(files=files))
    # Then the complaint is made, and says what it could not keep
    assert result.outcome == InboundOutcome.CREATED
    complaint = Complaint.objects.get(pk=result.complaint_id)
    assert "- broken.jpg (The photo cannot be read.)" in complaint.description
    if found == "before":
        assert list(complaint.attachments.values_list("original_name", flat=True)) == ["good.jpg"]
    else:  # which file failed is not known: none is kept, each is listed
        assert not complaint.attachments.exists()
        assert "- good.jpg (The photo cannot be read.)" in complaint.description
        assert "could not be stored" in caplog.text


@pytest.mark.parametrize(
    ("setting", "reason"),
    [
        ("no-such-office", "HELPDESK_EMAIL_INTAKE_OFFICE names no office"),
        ("", "No office takes e-mail complaints"),
    ],
)
def test_without_an_intake_office_the_message_is_rejected_with_the_reason(db, settings, setting, reason):
    settings.HELPDESK_EMAIL_INTAKE_OFFICE = setting
    OfficeFactory(is_head_office=True)  # never the fallback

    result = mail.take_in(eml("gbk_subject.eml"))

    assert result.outcome == InboundOutcome.REJECTED and reason in result.reason
    assert not Complaint.objects.exists()
    assert InboundEmail.objects.get().outcome == InboundOutcome.REJECTED


def test_the_intake_office_and_category_come_from_the_settings(office, other_office, settings):
    settings.HELPDESK_EMAIL_INTAKE_OFFICE = other_office.code
    settings.HELPDESK_EMAIL_INTAKE_CATEGORY = "no-such-category"  # falls back to a public one

    complaint = Complaint.objects.get(pk=mail.take_in(eml("gbk_subject.eml")).complaint_id)

    assert complaint.office == other_office
    assert complaint.category.is_active and complaint.category.is_public


@pytest.mark.parametrize(
    "raw",
    [b"", b"\x00\xff\xfe garbage \x00", b"Subject: no sender\r\n\r\nhello\r\n", message(sender="not an address")],
)
def test_a_bad_message_is_rejected_never_raised(office, raw):
    result = mail.take_in(raw)

    assert result.outcome == InboundOutcome.REJECTED
    assert not Complaint.objects.exists()
    assert InboundEmail.objects.filter(outcome=InboundOutcome.REJECTED).count() == 1


def test_a_database_error_propagates(office, monkeypatch):
    def fail(**kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(mail.services, "submit_online", fail)

    with pytest.raises(OperationalError):
        mail.take_in(eml("gbk_subject.eml"))
    assert not InboundEmail.objects.exists()


# ---------------------------------------------------------------------------- ignored
@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("auto_reply.eml", "Auto-Submitted: auto-replied"),
        ("bounce.eml", "bounce"),
        ("own_notice.eml", "Our own e-mail came back"),
    ],
)
def test_automatic_replies_bounces_and_our_own_mail_are_ignored(office, name, reason):
    result = mail.take_in(eml(name))

    assert result.outcome == InboundOutcome.IGNORED and reason in result.reason
    assert not Complaint.objects.exists() and not Notice.objects.exists()
    assert InboundEmail.objects.get().outcome == InboundOutcome.IGNORED


@pytest.mark.parametrize(
    "variant",
    [
        {"Precedence": "bulk"},
        {"Precedence": "junk"},
        {"X_Autoreply": "yes"},
        {"X_Autorespond": "Out of office"},
        {"Auto_Submitted": "auto-generated; type=vacation"},
        {"Return_Path": "<>"},
        {"sender": "Mail Delivery Subsystem <MAILER-DAEMON@mx.example.com>"},
        {"sender": "postmaster@example.com"},
        {"sender": f"helpdesk@{HOST}"},
        {"Message_ID": f"<notification-42@{HOST}>"},
    ],
)
def test_each_sign_of_an_automatic_message_is_enough_to_ignore_it(office, variant):
    raw = message(**variant) if "Message_ID" not in variant else message().replace(b"Message-ID: <", b"X-Old-ID: <")
    if "Message_ID" in variant:
        raw = f"Message-ID: {variant['Message_ID']}\r\n".encode() + raw

    assert mail.take_in(raw).outcome == InboundOutcome.IGNORED
    assert not Complaint.objects.exists()


def test_auto_submitted_no_is_a_person(office):
    assert mail.take_in(message(Auto_Submitted="no")).outcome == InboundOutcome.CREATED


# ---------------------------------------------------------------------------- replies
def reply_to(notice: Notice, *, body: str, subject: str | None = None, **kwargs) -> bytes:
    quoted = "\n".join("> " + line for line in notice.body.splitlines())
    return message(subject=subject or f"Re: {notice.subject}", body=f"{body}\n\n{quoted}", **kwargs)


def test_a_reply_to_a_notice_adds_the_information_to_that_complaint(submit, django_capture_on_commit_callbacks):
    # Given a complaint made on the web, and the e-mail notice it got
    submitted = submit()
    complaint = submitted.complaint
    notice = Notice.objects.get(complaint=complaint, channel=NoticeChannel.EMAIL, kind="received")
    assert submitted.token in notice.subject and submitted.token in notice.body
    # When the complainant answers it, with a photo
    raw = reply_to(notice, body="水又漏了，照片附上。", files=(("ceiling.jpg", jpeg(), "image/jpeg"),))
    result = mail.take_in(raw)
    # Then the text and the photo are added to that complaint, via e-mail
    assert (result.outcome, result.complaint_id) == (InboundOutcome.APPENDED, complaint.pk)
    assert Complaint.objects.count() == 1
    event = complaint.events.get(kind=EventKind.INFORMATION_ADDED)
    assert event.data["via"] == Source.EMAIL
    assert event.note.startswith("水又漏了，照片附上。")
    assert [a.original_name for a in event.attachments.all()] == ["ceiling.jpg"]
    assert not stored_photo(event.attachments.get()).getexif()
    # and the private token is stored nowhere in clear (it was quoted, and in the subject)
    row = InboundEmail.objects.get()
    assert (row.outcome, row.complaint) == (InboundOutcome.APPENDED, complaint)
    assert submitted.token not in event.note
    assert submitted.token not in row.subject and f"[{complaint.reference}]" in row.subject


def test_a_wrong_token_or_another_complaints_reference_never_appends(submit):
    # Given two complaints, each with its own token
    first, second = submit(), submit(subject="电梯故障")
    ref_first = first.complaint.reference
    # When a subject pairs a reference with a token that is not its own, or with no valid one
    wrong_token = mail.take_in(message(subject=f"Re: [{ref_first} {'x' * tokens.TOKEN_LENGTH}]"))
    other_token = mail.take_in(message(subject=f"Re: [{ref_first} {second.token}]"))
    # Then each is a new complaint, and neither complaint got information added
    assert wrong_token.outcome == other_token.outcome == InboundOutcome.CREATED
    assert Complaint.objects.count() == 4
    assert not Complaint.objects.filter(
        pk__in=[first.complaint.pk, second.complaint.pk], events__kind=EventKind.INFORMATION_ADDED
    ).exists()
    assert second.token not in Complaint.objects.get(pk=other_token.complaint_id).subject


def test_a_revoked_token_makes_a_new_complaint(submit, supervisor):
    submitted = submit()
    tokens.revoke(submitted.complaint, actor=supervisor)

    result = mail.take_in(message(subject=f"Re: [{submitted.complaint.reference} {submitted.token}]"))

    assert result.outcome == InboundOutcome.CREATED and result.complaint_id != submitted.complaint.pk


def test_a_reply_to_a_closed_complaint_becomes_a_new_complaint_naming_it(db, category):
    # Given a closed complaint of an office that is not the intake office
    intake = OfficeFactory()
    closed = ComplaintFactory(
        office=OfficeFactory(),
        status=Status.CLOSED,
        close_reason=CloseReason.CALLBACK_SATISFIED,
        closed_at=timezone.now(),
    )
    token = tokens.issue(closed)
    # When the complainant replies to its last notice
    result = mail.take_in(
        message(subject=f"Re: Your complaint {closed.reference} is closed [{closed.reference} {token}]")
    )
    # Then the message is a new complaint of the same office, naming the closed one
    assert result.outcome == InboundOutcome.CREATED
    new = Complaint.objects.get(pk=result.complaint_id)
    assert new.office == closed.office != intake
    assert new.description.startswith(f"This e-mail replies to complaint {closed.reference}, which is closed.")
    assert token not in new.subject
    assert not closed.events.filter(kind=EventKind.INFORMATION_ADDED).exists()


def test_an_automatic_reply_to_a_notice_is_not_added(submit):
    submitted = submit()
    notice = Notice.objects.get(complaint=submitted.complaint, channel=NoticeChannel.EMAIL)

    result = mail.take_in(reply_to(notice, body="I am out of the office.", Auto_Submitted="auto-replied"))

    assert result.outcome == InboundOutcome.IGNORED
    assert not submitted.complaint.events.filter(kind=EventKind.INFORMATION_ADDED).exists()


# ------------------------------------------------------------------- receive_email (MTA)
def test_receive_email_reads_standard_input_and_prints_the_outcome(office):
    out = io.StringIO()

    call_command("receive_email", stdin=io.BytesIO(eml("gbk_subject.eml")), stdout=out)
    call_command("receive_email", stdin=io.BytesIO(eml("gbk_subject.eml")), stdout=out)

    first, second = out.getvalue().splitlines()
    complaint = Complaint.objects.get()
    assert first.startswith(f"created <20240603091240.4711@example.cn> complaint #{complaint.pk}")
    assert second.startswith("duplicate <20240603091240.4711@example.cn> (first: created)")


@pytest.mark.parametrize("name", ["bounce.eml", None])
def test_receive_email_succeeds_for_ignored_and_rejected_messages(office, name):
    out = io.StringIO()

    call_command("receive_email", stdin=io.BytesIO(eml(name) if name else b"\x00garbage"), stdout=out)

    assert out.getvalue().startswith("ignored" if name else "rejected")


def test_receive_email_asks_the_mta_to_retry_on_a_database_error(office, monkeypatch):
    def fail(raw):
        raise OperationalError("could not connect to server")

    monkeypatch.setattr("complainants.management.commands.receive_email.take_in", fail)

    with pytest.raises(CommandError) as error:
        call_command("receive_email", stdin=io.BytesIO(eml("gbk_subject.eml")), stdout=io.StringIO())
    assert error.value.returncode == 75


def test_no_office_is_created_by_the_intake(office):
    mail.take_in(eml("gbk_subject.eml"))
    assert Office.objects.count() == 1
