"""Customer pages (R-CU1, R-CU2, R-CU5, R-CU7): the list by tier, the customer page with contacts
for everyone who may see customers, and the confidential archive — fields, transactions and
documents — only for the roles of `customers.access`; each look at it is logged. The credit
evaluations and the churn analysis (R-CU7) only for their own permissions (managers and the
customer-information role): to anyone else they do not exist."""

import csv
from collections.abc import Iterator
from itertools import islice

from django.apps import apps
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from helpdesk.views_tools import apply_validation_error, paginate, query_without_page, require_perms

from . import access, services
from .access import AccessAction
from .churn import ChurnAnalysis, Signal, reasons
from .forms import (
    ArchiveForm,
    ChurnFilterForm,
    ContactsForm,
    CreditEvaluationForm,
    CustomerFilterForm,
    DocumentForm,
    NewCustomerForm,
    TierChangeForm,
    TransactionForm,
)
from .models import ArchiveAccess, Customer, CustomerDocument
from .widgets import phone_q, suggestions

VIEW = "customers.view_customer"
VIEW_CREDIT = "customers.view_creditevaluation"  # R-CU7: managers and customer_info only
ADD_CREDIT = "customers.add_creditevaluation"
VIEW_CHURN = "customers.view_churn"


@login_required
@require_GET
def customer_list(request):
    require_perms(request.user, VIEW)
    qs = Customer.objects.select_related("account_manager")
    form = CustomerFilterForm(request.GET or None)
    if form.is_valid():
        f = form.cleaned_data
        if f["q"]:
            qs = qs.filter(Q(name__icontains=f["q"]) | Q(contact_person__icontains=f["q"]) | phone_q(f["q"]))
        if f["tier"]:
            qs = qs.filter(tier=f["tier"])
        if f["mine"]:
            qs = qs.filter(account_manager=request.user)
    return render(
        request,
        "customers/list.html",
        {
            "form": form,
            "page": paginate(request, qs.order_by("name", "id")),
            "query": query_without_page(request),
            "can_add": request.user.has_perm("customers.add_customer"),
            "can_see_churn": request.user.has_perm(VIEW_CHURN),
        },
    )


@login_required
@require_GET
def customer_search(request):
    """Suggestions for the customer picker: up to 20 customers whose name or phone matches."""
    require_perms(request.user, VIEW)
    return suggestions(Customer.objects.all(), request.GET.get("q", ""))


@login_required
@require_http_methods(["GET", "POST"])
def customer_new(request):
    require_perms(request.user, VIEW, "customers.add_customer")
    form = NewCustomerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        customer = services.create_customer(form.save(commit=False), by=request.user)  # visits planned (R-CU3)
        messages.success(request, _("Customer “%(name)s” created.") % {"name": customer.name})
        return redirect("customers:detail", pk=customer.pk)
    return render(request, "customers/new.html", {"form": form}, status=400 if form.errors else 200)


def _page(request, customer, *, status=200, **forms):
    """The customer page; the confidential part only for the archive roles, logged."""
    user = request.user
    confidential = access.can_view_confidential(user)
    context = {
        "customer": customer,
        "confidential": confidential,
        "can_change": user.has_perm(access.CHANGE),
        "can_upload": confidential and user.has_perm(access.UPLOAD),
        "can_add_transaction": confidential and user.has_perm(access.ADD_TRANSACTION),
        "can_see_access_log": confidential and user.has_perm("customers.view_archiveaccess"),
        "tier_form": forms.get("tier_form") or TierChangeForm(initial={"new_tier": customer.tier}),
        "contacts_form": forms.get("contacts_form") or ContactsForm(instance=customer),
    }
    if user.has_perm("customers.view_tierchange"):
        context["tier_changes"] = customer.tier_changes.select_related("changed_by")[:20]
    if user.has_perm("complaints.view_complaint"):
        # complaints build on customers: imported here, not at module level (tests/test_architecture.py)
        from complaints.selectors import Complainant, complainant_history

        who = Complainant(customer.pk, customer.phone, customer.email)
        context["complaints"] = complainant_history(user, who)
    if user.has_perm("followups.view_visit"):
        Visit = apps.get_model("followups", "Visit")  # a string reference: followups builds on customers
        context["visits"] = (
            Visit.objects.filter(customer=customer, due_on__gte=timezone.localdate())
            .exclude(status="cancelled")
            .select_related("visitor")
            .order_by("due_on", "id")[:12]
        )
    if confidential:
        context.update(
            {
                "archive_form": forms.get("archive_form") or ArchiveForm(instance=customer),
                "transaction_form": forms.get("transaction_form") or TransactionForm(),
                "document_form": forms.get("document_form") or DocumentForm(),
                "transactions": customer.transactions.all()[:50],
                "documents": customer.documents.select_related("uploaded_by")[:100],
            }
        )
    credit = user.has_perm(VIEW_CREDIT)
    if credit:  # R-CU7: the latest evaluation first, then the history
        context["credit_evaluations"] = list(customer.credit_evaluations.select_related("evaluated_by")[:50])
        if user.has_perm(ADD_CREDIT):
            context["credit_form"] = forms.get("credit_form") or CreditEvaluationForm()
    if confidential or credit:  # one look at the archive, whichever parts of it were shown
        access.log_access(user, customer.pk, AccessAction.VIEW_ARCHIVE)
    return render(request, "customers/detail.html", context, status=status)


