"""A small streaming XLSX writer for the monthly summary (issue 17): rows go straight into the
zipped sheet as they come, so a month of 45,000 complaints is written in well under a second
and in little memory (openpyxl, even write-only, spent ~4 s on its 330,000 cells: an object,
a style binding and an XML element per cell).

It writes what the summary needs and nothing else — text (shared strings), numbers, booleans,
dates and times (local wall time, as Excel has no time zones), a few cell styles (bold, size,
a fill, a bottom border, wrapped text, a number format), column widths and frozen panes —
as plain SpreadsheetML (ECMA-376) that Excel, LibreOffice and openpyxl read."""

from __future__ import annotations

import math
import re
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import IO, Any
from xml.sax.saxutils import escape, quoteattr

from openpyxl.utils import get_column_letter

DATETIME_FORMAT = "yyyy-mm-dd h:mm:ss"  # openpyxl's default for datetimes, so they read back as dates
DATE_FORMAT = "yyyy-mm-dd"
# Characters XML 1.0 cannot hold: C0 controls but tab, line feed and carriage return.
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# Excel's day 0 (the 1900 date system, with its 1900-02-29), in wall time as the cells are
_EPOCH = datetime(1899, 12, 30)  # noqa: DTZ001
_BUILTIN_FORMATS = {"General": 0, "0": 1, "0.00": 2, "#,##0": 3, "#,##0.00": 4, "0%": 9, "0.00%": 10}
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_HEADER = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_FLUSH_ROWS = 500


@dataclass(frozen=True)
class Style:
    """How a cell looks. `fill` is an RGB colour ("DCE6F1"); `number_format` a format code."""

    bold: bool = False
    size: float | None = None
    fill: str | None = None
    border_bottom: bool = False
    wrap_top: bool = False
    number_format: str | None = None

    def with_format(self, number_format: str | None) -> Style:
        return Style(self.bold, self.size, self.fill, self.border_bottom, self.wrap_top, number_format)


PLAIN = Style()


def _serial(value: datetime | date) -> float:
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            raise ValueError("XLSX cells hold wall time: make the datetime naive (local) first")
        delta = value - _EPOCH
    else:
        delta = datetime.combine(value, time.min) - _EPOCH
    return delta.days + delta.seconds / 86400 + delta.microseconds / 86_400_000_000


def _serial_text(value: datetime | date) -> str:
    return repr(_serial(value))


# How a plain row of one shape is written (Sheet._plan): its format string, and the index and
# the conversion of each value that has a cell.
_Plan = tuple[str, list[tuple[int, Callable[[Any], object]]]]


