"""The monthly summary as files: XLSX (complaints.reports.xlsx, streamed; one sheet per view)
and CSV (UTF-8 with a BOM, so that Excel opens Chinese text correctly; the headline and the
breakdowns in sections). Both only lay out what `figures.monthly_figures` returned, in the active language
(or `language`)."""

from __future__ import annotations

import csv
import io
import re
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import override

from .figures import AGENT_COLUMNS, BREAKDOWN_COLUMNS, MonthlyFigures
from .figures.types import Breakdown
from .xlsx import Style, Workbook

CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}
FORMATS = tuple(CONTENT_TYPES)
PCT_FORMAT, HOURS_FORMAT, RATING_FORMAT = "0.0", "0.00", "0.0"  # datetimes get a date format from openpyxl
# The number format of each kind of figure (figures.labels.HEADLINE); counts have none.
KIND_FORMATS = {"pct": PCT_FORMAT, "hours": HOURS_FORMAT, "rating": RATING_FORMAT}
TITLE_ROW, NOTE_ROW, HEADER_ROW = 1, 2, 3  # the data starts below the header


@dataclass
class Table:
    """One view of the summary: a sheet of the XLSX, a section of the CSV."""

    key: str
    title: str
    header: list
    rows: list[list] = field(default_factory=list)
    total: list | None = None
    kinds: dict[int, str] = field(default_factory=dict)  # column index -> kind of figure (KIND_FORMATS)
    row_kinds: list[str | None] | None = None  # per row, for the figure columns (headline)
    widths: list[int] | None = None
    in_csv: bool = True


def filename(figures: MonthlyFigures, fmt: str) -> str:
    return f"complaint-summary-{figures['month_label']}.{fmt}"


def title(figures: MonthlyFigures) -> str:
    return _("Complaint classification record table %(month)s") % {"month": figures["month_label"]}


def scope_note(figures: MonthlyFigures) -> str:
    f = figures["filters"]
    everything = _("all")
    parts = [
        _("Office: %(value)s") % {"value": f["office"] or everything},
        _("Department: %(value)s") % {"value": f["department"] or everything},
        _("Channel: %(value)s") % {"value": f["channel"] or everything},
        _("Customer tier: %(value)s") % {"value": f["tier"] or everything},
        _("Produced: %(when)s") % {"when": f"{timezone.localtime(figures['generated_at']):%Y-%m-%d %H:%M}"},
    ]
    return " · ".join(str(p) for p in parts)


def kind_format(kind: str | None) -> str | None:
    return KIND_FORMATS.get(kind) if kind else None


def change(current, previous):
    if isinstance(current, int | float) and isinstance(previous, int | float):
        return round(current - previous, 2)
    return None


def _breakdown_table(key: str, title_: str, first: str, block: Breakdown, total_label: str) -> Table:
    columns = [k for k, _label in BREAKDOWN_COLUMNS]
    return Table(
        key=key,
        title=title_,
        header=[first, *[label for _k, label in BREAKDOWN_COLUMNS]],
        rows=[[row["label"], *[row[c] for c in columns]] for row in block["rows"]],
        total=[total_label, *[block["total"][c] for c in columns]],
        kinds={len(columns): "pct"},
    )