@login_required
@require_GET
def customer_detail(request, pk: int):
    require_perms(request.user, VIEW)
    customer = get_object_or_404(Customer.objects.select_related("account_manager"), pk=pk)
    return _page(request, customer)


def _post_target(request, pk: int, *perms: str, confidential: bool = False):
    require_perms(request.user, VIEW, *perms)
    if confidential and not access.can_view_confidential(request.user):
        raise PermissionDenied(
            _("Only the manager, supervisors and customer-information staff may see the confidential archive.")
        )
    return get_object_or_404(Customer.objects.select_related("account_manager"), pk=pk)


@login_required
@require_POST
def change_tier(request, pk: int):
    customer = _post_target(request, pk, access.CHANGE)
    form = TierChangeForm(request.POST)
    if form.is_valid():
        try:
            services.change_tier(
                customer, new_tier=form.cleaned_data["new_tier"], reason=form.cleaned_data["reason"], by=request.user
            )
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            messages.success(
                request, _("Tier changed to %(tier)s; future visits re-planned.") % {"tier": customer.tier}
            )
            return redirect("customers:detail", pk=pk)
    return _page(request, customer, status=400, tier_form=form)


@login_required
@require_POST
def evaluate_credit(request, pk: int):
    """R-CU7: record a credit evaluation (the history is append-only)."""
    customer = _post_target(request, pk, VIEW_CREDIT, ADD_CREDIT)
    form = CreditEvaluationForm(request.POST)
    if form.is_valid():
        try:
            services.evaluate_credit(customer, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, _("Credit evaluation recorded."))
            return redirect("customers:detail", pk=pk)
    return _page(request, customer, status=400, credit_form=form)


@login_required
@require_POST
def edit_contacts(request, pk: int):
    customer = _post_target(request, pk, access.CHANGE)
    form = ContactsForm(request.POST, instance=customer)
    if form.is_valid():
        services.update_customer(form.save(commit=False), by=request.user)  # a new account manager: visits
        messages.success(request, _("Contacts saved."))
        return redirect("customers:detail", pk=pk)
    customer.refresh_from_db()
    return _page(request, customer, status=400, contacts_form=form)


@login_required
@require_POST
def edit_archive(request, pk: int):
    customer = _post_target(request, pk, access.CHANGE, confidential=True)
    form = ArchiveForm(request.POST, instance=customer)
    if form.is_valid():
        form.save()
        messages.success(request, _("Archive saved."))
        return redirect("customers:detail", pk=pk)
    customer.refresh_from_db()
    return _page(request, customer, status=400, archive_form=form)


@login_required
@require_POST
def add_transaction(request, pk: int):
    customer = _post_target(request, pk, access.ADD_TRANSACTION, confidential=True)
    form = TransactionForm(request.POST)
    if form.is_valid():
        form.instance.customer, form.instance.recorded_by = customer, request.user
        form.save()
        messages.success(request, _("Transaction recorded."))
        return redirect("customers:detail", pk=pk)
    return _page(request, customer, status=400, transaction_form=form)


