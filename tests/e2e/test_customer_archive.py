"""End-to-end: the customer-information specialist uploads a signed contract to a customer's
confidential archive and opens it; an agent sees the customer's contacts but no archive."""

import pytest

from customers.models import ArchiveAccess, CustomerDocument
from tests.factories import PASSWORD, CustomerFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def login(page, base, user):
    page.goto(f"{base}/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/complaints/")


def test_archive_upload_download_and_confidentiality(live_server, browser_page, make_user, settings, tmp_path):
    settings.HELPDESK_PRIVATE_MEDIA_ROOT = str(tmp_path / "private")
    info = make_user("customer_info", username="e2e-info")
    agent = make_user("agent", username="e2e-agent")
    customer = CustomerFactory(
        name="Pearl River Textiles", tier="A", contact_person="Mr Guo", licence_no="LIC-2026-0042"
    )
    contract = tmp_path / "contract-2026.pdf"
    contract.write_bytes(PDF)
    page, base = browser_page, live_server.url

    login(page, base, info)
    page.click("nav.mainnav a[href='/customers/']")
    page.click("text=Pearl River Textiles")
    page.wait_for_url(f"{base}/customers/{customer.pk}/")
    assert page.get_by_text("LIC-2026-0042").is_visible()
    page.select_option("#id_kind", "contract")
    page.fill("#id_title", "Operation contract 2026")
    page.set_input_files("#id_file", str(contract))
    page.click("#upload-form button[type=submit]")
    page.wait_for_url(f"{base}/customers/{customer.pk}/")
    assert page.get_by_text("Document “contract-2026.pdf” uploaded.").is_visible()
    with page.expect_download() as download:
        page.click("a:has-text('contract-2026.pdf')")
    assert download.value.suggested_filename == "contract-2026.pdf"
    assert open(download.value.path(), "rb").read() == PDF

    doc = CustomerDocument.objects.get()
    assert list(ArchiveAccess.objects.filter(user=info).order_by("id").values_list("action", flat=True)) == [
        "view_archive",
        "upload",
        "view_archive",
        "download",
    ]
    assert ArchiveAccess.objects.get(action="download").document == doc

    page.click("button:has-text('Log out')")
    login(page, base, agent)
    page.goto(f"{base}/customers/{customer.pk}/")
    assert page.get_by_text("Mr Guo").is_visible()
    assert page.get_by_text("LIC-2026-0042").count() == 0
    assert page.locator("a:has-text('contract-2026.pdf')").count() == 0
    response = page.goto(f"{base}/customers/{customer.pk}/documents/{doc.pk}/")
    assert response.status == 403
    assert not ArchiveAccess.objects.filter(user=agent).exists()


def test_agent_picks_a_customer_from_the_suggestions(live_server, browser_page, make_user):
    from followups.models import Reception

    agent = make_user("agent", username="e2e-agent")
    customer = CustomerFactory(name="Pearl River Textiles")
    for i in range(5):
        CustomerFactory(name=f"Other Customer {i}")
    page, base = browser_page, live_server.url
    login(page, base, agent)
    page.goto(f"{base}/followups/reception/")
    # no customer is rendered into the page until one types
    assert page.locator("datalist option").count() == 0
    page.fill("#id_customer", "pearl")
    option = page.locator("datalist option")
    option.first.wait_for(state="attached")
    label = option.first.get_attribute("value")
    assert label == f"Pearl River Textiles · #{customer.pk}" and option.count() == 1
    page.fill("#id_customer", label)
    page.fill("#id_visitor_name", "Mr Guo")
    page.fill("#id_purpose", "Brings the signed contract")
    page.click("button:has-text('Log visitor')")
    page.wait_for_url(f"{base}/followups/reception/")
    assert Reception.objects.get().customer == customer
