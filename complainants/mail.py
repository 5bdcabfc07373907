"""Complaints by e-mail (issue 12, R-C1 online): `take_in(raw)` takes one RFC 822 message,
whether an MTA pipes it in (`manage.py receive_email`) or the IMAP poller fetched it
(`complainants.tasks.poll_imap`).

What happens to a message, in this order:

- seen before (its Message-ID, or a SHA-256 of the bytes when it has none, is in
  `InboundEmail`): nothing; the first outcome is returned again;
- an automatic reply, a bounce or one of our own e-mails coming back: ignored (recorded, with
  the reason) — answering it would start a mail loop;
- a reply to one of our notices, whose subject carries "[#123 <token>]" with the private token
  of complaint #123 (notices.SUBJECT_TAG): its text and attachments are added to that
  complaint (R-P2, via "email"). A wrong or revoked token, or one of another complaint, is no
  reply: a new complaint is made. A reply to a closed complaint becomes a new complaint of the
  same office that names the old one;
- anything else: a new online complaint (`services.submit_online`, the one intake method) in
  the office HELPDESK_EMAIL_INTAKE_OFFICE, category HELPDESK_EMAIL_INTAKE_CATEGORY.

The `InboundEmail` row is written in the transaction of the complaint or the information, so
a message is processed once even if the process dies half-way. A message that cannot be read
or does not make a valid complaint is rejected (recorded and logged), never raised; a database
error is raised, so that the MTA retries and the IMAP poller leaves the message unseen.

Private tokens never reach the database in clear: they are cut out of the subject and the
text (a reply quotes our notice, and with it the private link) before anything is stored.
"""

from __future__ import annotations

import hashlib
import logging
import mimetypes
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.header import decode_header
from email.message import Message
from email.utils import getaddresses, parseaddr, parsedate_to_datetime
from html.parser import HTMLParser

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.validators import validate_email
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image

from accounts.models import Office
from complaints import rules
from complaints.attachments import IMAGE_EXTENSIONS, check_uploads, per_step_limit, strict_decoding
from complaints.exceptions import InvalidTransition
from complaints.intake import backdate_limit
from complaints.models import Category, Complaint
from customers.uploads import extension_of
from helpdesk.bounds import TEXT_MAX, day_in_range
from helpdesk.urls_tools import site_host

from . import services, tokens
from .models import InboundEmail, InboundOutcome, Source
from .notices import SUBJECT_TAG

logger = logging.getLogger(__name__)

DUPLICATE = "duplicate"  # Result.label of a message taken in before

# Charsets Chinese mail is labelled with. GB18030 is a superset of each, and clients label GBK
# text (names such as 喆 or 镕 are not in GB2312) "gb2312": decode them all as GB18030.
_GB_CHARSETS = frozenset(
    "gb2312 gb_2312 gb_2312-80 gb231280 csgb2312 csiso58gb231280 iso-ir-58 chinese euc-cn euccn x-euc-cn "
    "gbk x-gbk cp936 ms936 windows-936 gb18030".split()
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufeff]")  # NUL: PostgreSQL text cannot hold it
_FOLD = re.compile(r"\r?\n(?=[ \t])")
_MESSAGE_ID = re.compile(r"<[^<>\s]+>")
_BULK_PRECEDENCE = frozenset({"bulk", "junk", "list", "auto_reply"})
_BOUNCE_SENDERS = frozenset({"mailer-daemon", "postmaster"})
# A private link quoted in a reply (complainants/urls.py: t/<token>/…).
_LINK_TOKEN = re.compile(r"(/t/)[A-Za-z0-9_-]{" + str(tokens.TOKEN_LENGTH) + r"}(?=/)")
_NOT_KEPT_MAX_CHARS = 1_200  # the list of files not kept, at most, in a description or note


@dataclass(frozen=True)
class Result:
    """What `take_in` did. `outcome` is an InboundOutcome value (for a duplicate: the first
    delivery's outcome)."""

    outcome: str
    message_id: str
    reason: str = ""
    complaint_id: int | None = None
    duplicate: bool = False

    @property
    def label(self) -> str:
        return DUPLICATE if self.duplicate else self.outcome

    def __str__(self) -> str:
        text = f"{self.label} {self.message_id}"
        if self.duplicate:
            text += f" (first: {self.outcome})"
        if self.complaint_id is not None:
            text += f" complaint #{self.complaint_id}"
        return f"{text}: {self.reason}" if self.reason else text


