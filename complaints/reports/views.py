"""The monthly dashboard and the summary downloads (R-C11). Both present what
`monthly_figures` returns, read from the kept parts (summary.monthly_summary); permissions:
complaints.view_reports for the dashboard (supervisors, read-only, and managers),
complaints.download_summary for the files (managers)."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils.formats import localize
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from helpdesk.dates import add_months, local_today, month_label
from helpdesk.views_tools import require_perms

from .. import rules
from . import exports
from .figures import MonthlyFigures
from .forms import SummaryFilterForm
from .summary import monthly_summary

HINT = mark_safe('<span class="hint">—</span>')  # noqa: S308  (fixed markup): no figure


def cell_html(value, kind: str | None) -> str:
    """A figure as the page shows it: what templates/reports/_cell.html renders (a test holds
    them equal), done here once per cell rather than by an include per cell — a thousand
    includes made up most of the page's time."""
    if value is None:
        return HINT
    if type(value) is int and not settings.USE_THOUSAND_SEPARATOR:
        return str(value)  # what localize() gives an int without grouping, in a fraction of the time
    if kind == "pct":
        return format_html("{}%", floatformat(value, 1))
    if kind == "hours":
        return floatformat(value, 2)
    if kind == "rating":
        return floatformat(value, 1)
    return conditional_escape(localize(value))


def display_tables(figures: MonthlyFigures) -> dict[str, dict]:
    """The views of the summary as the files lay them out (exports.tables), each cell with
    its kind (pct, hours, rating); "body" and "total_row" are those rows as the page shows them
    (cell_html in <td> and <th>)."""
    out = {}
    for table in exports.tables(figures):

        def cells(row, row_kind=None, *, table=table):
            return [
                {
                    "value": value,
                    "kind": table.kinds.get(i) or (row_kind if i else None),
                    "num": isinstance(value, int | float) and not isinstance(value, bool),
                }
                for i, value in enumerate(row)
            ]

        def shown(row, tag="td"):
            """The row's cells as the page shows them (cell_html), in their <td> or <th>."""
            return "".join(
                f'<{tag} class="num">{cell_html(cell["value"], cell["kind"])}</{tag}>'
                if cell["num"]
                else f"<{tag}>{cell_html(cell['value'], cell['kind'])}</{tag}>"
                for cell in row
            )

        row_kinds = table.row_kinds or [None] * len(table.rows)
        rows = [cells(row, kind) for row, kind in zip(table.rows, row_kinds, strict=True)]
        total = cells(table.total) if table.total else None
        numeric = [
            i > 0 and all(r[i]["num"] or r[i]["value"] is None for r in [*rows, *([total] if total else [])])
            for i in range(len(table.header))
        ]
        out[table.key] = {
            "title": table.title,
            "rows": rows,
            "total": total,
            "header": [{"label": label, "num": num} for label, num in zip(table.header, numeric, strict=True)],
            # the body and the total, rendered here: a template tag per cell cost more than the figures
            "body": mark_safe("".join(f"<tr>{shown(row)}</tr>\n" for row in rows)),  # noqa: S308 (escaped)
            "total_row": mark_safe(f'<tr class="total">{shown(total, "th")}</tr>') if total else None,  # noqa: S308
        }
    return out


def chart_data(figures: MonthlyFigures) -> dict:
    """The numbers the charts draw, taken from the figures as they are."""
    trend = figures["trend"]
    cc = figures["by_category_channel"]
    offices = figures["by_office"]
    return {
        "trend": {
            "labels": [t["label"] for t in trend],
            "received": [t["received"] for t in trend],
            "closed": [t["closed"] for t in trend],
            "compliance": [t["reply_compliance_pct"] for t in trend],
        },
        "channels": {
            "labels": [c["label"] for c in figures["by_channel"]],
            "values": [c["received"] for c in figures["by_channel"]],
        },
        "categories": {
            "labels": [row["label"] for row in cc["rows"]],
            "series": [
                {"label": c["label"], "values": [row["counts"][c["code"]] for row in cc["rows"]]}
                for c in cc["channels"]
            ],
        },
        "compliance": {
            "labels": [row["label"] for row in offices["rows"]] + [_("All offices (consolidated)")],
            "values": [row["reply_compliance_pct"] for row in offices["rows"]]
            + [offices["total"]["reply_compliance_pct"]],
        },
        "text": {
            "received": _("Received"),
            "closed": _("Closed"),
            "compliance": _("Compliance (%)"),
            "complaints": _("Complaints"),
        },
    }


@login_required
@require_GET
def monthly_dashboard(request):
    require_perms(request.user, rules.VIEW_REPORTS)
    form = SummaryFilterForm(request.GET, user=request.user)  # no month: the latest with complaints
    if not form.is_valid():
        return render(request, "reports/monthly.html", {"form": form}, status=400)
    figures = monthly_summary(**form.figure_kwargs(), user=request.user, include_complaints=False)
    month = figures["month"]
    query = form.filter_query()
    following = add_months(month, 1)
    return render(
        request,
        "reports/monthly.html",
        {
            "form": form,
            "figures": figures,
            "charts": chart_data(figures),
            "tables": display_tables(figures),
            "scope_note": exports.scope_note(figures),
            "filter_query": query,
            "previous_link": f"?month={month_label(add_months(month, -1))}" + (f"&{query}" if query else ""),
            "next_link": (
                f"?month={month_label(following)}" + (f"&{query}" if query else "")
                if following <= local_today()
                else None
            ),
            "downloads": [
                (
                    fmt.upper(),
                    reverse("reports:monthly_download", args=[month_label(month), fmt])
                    + (f"?{query}" if query else ""),
                )
                for fmt in exports.FORMATS
            ]
            if request.user.has_perm(rules.DOWNLOAD_SUMMARY)
            else [],
        },
    )


@login_required
@require_GET
def monthly_download(request, month: str, fmt: str):
    require_perms(request.user, rules.DOWNLOAD_SUMMARY)
    form = SummaryFilterForm({**request.GET.dict(), "month": month}, user=request.user)
    if not form.is_valid():
        return render(request, "reports/bad_request.html", {"form": form}, status=400)
    figures = monthly_summary(
        **form.figure_kwargs(), user=request.user, include_complaints=fmt == "xlsx"
    )  # the list is a sheet of the XLSX only
    content = exports.build(figures, fmt, language=get_language())
    response = HttpResponse(content, content_type=exports.CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{exports.filename(figures, fmt)}"'
    return response