class Workbook:
    """`with Workbook(target) as wb:` then `ws = wb.sheet(...)`, `ws.append(row)` for each row;
    the sheets are written in order (one open at a time), the shared strings and the styles
    when the workbook closes."""

    def __init__(self, target: IO[bytes], *, compresslevel: int = 6):
        self._zip = zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=compresslevel)
        self._sheets: list[str] = []
        self._strings: dict[str, int] = {}
        self._styles: dict[Style, int] = {PLAIN: 0}
        self._open: Sheet | None = None

    def __enter__(self) -> Workbook:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
            return
        # an error half-way: release the target; what was written is not a workbook
        if self._open is not None and self._open._out is not None:
            self._open._out.close()
        self._zip.close()

    def style_id(self, style: Style | None) -> int:
        if style is None:
            return 0
        found = self._styles.get(style)
        if found is None:
            found = self._styles[style] = len(self._styles)
        return found

    def string_id(self, text: str) -> int:
        found = self._strings.get(text)
        if found is None:
            found = self._strings[text] = len(self._strings)
        return found

    def sheet(self, title: str, *, widths: Sequence[float] | None = None, freeze: str | None = None) -> Sheet:
        """A new sheet named `title` (≤ 31 characters, none of []:*?/\\ — the caller's to
        ensure, as Excel refuses others), its column widths and the cell above-left of
        which rows and columns stay in view ("B4")."""
        if self._open is not None:
            self._open.close()
        self._sheets.append(title)
        self._open = Sheet(self, f"xl/worksheets/sheet{len(self._sheets)}.xml", widths=widths, freeze=freeze)
        return self._open

    def close(self) -> None:
        if self._open is not None:
            self._open.close()
            self._open = None
        if not self._sheets:
            self.sheet("Sheet").close()
        self._write_parts()
        self._zip.close()

    # ------------------------------------------------------------ the package's parts
    def _write_parts(self) -> None:
        n = len(self._sheets)
        self._zip.writestr(
            "[Content_Types].xml",
            _HEADER
            + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            + '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            + '<Default Extension="xml" ContentType="application/xml"/>'
            + f'<Override PartName="/xl/workbook.xml" ContentType="{_CT}.sheet.main+xml"/>'
            + "".join(
                f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{_CT}.worksheet+xml"/>'
                for i in range(1, n + 1)
            )
            + f'<Override PartName="/xl/styles.xml" ContentType="{_CT}.styles+xml"/>'
            + f'<Override PartName="/xl/sharedStrings.xml" ContentType="{_CT}.sharedStrings+xml"/>'
            + "</Types>",
        )
        self._zip.writestr(
            "_rels/.rels",
            _HEADER
            + f'<Relationships xmlns="{_PKG_REL}">'
            + f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
            + "</Relationships>",
        )
        self._zip.writestr(
            "xl/workbook.xml",
            _HEADER
            + f'<workbook xmlns="{_MAIN}" xmlns:r="{_REL}">'
            + '<bookViews><workbookView activeTab="0"/></bookViews><sheets>'
            + "".join(
                f'<sheet name={quoteattr(_text(title))} sheetId="{i}" r:id="rId{i}"/>'
                for i, title in enumerate(self._sheets, start=1)
            )
            + "</sheets></workbook>",
        )
        self._zip.writestr(
            "xl/_rels/workbook.xml.rels",
            _HEADER
            + f'<Relationships xmlns="{_PKG_REL}">'
            + "".join(
                f'<Relationship Id="rId{i}" Type="{_REL}/worksheet" Target="worksheets/sheet{i}.xml"/>'
                for i in range(1, n + 1)
            )
            + f'<Relationship Id="rId{n + 1}" Type="{_REL}/styles" Target="styles.xml"/>'
            + f'<Relationship Id="rId{n + 2}" Type="{_REL}/sharedStrings" Target="sharedStrings.xml"/>'
            + "</Relationships>",
        )
        with self._zip.open("xl/sharedStrings.xml", "w") as out:
            count = len(self._strings)
            out.write(f'{_HEADER}<sst xmlns="{_MAIN}" count="{count}" uniqueCount="{count}">'.encode())
            chunk = []
            for text in self._strings:  # in order of their ids
                space = ' xml:space="preserve"' if text != text.strip() or "\n" in text else ""
                chunk.append(f"<si><t{space}>{escape(_text(text))}</t></si>")
                if len(chunk) >= 1000:
                    out.write("".join(chunk).encode())
                    chunk = []
            out.write(("".join(chunk) + "</sst>").encode())
        self._zip.writestr("xl/styles.xml", self._styles_xml())

    def _styles_xml(self) -> str:
        formats: dict[str, int] = {}
        fonts: dict[tuple, int] = {(False, None): 0}
        fills: dict[str | None, int] = {None: 0}  # 1 is the gray125 pattern every file carries
        borders: dict[bool, int] = {False: 0}
        xfs = []
        for style in self._styles:  # in order of their ids
            if style.number_format is None:
                fmt_id = 0
            elif style.number_format in _BUILTIN_FORMATS:
                fmt_id = _BUILTIN_FORMATS[style.number_format]
            else:
                fmt_id = formats.setdefault(style.number_format, 164 + len(formats))
            font_id = fonts.setdefault((style.bold, style.size), len(fonts))
            fill_id = 0 if style.fill is None else fills.setdefault(style.fill, len(fills) + 1)
            border_id = borders.setdefault(style.border_bottom, len(borders))
            attrs = f'numFmtId="{fmt_id}" fontId="{font_id}" fillId="{fill_id}" borderId="{border_id}" xfId="0"'
            applied = "".join(
                f' apply{name}="1"'
                for name, used in (
                    ("NumberFormat", fmt_id),
                    ("Font", font_id),
                    ("Fill", fill_id),
                    ("Border", border_id),
                    ("Alignment", style.wrap_top),
                )
                if used
            )
            alignment = '<alignment vertical="top" wrapText="1"/>' if style.wrap_top else ""
            xfs.append(f"<xf {attrs}{applied}>{alignment}</xf>" if alignment else f"<xf {attrs}{applied}/>")
        font_xml = "".join(
            f'<font>{"<b/>" if bold else ""}<sz val="{size or 11}"/><name val="Calibri"/><family val="2"/></font>'
            for bold, size in fonts
        )
        fill_xml = (
            '<fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>'
            + "".join(
                f'<fill><patternFill patternType="solid"><fgColor rgb="FF{rgb}"/>'
                f'<bgColor indexed="64"/></patternFill></fill>'
                for rgb in fills
                if rgb is not None
            )
        )
        border_xml = "".join(
            '<border><left/><right/><top/><bottom style="thin"><color auto="1"/></bottom><diagonal/></border>'
            if bottom
            else "<border><left/><right/><top/><bottom/><diagonal/></border>"
            for bottom in borders
        )
        numfmt_xml = "".join(
            f"<numFmt numFmtId={quoteattr(str(i))} formatCode={quoteattr(code)}/>" for code, i in formats.items()
        )
        return (
            _HEADER
            + f'<styleSheet xmlns="{_MAIN}">'
            + (f'<numFmts count="{len(formats)}">{numfmt_xml}</numFmts>' if formats else "")
            + f'<fonts count="{len(fonts)}">{font_xml}</fonts>'
            + f'<fills count="{len(fills) + 1}">{fill_xml}</fills>'
            + f'<borders count="{len(borders)}">{border_xml}</borders>'
            + '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
            + f'<cellXfs count="{len(xfs)}">{"".join(xfs)}</cellXfs>'
            + '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
            + "</styleSheet>"
        )