@dataclass
class Incoming:
    """One message, read: the headers that matter decoded, the text, the files."""

    message_id: str
    sender: str = ""  # the From address, lower-cased
    sender_name: str = ""
    subject: str = ""
    text: str = ""
    date: datetime | None = None
    content_language: str = ""
    headers: dict[str, list[str]] = field(default_factory=dict)  # lower-case name -> raw values
    is_report: bool = False  # multipart/report or a delivery-status part: a bounce
    files: list[SimpleUploadedFile] = field(default_factory=list)
    not_kept: list[str] = field(default_factory=list)  # "name (reason)"

    def header(self, name: str) -> str:
        values = self.headers.get(name.lower())
        return _one_line(values[0]) if values else ""


# ==================================================================== decoding
def _decode_bytes(data: bytes, charset: str | None) -> str:
    """`data` as text: in its declared charset (a GB label read as GB18030), else UTF-8, else
    GB18030, else UTF-8 with replacement characters."""
    label = (charset or "").strip().strip("\"'").lower()
    candidates = ["gb18030" if label in _GB_CHARSETS else label] if label else []
    for candidate in [*candidates, "utf-8", "gb18030"]:
        try:
            return data.decode(candidate)
        except (LookupError, UnicodeDecodeError):
            continue
    return data.decode("utf-8", errors="replace")


