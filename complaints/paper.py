"""The complaint on paper (issue 11): the 顧客投訴單 (complaint form: case file, outcome,
sign-off) and the 客戶回訪表 (call-back form: method, the script's questions and answers,
satisfied), as an A4 print page and as a PDF; the complainant's signature stored with its event
and printed on the form; a signed form filed in the linked customer's archive (R-CU2).

The forms are read from the complaint and its event log only (R-C11), never written: the
on-the-spot sign-off is the `resolved_on_the_spot` event (`signoff_name`, `apologised`,
`satisfied`), the call-back the latest `callback_recorded` event (`method`, `satisfied`,
`answers`); each may carry `signature`, the private-storage name `store_signature` returned.

PDF engine: WeasyPrint. It lays out the same HTML and print CSS as the browser's print view
(one template for both), is a plain Python dependency with Debian's pango underneath (no browser
in the production image, no subprocess), embeds and subsets the system's CJK font
(fonts-noto-cjk, or fonts-wqy-zenhei) so Chinese text renders and can be extracted back, and
with a `data:`-only URL fetcher it never reads a file or the network while rendering a form.
Chromium's print-to-PDF would need Playwright and a browser at run time, in every web image.
"""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from django.contrib.staticfiles import finders
from django.core.files.base import ContentFile
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext, gettext_noop

from customers.access import AccessAction, log_access
from customers.models import CustomerDocument, DocumentKind
from customers.storage import private_storage

from . import event_data
from .choices import CallbackMethod, CloseReason, EventKind

if TYPE_CHECKING:
    from .models import Complaint, ComplaintEvent

SIGNATURE = event_data.SIGNATURE  # the event data key of the stored signature (PNG), declared once
SIGNATURE_FOLDER = "signatures/complaints"

COMPLAINT_FORM = "complaint-form"
CALLBACK_FORM = "callback-form"
TEMPLATES = {
    COMPLAINT_FORM: "complaints/paper/complaint_form.html",
    CALLBACK_FORM: "complaints/paper/callback_form.html",
}
ARCHIVE_KINDS = {COMPLAINT_FORM: DocumentKind.COMPLAINT_FORM, CALLBACK_FORM: DocumentKind.VISIT_FORM}

# The call-back script's questions (R-C10: process, measures, result; R-CU6: operation, opinions),
# in the order they are asked; the same msgids as RecordCallbackForm's labels.
CALLBACK_QUESTIONS = (
    ("about_process", gettext_noop("Opinion of how the complaint was handled")),
    ("about_measures", gettext_noop("Opinion of the measures taken")),
    ("about_result", gettext_noop("Opinion of the result")),
    ("operation_normal", gettext_noop("Is the customer's operation (e.g. sewage treatment) running normally?")),
    ("suggestions", gettext_noop("Opinions and suggestions")),
)

# The call-back methods (R-C10), with the msgids of `CallbackMethod`'s labels.
CALLBACK_METHODS = {
    CallbackMethod.PHONE.value: gettext_noop("Phone"),
    CallbackMethod.DOOR_VISIT.value: gettext_noop("Door visit"),
    CallbackMethod.ONLINE_REPLY.value: gettext_noop("Online reply"),
    CallbackMethod.QUESTIONNAIRE.value: gettext_noop("Questionnaire"),
}