@login_required
@require_POST
def upload_document(request, pk: int):
    customer = _post_target(request, pk, access.UPLOAD, confidential=True)
    form = DocumentForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        with transaction.atomic():
            doc = CustomerDocument(
                customer=customer,
                kind=form.cleaned_data["kind"],
                title=form.cleaned_data["title"].strip(),
                original_name=form.safe_name,
                content_type=form.content_type,
                size=upload.size,
                uploaded_by=request.user,
            )
            doc.file.save(form.safe_name, upload, save=False)
            try:
                doc.save()
                access.log_access(request.user, customer.pk, AccessAction.UPLOAD, doc.pk)
            except Exception:
                doc.file.delete(save=False)  # nothing half-written: no orphan file without its row
                raise
        messages.success(request, _("Document “%(name)s” uploaded.") % {"name": doc.original_name})
        return redirect("customers:detail", pk=pk)
    return _page(request, customer, status=400, document_form=form)


@login_required
@require_GET
def download_document(request, pk: int, doc_pk: int):
    """The only way a document leaves the server: permission-checked and logged."""
    require_perms(request.user, VIEW)
    if not access.can_view_confidential(request.user):
        raise PermissionDenied(
            _("Only the manager, supervisors and customer-information staff may open archive documents.")
        )
    doc = get_object_or_404(CustomerDocument, pk=doc_pk, customer_id=pk)
    try:
        handle = doc.file.open("rb")
    except FileNotFoundError:
        raise Http404(_("The file of this document is missing from the archive store.")) from None
    access.log_access(request.user, pk, AccessAction.DOWNLOAD, doc.pk)
    response = FileResponse(
        handle,
        as_attachment=request.GET.get("inline") != "1",
        filename=doc.original_name,
        content_type=doc.content_type,
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_GET
def access_log(request, pk: int):
    require_perms(request.user, VIEW, "customers.view_archiveaccess")
    customer = get_object_or_404(Customer, pk=pk)
    qs = ArchiveAccess.objects.filter(customer=customer).select_related("user", "document").order_by("-at", "-id")
    page = paginate(request, qs, 50)
    return render(request, "customers/access_log.html", {"customer": customer, "page": page, "query": ""})


@login_required
@require_GET
def churn(request):
    """R-CU7 客戶流失分析: the customers at risk, with each signal's reason; `?format=csv` for all
    of them as a spreadsheet. The credit signal only for those who may see credit evaluations."""
    require_perms(request.user, VIEW, VIEW_CHURN)
    signals = [s for s in Signal.values if s != Signal.POOR_CREDIT or request.user.has_perm(VIEW_CREDIT)]
    analysis = ChurnAnalysis(signals=signals)
    rows = analysis.customers()
    form = ChurnFilterForm(request.GET or None, signals=signals)
    if form.is_valid():
        if form.cleaned_data["tier"]:
            rows = rows.filter(tier=form.cleaned_data["tier"])
        if form.cleaned_data["signal"]:
            rows = analysis.with_signal(rows, form.cleaned_data["signal"])
    if request.GET.get("format") == "csv":
        response = StreamingHttpResponse(_churn_csv(analysis, rows), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="churn-{timezone.localdate():%Y-%m-%d}.csv"'
        response["Cache-Control"] = "private, no-store"
        return response
    page = paginate(request, rows)
    shown = list(page)
    analysis.explain(shown)  # one query for the page's figures
    for row in shown:
        row.churn_reasons = reasons(row)
    query = query_without_page(request)
    return render(request, "customers/churn.html", {"form": form, "page": page, "query": query})


class _Echo:
    def write(self, value: str) -> str:
        return value


def _cell(value: object) -> str:
    """Text a spreadsheet would run as a formula stays text (CSV injection)."""
    text = str(value)
    return f"'{text}" if text.startswith(("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")) else text


def _churn_csv(analysis: ChurnAnalysis, rows, batch: int = 500) -> Iterator[str]:
    """Every row of the list, its figures fetched a batch at a time."""
    writer = csv.writer(_Echo())
    yield "\ufeff"  # Excel reads the file as UTF-8
    yield writer.writerow([_("Customer"), _("Tier"), _("Signals"), _("Reasons")])
    found = rows.iterator(chunk_size=batch)
    while chunk := list(islice(found, batch)):
        analysis.explain(chunk)
        for row in chunk:
            words = "; ".join(text for _signal, text in reasons(row))
            yield writer.writerow([_cell(row.name), row.tier, row.risk_count, _cell(words)])