def _raw_text(value: str) -> str:
    """A raw header value as the parser left it; 8-bit bytes (surrogate-escaped) decoded."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        value = _decode_bytes(value.encode("utf-8", "surrogateescape"), None)
    return _FOLD.sub("", value)


def decode_words(value: str) -> str:
    """A header value with its RFC 2047 encoded words decoded (=?GBK?B?…?=, a mislabelled
    =?gb2312?…?= too); consecutive words of one charset are joined before decoding, since
    clients split a multi-byte character across two words."""
    value = _raw_text(value)
    if "=?" not in value:
        return value
    try:
        pieces = decode_header(value)
    except Exception:  # noqa: BLE001 — a malformed encoded word is shown as written
        return value
    out = []
    for piece, charset in pieces:
        if isinstance(piece, str):
            out.append(piece)
        elif charset is None:  # decode_header's plain text, as raw-unicode-escape bytes
            out.append(piece.decode("raw-unicode-escape", errors="replace"))
        else:
            out.append(_decode_bytes(piece, charset))
    return "".join(out)


def _one_line(value: str) -> str:
    return " ".join(_CONTROL.sub("", value).split())


def _clean_text(text: str) -> str:
    text = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    return re.sub(r"\n{3,}", "\n\n", text).strip()


class _HtmlText(HTMLParser):
    """The text of an HTML body: tags dropped, blocks on lines of their own, entities decoded."""

    BLOCKS = frozenset(
        {"p", "div", "br", "li", "tr", "table", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "hr"}
    )
    HIDDEN = frozenset({"script", "style", "head", "title"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.HIDDEN:
            self.hidden += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(re.sub(r"[ \t\r\n]+", " ", data))


def html_to_text(markup: str) -> str:
    parser = _HtmlText()
    parser.feed(markup)
    parser.close()
    return "\n".join(line.strip() for line in "".join(parser.parts).split("\n"))


# ====================================================================== parsing
def _headers(message: Message) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for name, value in message.raw_items():
        found.setdefault(name.lower(), []).append(str(value))
    return found


def _param(raw_header: str, name: str) -> str:
    """A parameter of a raw MIME header (filename=, name=), decoded: RFC 2231 in its charset,
    RFC 2047 encoded words, a mislabelled GB charset. The compat32 Message keeps the bytes of
    a parameter as written, where policy.default would decode gb2312 as GB2312."""
    holder = Message()
    holder["X"] = _FOLD.sub("", raw_header)
    value = holder.get_param(name, header="X")
    if isinstance(value, tuple):  # RFC 2231: (charset, language, text with the bytes as latin-1)
        charset, _language, text = value
        return _decode_bytes(text.encode("latin-1", "replace"), charset or None)
    return decode_words(value) if isinstance(value, str) else ""


def _filename(part: Message) -> str:
    headers = _headers(part)
    for header, param in (("content-disposition", "filename"), ("content-type", "name")):
        for raw in headers.get(header, []):
            if value := _param(raw, param):
                return _one_line(re.split(r"[\\/]", value)[-1])  # a client's "C:\photos\x.jpg"
    return ""


def _leaves(part: Message) -> Iterator[Message]:
    """The parts that hold content, depth first; an attached e-mail is one part."""
    if part.get_content_type() != "message/rfc822" and part.is_multipart():
        for sub in part.get_payload():
            if isinstance(sub, Message):
                yield from _leaves(sub)
    else:
        yield part


def _part_text(part: Message) -> str:
    data = part.get_payload(decode=True)
    return _decode_bytes(data, part.get_content_charset()) if isinstance(data, bytes) else ""


def _date(raw: str) -> datetime | None:
    if not raw:
        return None
    try:
        value = parsedate_to_datetime(_raw_text(raw))
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def synthetic_message_id(raw: bytes) -> str:
    return f"<sha256.{hashlib.sha256(raw).hexdigest()}@inbound.invalid>"


def _message_id(raw_value: str, raw: bytes) -> str:
    match = _MESSAGE_ID.search(_CONTROL.sub("", _raw_text(raw_value)))
    max_length = InboundEmail._meta.get_field("message_id").max_length or 255
    if match is None or len(match.group()) > max_length:
        return synthetic_message_id(raw)
    return match.group()


def read(raw: bytes) -> Incoming:
    """Parse one message (stdlib `email`, policy.default). Headers are decoded from their
    raw values (see `decode_words`); the text is the text/plain parts, else the HTML ones as
    text; every other part is a file, wrapped as an upload for the attachment rules."""
    message = message_from_bytes(raw, policy=policy.default)
    headers = {name: [_raw_text(value) for value in values] for name, values in _headers(message).items()}
    first = {name: values[0] for name, values in headers.items()}
    incoming = Incoming(message_id=_message_id(first.get("message-id", ""), raw), headers=headers)
    name, address = next(iter(getaddresses([_raw_text(first.get("from", ""))])), ("", ""))
    incoming.sender = _one_line(address).lower()
    incoming.sender_name = _one_line(decode_words(name)).strip("\"' ")
    incoming.subject = _one_line(decode_words(first.get("subject", "")))
    incoming.date = _date(first.get("date", ""))
    incoming.content_language = _raw_text(first.get("content-language", "")).strip().lower()
    incoming.is_report = message.get_content_type() == "multipart/report"

    plain: list[str] = []
    html: list[str] = []
    for number, part in enumerate(_leaves(message), start=1):
        content_type = part.get_content_type()
        filename = _filename(part)
        inline = part.get_content_disposition() != "attachment" and not filename
        if content_type in ("message/delivery-status", "message/disposition-notification"):
            incoming.is_report = True
        elif content_type == "text/plain" and inline:
            plain.append(_part_text(part))
        elif content_type == "text/html" and inline:
            html.append(_part_text(part))
        elif content_type == "message/rfc822":
            incoming.not_kept.append(_not_kept(filename or _("attached e-mail"), _("attached e-mails are not kept")))
        elif not part.is_multipart():
            data = part.get_payload(decode=True)
            name = filename or f"attachment-{number}{mimetypes.guess_extension(content_type) or ''}"
            incoming.files.append(
                SimpleUploadedFile(name, data if isinstance(data, bytes) else b"", content_type=content_type)
            )
    text = "\n\n".join(t for t in (_clean_text(p) for p in plain) if t)
    if not text and html:
        text = "\n\n".join(t for t in (_clean_text(html_to_text(h)) for h in html) if t)
    incoming.text = text
    return incoming


# ================================================================ classification
def _address(value: str) -> str:
    return parseaddr(value)[1].strip().lower()


def _own_message_id() -> re.Pattern[str]:
    return re.compile(r"<(?:notice|notification)-\d+@" + re.escape(site_host()) + ">", re.IGNORECASE)


def ignore_reason(incoming: Incoming) -> str:
    """Why the message must not be answered (an automatic reply, a bounce, our own mail), or ""."""
    if _own_message_id().fullmatch(incoming.message_id):
        return _("Our own e-mail came back (Message-ID %(id)s).") % {"id": incoming.message_id}
    ours = {_address(settings.DEFAULT_FROM_EMAIL), _address(getattr(settings, "SERVER_EMAIL", ""))} - {""}
    if incoming.sender in ours:
        return _("Sent from our own address %(address)s.") % {"address": incoming.sender}
    auto_submitted = incoming.header("auto-submitted").split(";")[0].strip().lower()
    if auto_submitted and auto_submitted != "no":
        return _("Automatic reply (Auto-Submitted: %(value)s).") % {"value": auto_submitted[:40]}
    precedence = incoming.header("precedence").lower()
    if precedence in _BULK_PRECEDENCE:
        return _("Bulk or automatic mail (Precedence: %(value)s).") % {"value": precedence}
    for name in ("x-autoreply", "x-autorespond"):
        if name in incoming.headers:
            return _("Automatic reply (%(header)s).") % {"header": name}
    if incoming.is_report:
        return _("Delivery report (bounce).")
    return_path = incoming.headers.get("return-path", [])
    if any(value.strip() == "<>" for value in return_path):
        return _("Delivery report (empty Return-Path).")
    for address in (incoming.sender, *(_address(value) for value in return_path)):
        if address.split("@")[0] in _BOUNCE_SENDERS:
            return _("Delivery report (from %(address)s).") % {"address": address}
    return ""


# ==================================================================== intake
def _not_kept(name: str, reason: str) -> str:
    return _("%(name)s (%(reason)s)") % {"name": name[:80], "reason": reason}


def _refusal(name: str, error: ValidationError) -> str:
    reason = " ".join(error.messages)
    label = _("“%(name)s”: %(error)s") % {"name": name[:80], "error": ""}  # check_uploads names the file
    return _not_kept(name, reason.removeprefix(label).strip() or reason)


def sort_files(incoming: Incoming) -> tuple[list[SimpleUploadedFile], list[str]]:
    """The files the attachment rules accept (at most per_step_limit()), and the others listed
    as "name (reason)"."""
    kept: list[SimpleUploadedFile] = []
    not_kept = list(incoming.not_kept)
    limit = per_step_limit()
    for upload in incoming.files:
        errors = check_uploads([upload])
        if errors:
            not_kept.append(_refusal(upload.name or "", errors[0]))
        elif len(kept) >= limit:
            not_kept.append(_not_kept(upload.name or "", _("at most %(limit)s files are kept") % {"limit": limit}))
        elif not photo_decodes(upload):
            not_kept.append(_not_kept(upload.name or "", _("The photo cannot be read.")))
        else:
            kept.append(upload)
    return kept, not_kept


def photo_decodes(upload: SimpleUploadedFile) -> bool:
    """A photo whose header passed the checks also decodes (as storing it will): a truncated
    JPEG is left out here rather than failing the whole message."""
    if extension_of(upload.name or "") not in IMAGE_EXTENSIONS:
        return True
    try:
        with Image.open(upload) as image, strict_decoding():
            image.load()
    except Exception:  # noqa: BLE001 — whatever Pillow raises, the photo cannot be stored
        return False
    finally:
        upload.seek(0)
    return True


def _not_kept_lines(not_kept: list[str]) -> list[str]:
    if not not_kept:
        return []
    lines = [_("Attachments not kept:")]
    for number, item in enumerate(not_kept):
        line = "- " + item
        if sum(len(x) + 1 for x in lines) + len(line) > _NOT_KEPT_MAX_CHARS:
            lines.append(_("- and %(count)s more") % {"count": len(not_kept) - number})
            break
        lines.append(line)
    return ["\n".join(lines)]


def compose(text: str, *, before: Sequence[str] = (), after: Sequence[str] = (), limit: int = TEXT_MAX) -> str:
    """`before`, the text and `after` in paragraphs, at most `limit` characters: the text is
    cut, with a note saying so."""
    text = text or _("(The e-mail has no text.)")
    full = "\n\n".join([*before, text, *after])
    if len(full) <= limit:
        return full
    note = _("[The e-mail was cut here: it is longer than %(limit)s characters.]") % {"limit": limit}
    room = limit - len("\n\n".join([*before, "", *after])) - len(note) - 1
    return "\n\n".join([*before, text[: max(room, 0)].rstrip() + "\n" + note, *after])[:limit]


def _redact(text: str, secrets: set[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, "…")
    return _LINK_TOKEN.sub(r"\1…", text)


def _subject_without_tokens(subject: str, secrets: set[str]) -> str:
    """The subject with each "[#123 <token>]" as "[#123]" and no token left in it."""
    return _one_line(_redact(SUBJECT_TAG.sub(lambda m: f"[#{m.group(1)}]", subject), secrets))


def _truncate(value: str, model: type[models.Model], name: str) -> str:
    max_length = getattr(model._meta.get_field(name), "max_length", None)
    return value[:max_length] if max_length else value


def _language(incoming: Incoming, text: str) -> str:
    """English when the message says so (Content-Language) or, saying nothing, is plain ASCII."""
    if incoming.content_language:
        return "en" if incoming.content_language.startswith("en") else "zh-hans"
    return "en" if text.isascii() else "zh-hans"


def _incident_at(date: datetime | None, now: datetime) -> datetime:
    if date is None or date > now or date < now - backdate_limit() or not day_in_range(date):
        return now
    return date


def _intake_office() -> Office | str:
    """The office of new e-mail complaints, or why there is none."""
    code = (settings.HELPDESK_EMAIL_INTAKE_OFFICE or "").strip()
    if code:
        office = Office.objects.filter(code=code).first()
        return office or _("HELPDESK_EMAIL_INTAKE_OFFICE names no office (code “%(code)s”).") % {"code": code}
    office = Office.objects.filter(is_head_office=False).order_by("id").first()
    return office or _("No office takes e-mail complaints: set HELPDESK_EMAIL_INTAKE_OFFICE.")


def _intake_category() -> Category | None:
    code = (getattr(settings, "HELPDESK_EMAIL_INTAKE_CATEGORY", "") or "").strip()
    category = Category.objects.filter(code=code, is_active=True).first() if code else None
    return category or Category.objects.filter(is_active=True, is_public=True).order_by("id").first()


def _with_files(
    write: Callable[[list[SimpleUploadedFile], list[str]], Complaint],
    kept: list[SimpleUploadedFile],
    not_kept: list[str],
) -> Complaint:
    """`write(files, not_kept)`; if storing a file fails (a photo that cannot be decoded passes
    the header check), the message is written again without the files, listing them."""
    try:
        with transaction.atomic():
            return write(kept, not_kept)
    except ValidationError as error:
        fields = set(getattr(error, "error_dict", {"attachments": None}))  # a photo's error names no field
        if not kept or fields != {"attachments"}:
            raise
        reason = " ".join(error.messages)
        logger.warning("E-mail attachments could not be stored, kept the text only: %s", reason)
        with transaction.atomic():
            return write([], [*not_kept, *(_not_kept(f.name or "", reason) for f in kept)])


@dataclass(frozen=True)
class _Done:
    outcome: str
    reason: str = ""
    complaint: Complaint | None = None


def _append(incoming: Incoming, complaint: Complaint, secrets: set[str]) -> _Done:
    kept, not_kept = sort_files(incoming)

    def write(files: list[SimpleUploadedFile], listed: list[str]) -> Complaint:
        note = compose(_redact(incoming.text, secrets), after=_not_kept_lines(listed))
        services.add_information(complaint, note=note, attachments=files, via=Source.EMAIL)
        return complaint

    _with_files(write, kept, not_kept)
    return _Done(InboundOutcome.APPENDED, complaint=complaint)


def _create(incoming: Incoming, secrets: set[str], *, replied_to: Complaint | None = None) -> _Done:
    office = replied_to.office if replied_to is not None else _intake_office()
    if isinstance(office, str):
        return _Done(InboundOutcome.REJECTED, office)
    category = _intake_category()
    if category is None:
        return _Done(InboundOutcome.REJECTED, _("No active public category for e-mail complaints."))
    try:
        validate_email(incoming.sender)
    except ValidationError:
        return _Done(InboundOutcome.REJECTED, _("The sender's address is missing or not valid."))
    text = _redact(incoming.text, secrets)
    subject = _subject_without_tokens(incoming.subject, secrets)
    before = []
    if replied_to is not None:
        before.append(_("This e-mail replies to complaint %(ref)s, which is closed.") % {"ref": replied_to.reference})
    name = incoming.sender_name if incoming.sender_name.lower() != incoming.sender else ""
    now = timezone.now()
    kept, not_kept = sort_files(incoming)

    def write(files: list[SimpleUploadedFile], listed: list[str]) -> Complaint:
        fields = {
            "complainant_name": _truncate(name or incoming.sender.split("@")[0], Complaint, "complainant_name"),
            "contact_email": incoming.sender,
            "subject": _truncate(subject or _("(no subject)"), Complaint, "subject"),
            "description": compose(text, before=before, after=_not_kept_lines(listed)),
            "incident_at": _incident_at(incoming.date, now),
            "incident_place": _truncate(_("Not stated (e-mail)"), Complaint, "incident_place"),
            "category": category,
        }
        submitted = services.submit_online(
            office=office,
            fields=fields,
            attachments=files,
            via=Source.EMAIL,
            language=_language(incoming, f"{subject}\n{text}"),
            consented=False,
        )
        return submitted.complaint

    try:
        complaint = _with_files(write, kept, not_kept)
    except ValidationError as error:
        return _Done(InboundOutcome.REJECTED, _("Not a valid complaint: %(errors)s") % {"errors": _errors(error)})
    return _Done(InboundOutcome.CREATED, complaint=complaint)


def _errors(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        return "; ".join(f"{name}: {' '.join(messages)}" for name, messages in error.message_dict.items())
    return " ".join(error.messages)


def _act(incoming: Incoming) -> _Done:
    tag = SUBJECT_TAG.search(incoming.subject)
    secrets = {m.group(2) for m in SUBJECT_TAG.finditer(incoming.subject)}
    if tag is None:
        return _create(incoming, secrets)
    complaint = tokens.find(tag.group(2))
    if complaint is None or str(complaint.pk) != tag.group(1):
        logger.info("E-mail %s names %s with a token that does not open it", incoming.message_id, tag.group(1))
        return _create(incoming, secrets)
    if rules.action("add_information").allowed_in(complaint.status):
        try:
            return _append(incoming, complaint, secrets)
        except InvalidTransition:  # closed meanwhile: a new complaint that names it
            complaint.refresh_from_db()
        except ValidationError as error:  # never lose the message: a new complaint instead
            logger.warning("E-mail %s could not be added to %s: %s", incoming.message_id, complaint.reference, error)
            return _create(incoming, secrets)
    return _create(incoming, secrets, replied_to=complaint)


# ====================================================================== entry
def _record(incoming: Incoming, act: Callable[[], _Done]) -> Result:
    """Run `act` and write the InboundEmail row in one transaction; a concurrent delivery of
    the same message that committed first makes this one a duplicate."""
    subject = _subject_without_tokens(incoming.subject, {m.group(2) for m in SUBJECT_TAG.finditer(incoming.subject)})
    try:
        with transaction.atomic():
            done = act()
            row = InboundEmail.objects.create(
                message_id=incoming.message_id,
                sender=_truncate(incoming.sender, InboundEmail, "sender"),
                subject=_truncate(subject, InboundEmail, "subject"),
                outcome=done.outcome,
                reason=_truncate(done.reason, InboundEmail, "reason"),
                complaint=done.complaint,
            )
    except IntegrityError:
        first = InboundEmail.objects.filter(message_id=incoming.message_id).first()
        if first is None:
            raise
        return _duplicate(first)
    result = Result(row.outcome, row.message_id, row.reason, row.complaint_id)
    log = logger.warning if row.outcome == InboundOutcome.REJECTED else logger.info
    log("E-mail taken in: %s", result)
    return result


def _duplicate(first: InboundEmail) -> Result:
    result = Result(first.outcome, first.message_id, first.reason, first.complaint_id, duplicate=True)
    logger.info("E-mail taken in before: %s", result)
    return result


def take_in(raw: bytes) -> Result:
    """Take in one e-mail (module docstring). Returns what was done; raises only when
    something other than the message failed: the database (DatabaseError), the file store."""
    try:
        if not raw.strip():
            raise ValueError("empty message")
        incoming = read(raw)
    except Exception:  # noqa: BLE001 — a message we cannot read is rejected, never raised
        logger.exception("E-mail could not be read")
        incoming = Incoming(message_id=synthetic_message_id(raw))
        unreadable = _("The message could not be read.")
        return _record_first(incoming, lambda: _Done(InboundOutcome.REJECTED, unreadable))
    reason = ignore_reason(incoming)
    if reason:
        return _record_first(incoming, lambda: _Done(InboundOutcome.IGNORED, reason))
    return _record_first(incoming, lambda: _act(incoming))


def _record_first(incoming: Incoming, act: Callable[[], _Done]) -> Result:
    first = InboundEmail.objects.filter(message_id=incoming.message_id).first()
    return _duplicate(first) if first is not None else _record(incoming, act)