# Field labels of the paper forms: Chinese first (the zh-hans translation), English beside.
LABELS = {
    "complaint_form": gettext_noop("complaint form"),
    "callback_form": gettext_noop("Call-back form"),
    "reference": gettext_noop("No."),
    "office": gettext_noop("Office"),
    "channel": gettext_noop("Channel"),
    "received_by": gettext_noop("Received by"),
    "received_at": gettext_noop("Received at"),
    "complainant": gettext_noop("Complainant"),
    "contact": gettext_noop("Contact"),
    "case_file": gettext_noop("Case file"),
    "incident_at": gettext_noop("Time of incident"),
    "place": gettext_noop("Place"),
    "persons": gettext_noop("Persons involved"),
    "event": gettext_noop("Event"),
    "category": gettext_noop("Category"),
    "description": gettext_noop("Description"),
    "flags": gettext_noop("Flags"),
    "outcome": gettext_noop("Outcome"),
    "resolution": gettext_noop("Explanation / resolution"),
    "apologised": gettext_noop("Apologised (the company was at fault)"),
    "confirms": gettext_noop("The complainant confirms satisfaction"),
    "signed_off_by": gettext_noop("Signed off by"),
    "signed_off_at": gettext_noop("signed off at"),
    "signature": gettext_noop("Complainant's signature"),
    "reply_due": gettext_noop("Agreed reply time"),
    "first_replied": gettext_noop("first replied at"),
    "handling": gettext_noop("Handling record"),
    "time": gettext_noop("Time"),
    "step": gettext_noop("Step"),
    "by": gettext_noop("By"),
    "note": gettext_noop("Note"),
    "findings": gettext_noop("Findings"),
    "solution": gettext_noop("Proposed solution"),
    "committed": gettext_noop("Committed completion"),
    "close_reason": gettext_noop("Close reason"),
    "closed_at": gettext_noop("closed at"),
    "assignee": gettext_noop("Assignee"),
    "level": gettext_noop("Escalation level"),
    "method": gettext_noop("Method"),
    "callback_by": gettext_noop("Call-back by"),
    "callback_at": gettext_noop("Call-back time"),
    "satisfied": gettext_noop("Is the complainant satisfied?"),
    "yes": gettext_noop("Yes"),
    "no": gettext_noop("No"),
}

# The handling steps printed on the complaint form (R-C5 … R-C9), in event-log order.
HANDLING_KINDS = (
    EventKind.REPLY_TIME_AGREED,
    EventKind.REPLIED,
    EventKind.PROGRESS_REPORTED,
    EventKind.MOVED_UP,
    EventKind.DEPARTMENT_ASSIGNED,
    EventKind.FINDINGS_RECORDED,
    EventKind.SOLUTION_PROPOSED,
    EventKind.SOLUTION_ACCEPTED,
    EventKind.SOLUTION_REJECTED,
    EventKind.COMPLETION_COMMITTED,
    EventKind.HANDLED,
    EventKind.CALLBACK_RECORDED,
    EventKind.CALLBACK_DECLINED,
    EventKind.AUTO_CLOSED,
)


@dataclass(frozen=True)
class Label:
    """One field label in both languages; renders as Chinese, then English."""

    zh: str
    en: str

    def __html__(self) -> SafeString:
        if self.zh == self.en:  # not translated (yet): once
            return format_html('<span class="en" lang="en">{}</span>', self.en)
        return format_html(
            '<span class="zh" lang="zh-Hans">{}</span> <span class="en" lang="en">{}</span>', self.zh, self.en
        )

    def __str__(self) -> str:
        return self.__html__()


def bilingual(msgid: str) -> Label:
    with translation.override("zh-hans"):
        zh = gettext(msgid)
    with translation.override("en"):
        en = gettext(msgid)
    return Label(zh=zh[:1].upper() + zh[1:], en=en[:1].upper() + en[1:])


def labels() -> dict[str, Label]:
    return {key: bilingual(msgid) for key, msgid in LABELS.items()}


# ------------------------------------------------------------------------ signatures
def store_signature(png_bytes: bytes, *, complaint: Complaint) -> str:
    """Save a signature (PNG bytes from `helpdesk.signature.SignatureField`) in the private
    storage under a random name; returns the stored name, to keep in the event data under
    `SIGNATURE`. Never a public URL: the forms embed the bytes."""
    name = f"{SIGNATURE_FOLDER}/{complaint.pk}/{uuid.uuid4().hex}.png"
    stored: str = private_storage.save(name, ContentFile(png_bytes))
    return stored


def signature_bytes(name: str) -> bytes:
    """The PNG stored by `store_signature`. Only names in the signature folder are read, so an
    event's data can never point the forms at an archive document."""
    if not name or not name.startswith(f"{SIGNATURE_FOLDER}/") or ".." in name:
        raise FileNotFoundError(name)
    with private_storage.open(name, "rb") as handle:
        data: bytes = handle.read()
    return data


