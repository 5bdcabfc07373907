"""The paper forms of a complaint (issue 11): the 顧客投訴單 and the 客戶回訪表 as an A4 print
page and as a PDF download, permission-checked like the complaint page (another office's
complaint is a 404, no complaint permission a 403)."""

import logging

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from helpdesk.views_tools import require_perms

from . import paper, selectors

VIEW = "complaints.view_complaint"
logger = logging.getLogger(__name__)


def _form_for(request, pk: int, form: str):
    require_perms(request.user, VIEW)
    complaint = selectors.complaint_for(request.user, pk)
    if form not in paper.TEMPLATES:
        raise Http404("No such form.")
    return complaint


@login_required
@require_GET
def paper_form(request, pk: int, form: str):
    """The form as an A4 page to print from the browser (print CSS, a print button)."""
    complaint = _form_for(request, pk, form)
    context = paper.CONTEXTS[form](complaint)
    response = render(request, paper.TEMPLATES[form], context)
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def paper_form_pdf(request, pk: int, form: str):
    """The same form as a PDF download."""
    complaint = _form_for(request, pk, form)
    try:
        pdf = paper.form_pdf(complaint, form=form)
    except paper.PdfUnavailable:
        logger.exception("PDF engine unavailable")
        return HttpResponse(
            _("PDF printing is not available on this server; use Print instead."),
            status=503,
            content_type="text/plain; charset=utf-8",
        )
    title = paper.bilingual(paper.LABELS["complaint_form" if form == paper.COMPLAINT_FORM else "callback_form"])
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = paper.content_disposition(
        paper.pdf_filename(complaint, form=form), display_name=f"{title.zh}-{complaint.pk}.pdf"
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
