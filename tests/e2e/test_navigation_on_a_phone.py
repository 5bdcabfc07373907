"""End-to-end at 375 × 740 (a phone): the navigation collapses behind a "Menu" button that
opens on a tap and by keyboard (aria-expanded follows), and a page of complaints with long
Chinese text is read without sideways scrolling; at desktop width the links show without it."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import PASSWORD, ComplaintFactory, CustomerFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

LONG_SUBJECT = "5 号楼地下车库道闸连续三天无法抬杆，车辆排队堵到小区主干道，业主多次致电无人回复，要求立即维修"
LONG_NAME = "河畔花园业主委员会第三届委员会秘书处联络人（常务副主任）"


def log_in(page, base, user):
    page.goto(f"{base}/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/complaints/")


def row_display(page) -> str:
    return page.evaluate("getComputedStyle(document.querySelector('table.list tbody tr')).display")


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_the_menu_collapses_and_the_list_fits_a_phone(live_server, browser_page, make_user):
    agent = make_user("agent", username="e2e-phone")
    customer = CustomerFactory(name="绿野食品有限公司华东区域物流配送中心第二仓储管理部")
    now = timezone.now()
    for i in range(25):  # a full page of rows
        ComplaintFactory(
            office=agent.office,
            received_by=agent,
            received_at=now - timedelta(minutes=i),
            subject=f"{LONG_SUBJECT}（第 {i} 次）",
            complainant_name=LONG_NAME,
            customer=customer if i % 2 else None,
            incident_place="地下停车场",
            description=LONG_SUBJECT,
        )
    page = browser_page
    page.set_viewport_size({"width": 375, "height": 740})
    log_in(page, live_server.url, agent)

    toggle = page.locator("button.navtoggle")
    nav = page.locator("#mainnav")
    assert toggle.is_visible()
    assert toggle.get_attribute("aria-expanded") == "false"
    assert toggle.get_attribute("aria-controls") == "mainnav topbar-tools"
    assert not nav.is_visible()
    assert not page.locator("#topbar-tools").is_visible()
    # the list fits: no sideways scrolling, every card inside the screen
    assert page.locator("table.list tbody tr").count() == 25
    assert fits(page), page.evaluate("document.documentElement.scrollWidth")
    for row in [page.locator("table.list tbody tr").first, page.locator("table.list tbody tr").last]:
        box = row.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 375, box
    assert page.get_by_text(f"{LONG_SUBJECT}（第 0 次）").is_visible()
    # the labels of the hidden table head show on each card (generated content, from data-label)
    labels = page.evaluate(
        "[...document.querySelectorAll('table.list tbody tr:first-child td')]"
        ".map(td => getComputedStyle(td, '::before').content)"
    )
    assert '"Complainant"' in labels and '"Reply due"' in labels, labels
    assert row_display(page) == "grid"  # a card

    # a tap opens the menu with its links
    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "true"
    assert nav.is_visible()
    complaints_link = nav.get_by_role("link", name="Complaints", exact=True)
    assert complaints_link.is_visible()
    assert nav.get_by_role("link", name="My call-backs").is_visible()
    assert page.locator("#topbar-tools").get_by_role("button", name="Log out").is_visible()
    assert fits(page)
    # Escape closes it and gives the focus back to the button
    page.keyboard.press("Escape")
    assert toggle.get_attribute("aria-expanded") == "false"
    assert not nav.is_visible()
    assert page.evaluate("document.activeElement.classList.contains('navtoggle')")
    # the keyboard opens it too, and the links are then reachable with Tab
    page.keyboard.press("Enter")
    assert toggle.get_attribute("aria-expanded") == "true"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Complaints"
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/complaints/")
    assert page.locator("button.navtoggle").get_attribute("aria-expanded") == "false"  # a new page starts closed

    # at desktop width the links show and the button does not
    page.set_viewport_size({"width": 1280, "height": 800})
    assert not page.locator("button.navtoggle").is_visible()
    assert page.locator("#mainnav").get_by_role("link", name="Complaints", exact=True).is_visible()
    assert page.locator("#topbar-tools").is_visible()
    assert row_display(page) == "table-row"  # the table is a table again
    assert fits(page)


def test_without_a_login_nothing_is_hidden_on_a_phone(live_server, browser_page):
    """The login page has no menu: its language switcher stays in sight."""
    page = browser_page
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(f"{live_server.url}/login/")
    assert page.locator("button.navtoggle").count() == 0
    assert page.locator("#language-select").is_visible()
    assert fits(page)
