"""complaints.reports.xlsx, the streaming writer of the summary's XLSX: what it writes reads
back (openpyxl) as the same values, formats, styles, widths and frozen panes."""

import io
import zipfile
from datetime import date, datetime

import pytest
from openpyxl import load_workbook

from complaints.reports.xlsx import DATETIME_FORMAT, Style, Workbook

BOLD = Style(bold=True, size=14)
HEADER = Style(bold=True, fill="DCE6F1", border_bottom=True, wrap_top=True)


def wall(*args) -> datetime:
    """A local wall time, as the cells hold it (no time zone)."""
    return datetime(*args)  # noqa: DTZ001


def build(write) -> bytes:
    buffer = io.BytesIO()
    with Workbook(buffer) as wb:
        write(wb)
    return buffer.getvalue()


def test_values_read_back_as_written():
    def write(wb):
        ws = wb.sheet("Data & more", widths=[20, 12.5], freeze="B4")
        ws.append(["text", 1, 2.5, True, None, "", wall(2026, 10, 31, 23, 59, 59), date(2026, 10, 1)])
        ws.append([" padded ", "a & b < c > d \"q\" 'a'", "噪音扰民", "line\nbreak", -3, 1e-7, 12345678901234])
        ws.append(["bell\x07 and nul\x00 gone", float("nan"), float("inf")])

    content = build(write)
    assert zipfile.ZipFile(io.BytesIO(content)).testzip() is None
    wb = load_workbook(io.BytesIO(content))
    ws = wb["Data & more"]
    rows = [list(row) for row in ws.iter_rows(values_only=True)]
    assert rows[0] == ["text", 1, 2.5, True, None, None, wall(2026, 10, 31, 23, 59, 59), wall(2026, 10, 1)]
    assert rows[1][:7] == [" padded ", "a & b < c > d \"q\" 'a'", "噪音扰民", "line\nbreak", -3, 1e-7, 12345678901234]
    assert rows[2][0] == "bell and nul gone" and rows[2][1:3] == [None, None]
    assert ws.cell(1, 7).is_date and ws.cell(1, 7).number_format == DATETIME_FORMAT
    assert ws.freeze_panes == "B4"
    assert ws.column_dimensions["A"].width == 20 and ws.column_dimensions["B"].width == 12.5


def test_styles_read_back():
    def write(wb):
        ws = wb.sheet("Styled")
        ws.append(["Title"], [BOLD])
        ws.append(["Header", "Other"], [HEADER, HEADER])
        ws.append(["pct", 66.66, 6.8, 4.25], [None, Style(number_format="0.0"), Style(number_format="0.00"), None])
        ws.append(["Total", 7], [Style(bold=True), Style(bold=True, number_format="0.0")])

    ws = load_workbook(io.BytesIO(build(write)))["Styled"]
    assert ws.cell(1, 1).font.bold and ws.cell(1, 1).font.size == 14
    header = ws.cell(2, 1)
    assert header.font.bold and header.fill.fgColor.rgb == "FFDCE6F1"
    assert header.border.bottom.style == "thin" and header.alignment.wrap_text
    assert (ws.cell(3, 2).number_format, ws.cell(3, 3).number_format) == ("0.0", "0.00")
    assert ws.cell(3, 4).number_format == "General" and not ws.cell(3, 1).font.bold
    assert ws.cell(4, 1).font.bold and ws.cell(4, 2).number_format == "0.0"


def test_several_sheets_in_order_and_an_empty_workbook():
    def write(wb):
        for name in ("One", "Two", "Three"):
            wb.sheet(name).append([name])

    wb = load_workbook(io.BytesIO(build(write)))
    assert wb.sheetnames == ["One", "Two", "Three"]
    assert [ws.cell(1, 1).value for ws in wb.worksheets] == ["One", "Two", "Three"]
    assert load_workbook(io.BytesIO(build(lambda wb: None))).sheetnames == ["Sheet"]


def test_a_long_sheet_streams(tmp_path):
    target = tmp_path / "long.xlsx"
    with target.open("wb") as out, Workbook(out) as wb:
        ws = wb.sheet("Long", freeze="B2")
        ws.append(["No.", "At", "Channel"])
        for i in range(5000):
            ws.append([i, wall(2026, 10, 1, 0, 0, i % 60), ("Phone", "Letter")[i % 2]])
    ws = load_workbook(target, read_only=True)["Long"]
    rows = list(ws.iter_rows(values_only=True))
    assert len(rows) == 5001 and rows[-1] == (4999, wall(2026, 10, 1, 0, 0, 19), "Letter")


def test_aware_datetimes_and_other_types_are_refused():
    from django.utils import timezone

    with pytest.raises(ValueError, match="wall time"):
        build(lambda wb: wb.sheet("S").append([timezone.now()]))
    with pytest.raises(TypeError):
        build(lambda wb: wb.sheet("S").append([object()]))