def tables(figures: MonthlyFigures) -> list[Table]:
    """Every view of the summary, in order (the XLSX sheets; the CSV sections but the list)."""
    month, prev = figures["month_label"], figures["previous_month_label"]
    out = [
        Table(
            key="headline",
            title=_("Headline figures"),
            header=[_("Figure"), month, prev, _("Difference")],
            rows=[
                [row["label"], row["current"], row["previous"], change(row["current"], row["previous"])]
                for row in figures["headline"]
            ],
            row_kinds=[row["kind"] for row in figures["headline"]],
            widths=[46, 14, 14, 12],
        )
    ]

    cc = figures["by_category_channel"]
    out.append(
        Table(
            key="category_channel",
            title=_("By category and channel"),
            header=[_("Category"), *[c["label"] for c in cc["channels"]], _("Total")],
            rows=[
                [row["label"], *[row["counts"][c["code"]] for c in cc["channels"]], row["total"]] for row in cc["rows"]
            ],
            total=[_("Total"), *[cc["totals"][c["code"]] for c in cc["channels"]], cc["total"]],
        )
    )
    out.append(
        _breakdown_table("office", _("By office"), _("Office"), figures["by_office"], _("All offices (consolidated)"))
    )
    out.append(
        _breakdown_table("department", _("By department"), _("Department"), figures["by_department"], _("Total"))
    )
    out.append(_breakdown_table("tier", _("By customer tier"), _("Customer tier"), figures["by_tier"], _("Total")))
    out.append(
        _breakdown_table("level", _("By escalation level"), _("Escalation level"), figures["by_level"], _("Total"))
    )
    esc = figures["escalations"]
    out.append(
        Table(
            key="escalations",
            title=_("Escalations by level and cause"),
            header=[_("Level reached"), _("Cause"), _("Escalations")],
            rows=[[r["level_label"], r["cause_label"], r["count"]] for r in esc["by_level_cause"]],
            total=[_("Total"), "", esc["total"]],
        )
    )
    agent_columns = [k for k, _label in AGENT_COLUMNS]
    out.append(
        Table(
            key="agents",
            title=_("Per agent"),
            header=[_("Agent"), *[label for _k, label in AGENT_COLUMNS]],
            rows=[[row["label"], *[row[c] for c in agent_columns]] for row in figures["agents"]],
            kinds={
                agent_columns.index("reply_compliance_pct") + 1: "pct",
                agent_columns.index("callback_satisfaction_pct") + 1: "pct",
                agent_columns.index("rating_average") + 1: "rating",
            },
        )
    )
    out.append(
        Table(
            key="trend",
            title=_("Last 12 months"),
            header=[_("Month"), _("Received"), _("Closed"), _("Compliance (%)")],
            rows=[[t["label"], t["received"], t["closed"], t["reply_compliance_pct"]] for t in figures["trend"]],
            kinds={3: "pct"},
        )
    )
    if figures["complaints"] is not None:
        out.append(
            Table(
                key="complaints",
                title=_("Complaints of the month"),
                in_csv=False,
                header=[
                    _("No."),
                    _("Received at"),
                    _("Channel"),
                    _("Category"),
                    _("Office"),
                    _("Status"),
                    _("Close reason"),
                    _("Escalation level"),
                ],
                rows=[
                    [
                        c["id"],
                        c["received_at"],
                        c["channel_label"],
                        c["category"],
                        c["office"],
                        c["status_label"],
                        c["close_reason_label"],
                        c["level"],
                    ]
                    for c in figures["complaints"]
                ],
                widths=[10, 20, 16, 22, 28, 26, 36, 10],
            )
        )
    return out


# Characters XML 1.0 cannot hold (an XLSX cell with one is a broken file): C0 controls but
# tab, line feed and carriage return.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
# A cell whose text starts with one of these is a formula to Excel, LibreOffice and Sheets
# (CSV injection, OWASP): such text gets a leading apostrophe and stays text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")


def cell_text(text: str) -> str:
    """The one sanitiser of every text cell of the XLSX and the CSV: control characters that
    XML refuses are removed, and text that a spreadsheet would run as a formula is
    prefixed with an apostrophe ("=HYPERLINK(…)" → "'=HYPERLINK(…)")."""
    text = _CONTROL.sub("", text)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _plain(value, _texts: dict | None = None):
    """Lazy labels become text (each shared label or text sanitised once when `_texts` is
    given), and every text passes `cell_text`; aware datetimes become local wall time (Excel
    has no time zones)."""
    kind = type(value)
    if value is None or kind is int or kind is float or kind is bool:
        return value
    if kind is str:
        if _texts is None:
            return cell_text(value)
        found = _texts.get(value)
        if found is None:
            found = _texts[value] = cell_text(value)
        return found
    if isinstance(value, Promise):
        if _texts is None:
            return cell_text(str(value))
        key = id(value)
        if key not in _texts:
            _texts[key] = (cell_text(str(value)), value)  # keep the object alive: its id stays unique
        return _texts[key][0]
    if isinstance(value, str):
        return cell_text(value)
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(_local_zone()).replace(tzinfo=None)
    return value


