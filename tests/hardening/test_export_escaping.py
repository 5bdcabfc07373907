"""Issue 16: the monthly XLSX and CSV hold labels typed by people (categories, departments,
offices, users). A control character must not break the XLSX, and a label starting with
"=" (or + - @ tab CR) must stay text in both files, never become a formula."""

import csv
import io

import pytest
from django.contrib.auth import get_user_model
from openpyxl import load_workbook

from accounts.models import Office
from complaints.models import Category, Department
from complaints.reports import exports
from complaints.reports.exports import cell_text
from complaints.reports.figures import monthly_figures
from tests.reports.october import NOW, OCTOBER, october  # noqa: F401  (the fixture)

pytestmark = pytest.mark.django_db

FORMULA = '=HYPERLINK("http://x")'


@pytest.mark.parametrize(
    ("text", "cell"),
    [
        (FORMULA, "'" + FORMULA),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("＝1+1", "'＝1+1"),
        ("\x07bell", "bell"),
        ("\x07=1", "'=1"),  # the control character goes first, then the formula is caught
        ("a\x00b\x1fc\x0bd", "abcd"),
        ("line\nbreak\tand tab", "line\nbreak\tand tab"),  # legal in XML: kept
        ("噪音扰民", "噪音扰民"),
        ("a=b", "a=b"),
    ],
)
def test_cell_text(text, cell):
    assert cell_text(text) == cell


def _hostile_labels(october):  # noqa: F811
    """Every category, department and office of the month's complaints, and their agents,
    renamed to a formula or a name with a control character."""
    categories = list(Category.objects.filter(complaints__isnull=False).distinct().order_by("pk"))
    categories[0].name = FORMULA
    for n, category in enumerate(categories[1:]):
        category.name = f"\x07bell{'' if n == 0 else n}"
    for n, office in enumerate(Office.objects.filter(complaints__isnull=False).distinct()):
        office.name = f"+office\x01{n}"
        office.save()
    for n, dept in enumerate(Department.objects.filter(complaints__isnull=False).distinct()):
        dept.name = f"@dept\x1b{n}"
        dept.save()
    for category in categories:
        category.save()
    get_user_model().objects.filter(received_complaints__isnull=False).update(first_name="-1+1", last_name="\x08")


def test_xlsx_keeps_hostile_labels_as_text(october):  # noqa: F811
    _hostile_labels(october)
    content = exports.build_xlsx(monthly_figures(month=OCTOBER, now=NOW))
    wb = load_workbook(io.BytesIO(content))  # the file opens: no control character inside
    cells = [cell for ws in wb.worksheets for row in ws.iter_rows() for cell in row if cell.value is not None]
    texts = {cell.value for cell in cells if isinstance(cell.value, str)}
    assert not [c.coordinate for c in cells if c.data_type == "f"]  # no formula anywhere
    assert "'" + FORMULA in texts and "bell" in texts
    assert any(t.startswith("'@dept") for t in texts) and any(t.startswith("'+office") for t in texts)
    assert not any(ch in t for t in texts for ch in "\x00\x01\x07\x08\x1b")
    assert not any(t.startswith(("=", "+", "-", "@")) for t in texts)


def test_csv_keeps_hostile_labels_as_text(october):  # noqa: F811
    _hostile_labels(october)
    content = exports.build_csv(monthly_figures(month=OCTOBER, now=NOW)).decode("utf-8-sig")
    cells = [cell for row in csv.reader(io.StringIO(content)) for cell in row]
    assert "'" + FORMULA in cells and "bell" in cells
    assert not any(ch in content for ch in "\x00\x01\x07\x08\x1b")
    texts = [cell for cell in cells if not _number(cell)]  # "-0.25" is a difference, not a formula
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in texts)


def _number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def test_the_download_and_the_mailed_summary_work_with_hostile_labels(client, october, make_user):  # noqa: F811
    _hostile_labels(october)
    client.force_login(make_user("manager", is_staff=True))
    for fmt in exports.FORMATS:
        response = client.get(f"/reports/monthly/2026-10/summary.{fmt}")
        assert response.status_code == 200, fmt
