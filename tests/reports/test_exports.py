"""The XLSX opens with openpyxl and its cells are the computed figures; the CSV starts with
the UTF-8 BOM and round-trips Chinese text."""

import csv
import io

import pytest
from django.utils import translation
from openpyxl import load_workbook

from complaints.reports import exports
from complaints.reports.figures import AGENT_COLUMNS, BREAKDOWN_COLUMNS, monthly_figures

from .october import NOW, OCTOBER

pytestmark = pytest.mark.django_db

HEADER, FIRST = exports.HEADER_ROW, exports.HEADER_ROW + 1


@pytest.fixture
def figures(october):
    return monthly_figures(month=OCTOBER, now=NOW)


def sheet_rows(ws):
    return [list(row) for row in ws.iter_rows(values_only=True)]


def workbook(content: bytes):
    return load_workbook(io.BytesIO(content))


def test_xlsx_has_one_sheet_per_view_with_title_frozen_header_and_widths(figures):
    wb = workbook(exports.build_xlsx(figures, language="en"))
    assert wb.sheetnames == [
        "Headline figures",
        "By category and channel",
        "By office",
        "By department",
        "By customer tier",
        "By escalation level",
        "Escalations by level and cause",
        "Per agent",
        "Last 12 months",
        "Complaints of the month",
    ]
    for ws in wb.worksheets:
        assert ws.cell(1, 1).value.startswith("Complaint classification record table 2026-10")
        assert ws.cell(1, 1).font.bold
        assert ws.freeze_panes == f"B{FIRST}"
        assert ws.cell(HEADER, 1).font.bold
        assert ws.column_dimensions["A"].width >= 10
    assert "Office: all" in wb["By office"].cell(2, 1).value


def test_xlsx_headline_sheet_equals_the_figures_with_the_previous_month(figures):
    ws = workbook(exports.build_xlsx(figures))["Headline figures"]
    rows = sheet_rows(ws)
    assert rows[HEADER - 1] == ["Figure", "2026-10", "2026-09", "Difference"]
    body = {row[0]: row[1:] for row in rows[FIRST - 1 :]}
    for item in figures["headline"]:
        assert body[str(item["label"])][:2] == [item["current"], item["previous"]]
    assert body["Complaints received"] == [7, 2, 5]
    assert body["Reply-deadline compliance (%)"] == [66.7, 100.0, -33.3]
    assert body["Call-back satisfaction (%)"] == [75.0, None, None]
    assert body["Time to first reply, 90th percentile (hours)"][0] == 6.8
    assert ws.cell(FIRST + 9, 2).number_format == exports.PCT_FORMAT


def test_xlsx_breakdown_sheets_equal_the_figures(figures, october):
    wb = workbook(exports.build_xlsx(figures))
    rows = sheet_rows(wb["By office"])
    columns = [key for key, _label in BREAKDOWN_COLUMNS]
    assert rows[HEADER - 1] == ["Office", *[str(label) for _key, label in BREAKDOWN_COLUMNS]]
    body = rows[FIRST - 1 :]
    assert [r[0] for r in body] == [october.office.name, october.other_office.name, "All offices (consolidated)"]
    for row, expected in zip(body, [*figures["by_office"]["rows"], figures["by_office"]["total"]], strict=True):
        assert row[1:] == [expected[c] for c in columns]

    cc = sheet_rows(wb["By category and channel"])
    assert cc[HEADER - 1] == [
        "Category",
        "Walk-in",
        "Phone",
        "Online (web form, e-mail, message)",
        "Letter",
        "Field visit",
        "Total",
    ]
    assert cc[FIRST - 1] == ["Repairs", 1, 3, 0, 0, 1, 5]
    assert cc[FIRST] == ["噪音扰民", 0, 0, 1, 1, 0, 2]
    assert cc[-1] == ["Total", 1, 3, 1, 1, 1, 7]

    agents = {r[0]: r[1:] for r in sheet_rows(wb["Per agent"])[FIRST - 1 :]}
    agent_columns = [key for key, _label in AGENT_COLUMNS]
    for expected in figures["agents"]:
        assert agents[expected["label"]] == [expected[c] for c in agent_columns]
    assert agents["Li Na"][agent_columns.index("callbacks")] == 3

    levels = sheet_rows(wb["By escalation level"])[FIRST - 1 :]
    assert [(r[0], r[1]) for r in levels] == [
        ("0 — receiver", 5),
        ("1 — service-centre supervisor", 1),
        ("2 — responsible department head", 1),
        ("Total", 7),
    ]
    esc = sheet_rows(wb["Escalations by level and cause"])
    assert esc[-1] == ["Total", None, 4]


def test_xlsx_complaint_list_in_local_time(figures, october):
    ws = workbook(exports.build_xlsx(figures))["Complaints of the month"]
    assert ws.cell(FIRST, 2).is_date  # a real date-time cell, in local wall time
    rows = sheet_rows(ws)[FIRST - 1 :]
    assert len(rows) == 7
    first, last = rows[0], rows[-1]
    assert first[0] == october.c[1].pk and first[1].isoformat() == "2026-10-01T00:00:00"
    assert last[0] == october.c[5].pk and last[1].isoformat() == "2026-10-31T23:59:59"
    assert first[2:] == ["Phone", "Repairs", october.office.name, "Closed", "Resolved on the spot with sign-off", 0]
    assert last[5:] == ["Received", None, 0]


def test_csv_starts_with_the_bom_and_round_trips_chinese(figures):
    content = exports.build_csv(figures, language="en")
    assert content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows[0] == ["Complaint classification record table 2026-10"]
    assert ["噪音扰民", "0", "0", "1", "1", "0", "2"] in rows
    headline = rows.index(["Headline figures"])
    assert rows[headline + 1] == ["Figure", "2026-10", "2026-09", "Difference"]
    assert rows[headline + 2] == ["Complaints received", "7", "2", "5"]
    sections = [r[0] for r, before in zip(rows[1:], rows, strict=False) if before == [] and r]
    assert sections == [
        "Headline figures",
        "By category and channel",
        "By office",
        "By department",
        "By customer tier",
        "By escalation level",
        "Escalations by level and cause",
        "Per agent",
        "Last 12 months",
    ]
    assert "Complaints of the month" not in sections  # the list is in the XLSX only


def test_csv_in_simplified_chinese_uses_the_catalogue(figures):
    content = exports.build_csv(figures, language="zh-hans")
    text = content.decode("utf-8-sig")
    with translation.override("zh-hans"):
        expected = [str(translation.gettext(word)) for word in ("Channel", "Phone", "Category")]
    assert expected[1] != "Phone"  # the catalogue has it
    assert expected[1] in text and "噪音扰民" in text
    assert content.decode("utf-8").startswith("\ufeff")


def test_filename():
    assert exports.filename({"month_label": "2026-10"}, "xlsx") == "complaint-summary-2026-10.xlsx"