_local_zone = timezone.get_default_timezone


def _display_width(value) -> int:
    text = str(_plain(value)) if value is not None else ""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)  # CJK characters are twice as wide


_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")


def _sheet_title(text: str, used: set[str]) -> str:
    name = _SHEET_BAD.sub(" ", str(text)).strip()[:31] or "Sheet"
    candidate, n = name, 2
    while candidate.lower() in used:
        suffix = f" {n}"
        candidate, n = name[: 31 - len(suffix)] + suffix, n + 1
    used.add(candidate.lower())
    return candidate


# ------------------------------------------------------------------------ XLSX
def build_xlsx(figures: MonthlyFigures, *, language: str | None = None) -> bytes:
    with override(language) if language else nullcontext():
        return _build_xlsx(figures)


TITLE_STYLE = Style(bold=True, size=14)
HEADER_STYLE = Style(bold=True, fill="DCE6F1", border_bottom=True, wrap_top=True)
TOTAL_STYLE = Style(bold=True)


def _build_xlsx(figures: MonthlyFigures) -> bytes:
    """One sheet per view (xlsx.Workbook: streamed, the list of complaints can be long)."""
    heading, note = title(figures), scope_note(figures)
    used: set[str] = set()
    buffer = io.BytesIO()
    with Workbook(buffer) as wb:
        for table in tables(figures):
            ncols = len(table.header)
            widths = table.widths or [
                min(max(12, *(_display_width(v) + 2 for v in col)), 48)
                for col in zip(table.header, *table.rows[:200], *([table.total] if table.total else []), strict=False)
            ]
            # the title, the header and the first column stay in view
            ws = wb.sheet(_sheet_title(table.title, used), widths=widths[:ncols], freeze=f"B{HEADER_ROW + 1}")
            ws.append([_plain(f"{heading} — {table.title}")], [TITLE_STYLE])
            ws.append([_plain(note)])
            ws.append([_plain(value) for value in table.header], [HEADER_STYLE] * ncols)
            column_styles = {c: Style(number_format=kind_format(kind)) for c, kind in table.kinds.items()}
            row_kinds = table.row_kinds
            texts: dict = {}
            for r, row in enumerate(table.rows):
                values = [_plain(v, texts) for v in row]
                number_format = kind_format(row_kinds[r]) if row_kinds else None
                if number_format or column_styles:
                    row_style = Style(number_format=number_format) if number_format else None
                    ws.append(values, [column_styles.get(c) or (row_style if c else None) for c in range(len(values))])
                else:
                    ws.append(values)
            if table.total:
                total_styles = [
                    TOTAL_STYLE.with_format(kind_format(table.kinds.get(c))) for c in range(len(table.total))
                ]
                ws.append([_plain(value) for value in table.total], total_styles)
    return buffer.getvalue()


# ------------------------------------------------------------------------- CSV
def build_csv(figures: MonthlyFigures, *, language: str | None = None) -> bytes:
    with override(language) if language else nullcontext():
        return _build_csv(figures)


def _build_csv(figures: MonthlyFigures) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_plain(title(figures))])
    writer.writerow([_plain(scope_note(figures))])
    for table in tables(figures):
        if not table.in_csv:
            continue
        writer.writerow([])
        writer.writerow([_plain(table.title)])
        writer.writerow([_plain(v) for v in table.header])
        for row in table.rows:
            writer.writerow(["" if v is None else _plain(v) for v in row])
        if table.total:
            writer.writerow(["" if v is None else _plain(v) for v in table.total])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def build(figures: MonthlyFigures, fmt: str, *, language: str | None = None) -> bytes:
    if fmt not in FORMATS:
        raise ValueError(f"Unknown format {fmt!r}")
    return (build_xlsx if fmt == "xlsx" else build_csv)(figures, language=language)