def _text(value: str) -> str:
    return _ILLEGAL.sub("", value)


class Sheet:
    """One worksheet being written: append rows, in order."""

    def __init__(self, book: Workbook, name: str, *, widths, freeze):
        self._book = book
        self._out = book._zip.open(name, "w")
        self._rows: list[str] = []
        self._n = 0
        self._letters = [get_column_letter(i) for i in range(1, 65)]
        self._plans: dict[tuple, _Plan | None] = {}
        self._date_style = book.style_id(PLAIN.with_format(DATETIME_FORMAT))
        self._day_style = book.style_id(PLAIN.with_format(DATE_FORMAT))
        views = ""
        if freeze:
            column, row = _split_ref(freeze)
            split = (f'xSplit="{column - 1}" ' if column > 1 else "") + (f'ySplit="{row - 1}" ' if row > 1 else "")
            pane = "bottomRight" if column > 1 and row > 1 else ("topRight" if column > 1 else "bottomLeft")
            views = (
                f'<sheetViews><sheetView workbookViewId="0"><pane {split}topLeftCell="{freeze}" '
                f'activePane="{pane}" state="frozen"/><selection pane="{pane}" activeCell="{freeze}" '
                f'sqref="{freeze}"/></sheetView></sheetViews>'
            )
        else:
            views = '<sheetViews><sheetView workbookViewId="0"/></sheetViews>'
        cols = ""
        if widths:
            cols = (
                "<cols>"
                + "".join(
                    f'<col min="{i}" max="{i}" width="{float(w)!r}" customWidth="1"/>'
                    for i, w in enumerate(widths, start=1)
                )
                + "</cols>"
            )
        self._out.write(
            f'{_HEADER}<worksheet xmlns="{_MAIN}" xmlns:r="{_REL}">{views}'
            f'<sheetFormatPr defaultRowHeight="15"/>{cols}<sheetData>'.encode()
        )

    def append(self, values: Sequence[Any], styles: Sequence[Style | None] | None = None) -> None:
        """One row: text, int, float, bool, naive datetime or date, or None or "" (an empty cell);
        `styles` (one per value, None for plain) when the row is not plain. A date or time
        gets its style's number format, or a date (and time) format."""
        if styles is None:
            shape = tuple([None if value is None or value == "" else type(value) for value in values])
            if shape not in self._plans:
                self._plans[shape] = self._plan(shape)
            plan = self._plans[shape]
            if plan is not None:
                self._n += 1
                template, conversions = plan
                self._rows.append(template.format(self._n, *[convert(values[i]) for i, convert in conversions]))
                if len(self._rows) >= _FLUSH_ROWS:
                    self._flush()
                return
        self._n += 1
        r = self._n
        book = self._book
        letters = self._letters
        cells = [f'<row r="{r}">']
        for i, value in enumerate(values):
            if value is None:
                continue
            style = styles[i] if styles is not None else None
            s = book.style_id(style) if style is not None else 0
            at = f'r="{letters[i]}{r}" s="{s}"' if s else f'r="{letters[i]}{r}"'
            kind = type(value)
            if kind is str:
                if value:
                    cells.append(f'<c {at} t="s"><v>{book.string_id(value)}</v></c>')
                elif s:  # an empty text is an empty cell, as openpyxl writes it
                    cells.append(f"<c {at}/>")
            elif kind is int or (kind is float and math.isfinite(value)):
                cells.append(f"<c {at}><v>{value!r}</v></c>")
            elif kind is datetime or kind is date:
                if style is None:
                    s = self._date_style if kind is datetime else self._day_style
                elif style.number_format is None:
                    s = book.style_id(style.with_format(DATETIME_FORMAT if kind is datetime else DATE_FORMAT))
                cells.append(f'<c r="{letters[i]}{r}" s="{s}"><v>{_serial(value)!r}</v></c>')
            elif kind is bool:
                cells.append(f'<c {at} t="b"><v>{int(value)}</v></c>')
            elif isinstance(value, str):  # a subclass (SafeString …)
                cells.append(f'<c {at} t="s"><v>{book.string_id(str(value))}</v></c>')
            elif kind is float:  # NaN or infinite: no XLSX number
                continue
            else:
                raise TypeError(f"Cannot write {kind.__name__} to an XLSX cell")
        cells.append("</row>")
        self._rows.append("".join(cells))
        if len(self._rows) >= _FLUSH_ROWS:
            self._flush()

    def _plan(self, shape: tuple) -> _Plan | None:
        """How to write every plain row of this shape (the type of each value, None for an
        empty cell): a format string and the conversion of each value — one str.format per
        row instead of a branch per cell, for the long sheets. None: cell by cell (other
        types)."""
        book = self._book
        parts: list[str] = ['<row r="{0}">']
        cells: list[tuple[int, Callable[[Any], object]]] = []
        for i, kind in enumerate(shape):
            if kind is None:
                continue
            ref, slot = f"{self._letters[i]}{{0}}", "{" + str(len(cells) + 1) + "}"
            if kind is str:
                parts.append(f'<c r="{ref}" t="s"><v>{slot}</v></c>')
                cells.append((i, book.string_id))
            elif kind is int:
                parts.append(f'<c r="{ref}"><v>{slot}</v></c>')
                cells.append((i, int.__repr__))
            elif kind is datetime or kind is date:
                s = self._date_style if kind is datetime else self._day_style
                parts.append(f'<c r="{ref}" s="{s}"><v>{slot}</v></c>')
                cells.append((i, _serial_text))
            else:  # floats (NaN has no cell), booleans, subclasses, what is refused
                return None
        parts.append("</row>")
        return "".join(parts), cells

    def _flush(self) -> None:
        if self._rows:
            self._out.write("".join(self._rows).encode())
            self._rows = []

    def close(self) -> None:
        if self._out is None:
            return
        self._flush()
        self._out.write(b"</sheetData></worksheet>")
        self._out.close()
        self._out = None  # type: ignore[assignment]


_REF = re.compile(r"^([A-Z]{1,3})([0-9]+)$")


def _split_ref(ref: str) -> tuple[int, int]:
    """ "B4" -> (2, 4)."""
    match = _REF.match(ref)
    if not match:
        raise ValueError(f"Not a cell reference: {ref!r}")
    column = 0
    for ch in match.group(1):
        column = column * 26 + ord(ch) - 64
    return column, int(match.group(2))
