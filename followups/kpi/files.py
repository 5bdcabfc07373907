"""The KPI table and the month's sampled complaints as files: XLSX (one sheet each) and CSV
(the table), laid out as the monthly summary's (complaints.reports.exports)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from complaints.reports import exports

from ..models import KpiSampleItem
from .figures import KPI_COLUMNS


@dataclass
class KpiFile:
    month_label: str
    office: str | None
    generated_at: datetime
    tables: list[exports.Table]


def kpi_file(kpis: dict[str, Any], items: list[KpiSampleItem]) -> KpiFile:
    """The table of the page and the sampled complaints, as the summary's exports lay out a view."""
    keys = [key for key, _label, _kind in KPI_COLUMNS]
    kinds = {i: kind for i, (_key, _label, kind) in enumerate(KPI_COLUMNS, start=2) if kind != "count"}

    def line(r):
        return [r["label"], r["office"], *[r[k] for k in keys]]

    yes, no = _("yes"), _("no")

    def flag(value):
        return "" if value is None else (yes if value else no)

    return KpiFile(
        month_label=kpis["month_label"],
        office=kpis["office"],
        generated_at=kpis["generated_at"],
        tables=[
            exports.Table(
                key="agents",
                title=_("Agents' performance"),
                header=[_("Agent"), _("Office"), *[label for _key, label, _kind in KPI_COLUMNS]],
                rows=[line(r) for r in kpis["rows"]],
                total=line(kpis["total"]),
                kinds=kinds,
            ),
            exports.Table(
                key="samples",
                title=_("Sampled complaints"),
                header=[
                    _("Agent"),
                    _("No."),
                    _("Closed at"),
                    _("Close reason"),
                    _("Re-checked at"),
                    _("Re-checked by"),
                    _("Reached"),
                    _("Satisfied"),
                    _("Rating"),
                    _("Note"),
                ],
                rows=[
                    [
                        str(i.sample.agent),
                        i.complaint.reference,
                        i.complaint.closed_at,
                        i.complaint.get_close_reason_display(),
                        i.rechecked_at,
                        str(i.rechecked_by) if i.rechecked_by_id else "",
                        flag(i.reached),
                        flag(i.satisfied),
                        i.rating,
                        i.note,
                    ]
                    for i in items
                ],
                in_csv=False,
                widths=[18, 10, 20, 30, 20, 18, 10, 10, 8, 40],
            ),
        ],
    )


def title(f: KpiFile) -> str:
    return _("Agents' performance review %(month)s") % {"month": f.month_label}


def scope_note(f: KpiFile) -> str:
    office = _("Office: %(value)s") % {"value": f.office or _("all")}
    produced = _("Produced: %(when)s") % {"when": f"{timezone.localtime(f.generated_at):%Y-%m-%d %H:%M}"}
    return f"{office} · {produced}"


def filename(f: KpiFile, fmt: str) -> str:
    return f"agent-kpis-{f.month_label}.{fmt}"


def build_xlsx(f: KpiFile) -> bytes:
    """One sheet per table, laid out as the monthly summary's sheets (title, scope, header)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = Workbook(write_only=True)
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DCE6F1")
    used: set[str] = set()
    for table in f.tables:
        ws = wb.create_sheet(exports._sheet_title(table.title, used))
        widths = table.widths or [
            min(max(12, *(exports._display_width(v) + 2 for v in col)), 30)
            for col in zip(table.header, *table.rows[:200], strict=False)
        ]
        for i, width in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(i)].width = width
        ws.freeze_panes = f"B{exports.HEADER_ROW + 1}"
        heading = WriteOnlyCell(ws, value=exports._plain(f"{title(f)} — {table.title}"))
        heading.font = Font(bold=True, size=14)
        ws.append([heading])
        ws.append([exports._plain(scope_note(f))])
        header = []
        for value in table.header:
            cell = WriteOnlyCell(ws, value=exports._plain(value))
            cell.font, cell.fill = bold, fill
            header.append(cell)
        ws.append(header)
        formats = {c: exports.kind_format(kind) for c, kind in table.kinds.items()}
        for values, font in [*((r, None) for r in table.rows), *([(table.total, bold)] if table.total else [])]:
            cells = []
            for c, value in enumerate(values):
                cell = WriteOnlyCell(ws, value=exports._plain(value))
                if formats.get(c) and value is not None:
                    cell.number_format = formats[c]
                if font:
                    cell.font = font
                cells.append(cell)
            ws.append(cells)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def build_csv(f: KpiFile) -> bytes:
    """The agents' table (UTF-8 with a BOM, as the summary's CSV)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([exports._plain(title(f))])
    writer.writerow([exports._plain(scope_note(f))])
    for table in f.tables:
        if not table.in_csv:
            continue
        writer.writerow([])
        writer.writerow([exports._plain(v) for v in table.header])
        for values in [*table.rows, *([table.total] if table.total else [])]:
            writer.writerow(["" if v is None else exports._plain(v) for v in values])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