def signature_data_uri(name: str | None) -> str:
    """A `data:` URI of the stored signature for the templates ("" when none or missing)."""
    if not name:
        return ""
    try:
        png = signature_bytes(name)
    except (FileNotFoundError, OSError, ValueError):
        return ""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


# --------------------------------------------------------------------------- contexts
def _events(complaint: Complaint) -> list[ComplaintEvent]:
    return list(complaint.events.select_related("actor").order_by("created_at", "id"))


def _last(events: list[ComplaintEvent], kind: str) -> ComplaintEvent | None:
    found = [e for e in events if e.kind == kind]
    return found[-1] if found else None


def _contact(complaint: Complaint) -> str:
    parts = [complaint.contact_phone, complaint.contact_email]
    if complaint.contact_qq:
        parts.append(f"QQ {complaint.contact_qq}")
    if complaint.contact_wechat:
        wechat = gettext("WeChat")  # outside the f-string: xgettext does not look inside one
        parts.append(f"{wechat} {complaint.contact_wechat}")
    customer = complaint.customer if complaint.customer_id else None
    if not any(parts) and customer is not None:
        parts = [customer.phone, customer.email]
    return " · ".join(p for p in parts if p)


def _base_context(complaint: Complaint) -> dict[str, Any]:
    return {
        "complaint": complaint,
        "L": labels(),
        "contact": _contact(complaint),
        "printed_at": timezone.now(),
    }


def complaint_form_context(complaint: Complaint) -> dict[str, Any]:
    """The 顧客投訴單: who received it when, the case file (time, place, person, event),
    category and channel; the outcome — on the spot with the sign-off (name, time, signature),
    or the agreed reply time and the handling record (replies, progress, findings, solution,
    handling, call-back) — and how it closed."""
    events = _events(complaint)
    on_the_spot = _last(events, EventKind.RESOLVED_ON_THE_SPOT)
    signoff: dict[str, Any] | None = None
    if on_the_spot is not None:
        data = on_the_spot.data or {}
        signoff = {
            "name": data.get("signoff_name") or complaint.signoff_name,
            "at": complaint.signed_off_at or on_the_spot.created_at,
            "apologised": bool(data.get("apologised", complaint.apologised)),
            "satisfied": bool(data.get("satisfied")),
            "resolution": on_the_spot.note or complaint.resolution,
            "by": on_the_spot.actor,
            "signature": signature_data_uri(data.get(SIGNATURE)),
        }
    context = _base_context(complaint)
    context.update(
        {
            "form_kind": COMPLAINT_FORM,
            "title": context["L"]["complaint_form"],
            "signoff": signoff,
            "on_the_spot": complaint.close_reason == CloseReason.ON_THE_SPOT or signoff is not None,
            "handling": [e for e in events if e.kind in HANDLING_KINDS],
        }
    )
    return context


def callback_form_context(complaint: Complaint) -> dict[str, Any]:
    """The 客戶回訪表: the complaint in brief, and the latest call-back — method, the script's
    questions with the answers, satisfied, who called back when, the signature. Without a
    call-back yet, the same form with empty boxes, to fill in by hand on a door visit."""
    events = _events(complaint)
    callback = _last(events, EventKind.CALLBACK_RECORDED)
    data = (callback.data or {}) if callback is not None else {}
    answers = data.get("answers") or {}
    method = data.get("method", "")
    context = _base_context(complaint)
    context.update(
        {
            "form_kind": CALLBACK_FORM,
            "title": context["L"]["callback_form"],
            "callback": callback,
            "method": method,
            "methods": [(value, bilingual(msgid), value == method) for value, msgid in CALLBACK_METHODS.items()],
            "questions": [(bilingual(msgid), answers.get(key, "")) for key, msgid in CALLBACK_QUESTIONS],
            "satisfied": data.get("satisfied") if callback is not None else None,
            "signature": signature_data_uri(data.get(SIGNATURE)),
            "handled": _last(events, EventKind.HANDLED),
        }
    )
    return context


CONTEXTS = {COMPLAINT_FORM: complaint_form_context, CALLBACK_FORM: callback_form_context}


# ------------------------------------------------------------------------------- PDF
def _stylesheet_path() -> str:
    path = finders.find("css/print.css")
    if not path:
        raise FileNotFoundError("static/css/print.css")
    return str(path[0] if isinstance(path, list) else path)


class PdfUnavailable(RuntimeError):
    """The PDF engine cannot load here (its system libraries are missing)."""


def render_pdf(template: str, context: dict[str, Any]) -> bytes:
    """Render `template` with `context` (plus ``for_pdf``) to PDF bytes with WeasyPrint and
    static/css/print.css. Only `data:` URLs are fetched (the signature is embedded as one)."""
    try:
        import weasyprint  # type: ignore[import-untyped]  # loaded on first use: only printing needs pango
    except OSError as error:  # pango (Debian libpango-1.0-0, libpangoft2-1.0-0) missing on this host
        raise PdfUnavailable(str(error)) from error

    html = render_to_string(template, {**context, "for_pdf": True})
    fetcher = weasyprint.URLFetcher(allowed_protocols=["data"])
    document = weasyprint.HTML(string=html, base_url=None, url_fetcher=fetcher)
    stylesheet = weasyprint.CSS(filename=_stylesheet_path(), url_fetcher=fetcher)
    pdf: bytes = document.write_pdf(stylesheets=[stylesheet])
    return pdf


def form_pdf(complaint: Complaint, *, form: str) -> bytes:
    """The PDF of one of the two forms (`COMPLAINT_FORM` or `CALLBACK_FORM`)."""
    return render_pdf(TEMPLATES[form], CONTEXTS[form](complaint))


def pdf_filename(complaint: Complaint, *, form: str) -> str:
    return f"{form}-{complaint.pk}.pdf"


def content_disposition(filename: str, *, display_name: str = "") -> str:
    """``attachment`` with an ASCII name and the UTF-8 one (RFC 6266 / 5987)."""
    utf8 = quote(display_name or filename, safe="")
    return f"attachment; filename=\"{filename}\"; filename*=UTF-8''{utf8}"


# ------------------------------------------------------------------------ archive filing
def file_signed_form(complaint: Complaint, *, kind: str, by: Any) -> CustomerDocument | None:
    """File the signed form as a PDF in the linked customer's archive (R-CU2): `kind` is
    ``DocumentKind.COMPLAINT_FORM`` (on-the-spot sign-off) or ``DocumentKind.VISIT_FORM``
    (door-visit call-back). Stored like an upload — private storage, a random name, the upload
    logged in the archive's access log (R-CU5) for `by` — and seen only by the archive roles.
    Returns the document, or None when the complaint has no linked customer.
    Call it after the transition has been saved (its event carries the signature)."""
    forms: dict[str, str] = {str(archive_kind): form for form, archive_kind in ARCHIVE_KINDS.items()}
    if kind not in forms:
        raise ValueError(f"Not a paper-form document kind: {kind!r}")
    form = forms[kind]
    if not complaint.customer_id:
        return None
    pdf = form_pdf(complaint, form=form)
    name = pdf_filename(complaint, form=form)
    title = (
        gettext("Signed complaint form, complaint %(ref)s")
        if form == COMPLAINT_FORM
        else gettext("Signed call-back form, complaint %(ref)s")
    ) % {"ref": complaint.reference}
    with transaction.atomic():
        doc = CustomerDocument(
            customer_id=complaint.customer_id,
            kind=kind,
            title=title[:200],
            original_name=name,
            content_type="application/pdf",
            size=len(pdf),
            uploaded_by=by,
        )
        doc.file.save(name, ContentFile(pdf), save=False)
        try:
            doc.save()
            log_access(by, complaint.customer_id, AccessAction.UPLOAD, doc.pk)
        except Exception:
            doc.file.delete(save=False)  # nothing half-written: no orphan file without its row
            raise
    return doc
