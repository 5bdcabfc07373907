"""The training-case library (R-C11): closed complaints marked by supervisors, read-only for
all staff of every office, with the complainant's personal data masked."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from complaints.choices import CloseReason, EscalationCause, EventKind, Status
from complaints.models import Category, Complaint, ComplaintEvent
from complaints.training import Masker, mask_email, mask_name, mask_other, mask_phone
from tests.factories import ComplaintFactory, CustomerFactory

pytestmark = pytest.mark.django_db

LIST_URL = reverse("complaints:training_list")
NAME, PHONE, EMAIL = "黄先生", "13912345678", "huang@example.com"


def detail_url(complaint) -> str:
    return reverse("complaints:training_detail", args=[complaint.pk])


def training_case(office, *, lesson="Listen first, then restate the key points.", marked_at=None, **kwargs):
    """A closed complaint marked as a training case (fields set directly; the marking
    through the lifecycle is tested through the detail page action below)."""
    kwargs.setdefault("received_at", timezone.now() - timedelta(days=5))
    closed_at = kwargs["received_at"] + timedelta(days=2)
    kwargs.setdefault("is_training_case", True)
    return ComplaintFactory(
        office=office,
        received_by__office=office,
        status=Status.CLOSED,
        close_reason=CloseReason.CALLBACK_SATISFIED,
        closed_at=closed_at,
        training_lesson=lesson,
        training_marked_at=marked_at or closed_at + timedelta(days=1),
        **kwargs,
    )


def listed(response) -> list[str]:
    return [case.subject for case in response.context["cases"]]


# --------------------------------------------------------------------- masking rules
@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("黄先生", "黄**"),
        ("Mr Huang", "M*******"),
        ("王", "*"),
        ("", ""),
        ("  李小姐 ", "李**"),
    ],
)
def test_mask_name_keeps_the_first_character(value, masked):
    assert mask_name(value) == masked


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("13912345678", "139******78"),
        ("139 1234 5678", "139******78"),
        ("021-62345678", "021******78"),
        ("+86 139 1234 5678", "139******78"),
        ("12345", "*****"),
        ("", ""),
    ],
)
def test_mask_phone_keeps_first_three_and_last_two_digits(value, masked):
    assert mask_phone(value) == masked


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("huang@example.com", "h***@example.com"),
        ("a@b.cn", "a***@b.cn"),
        ("not-an-email", "n***"),
        ("", ""),
    ],
)
def test_mask_email_keeps_first_letter_and_domain(value, masked):
    assert mask_email(value) == masked


def test_mask_other_ids():
    assert mask_other("123456789") == "1***"
    assert mask_other("huang_wx88") == "h***"


def test_masker_replaces_the_complaints_own_values_in_text():
    # Given the personal data of one complaint
    masker = Masker(
        person_names=["Mr Huang", "黄先生"],
        phones=[PHONE],
        emails=[EMAIL],
        other_ids=["huang_wx88"],
        names=["Eastern Dyeing Works"],
    )

    # When text about it is masked
    text = masker.text(
        "黄先生 (Mr HUANG) called from 139-1234-5678 and 13912345678, wrote to HUANG@example.com, "
        "WeChat huang_wx88; Huang said the lift at Eastern Dyeing Works is broken. Lift, Li, Huangshan."
    )

    # Then each occurrence is masked, also written differently, and other words are left alone
    assert text == (
        "黄** (M*******) called from 139******78 and 139******78, wrote to H***@example.com, "
        "WeChat h***; H**** said the lift at E******************* is broken. Lift, Li, Huangshan."
    )


def test_masker_masks_the_phone_also_with_the_country_code():
    masker = Masker(phones=[PHONE])
    assert masker.text("tel 8613912345678, +86 139 1234 5678, 0086-13912345678") == (
        "tel 139******78, 139******78, 0086-139******78"
    )


def test_masker_masks_any_mobile_number_or_email_address_in_text():
    masker = Masker()
    assert masker.text("邻居电话13800138000，邮箱li.wei@corp.cn。座机021-62345678") == (
        "邻居电话138******00，邮箱l***@corp.cn。座机021-62345678"
    )


def test_masker_leaves_text_without_personal_data_unchanged():
    masker = Masker(person_names=[NAME], phones=[PHONE], emails=[EMAIL])
    assert masker.text("电梯故障，已于当天修复。") == "电梯故障，已于当天修复。"
    assert masker.text("") == ""


# ------------------------------------------------------------------------ the detail
def _sensitive_case(office, agent, **kwargs):
    customer = CustomerFactory(
        name="Eastern Dyeing Works", contact_person="Liu Yang", phone="13700001111", email="liu@dyeing.cn", tier="A"
    )
    case = training_case(
        office,
        customer=customer,
        complainant_name=NAME,
        contact_phone=PHONE,
        contact_email=EMAIL,
        contact_qq="987654321",
        contact_wechat="huang_wx88",
        subject=f"{NAME} reports a broken lift",
        persons_involved=f"{NAME} of Eastern Dyeing Works, guard on duty",
        description=f"{NAME} (tel {PHONE}, {EMAIL}) says the lift is broken. Call back on 139 1234 5678.",
        findings=f"The motor failed; {NAME} was stuck for 10 minutes.",
        resolution=f"Apologised to {NAME}.",
        signoff_name=NAME,
        lesson=f"Call {NAME} back at once, as promised on {PHONE}.",
        **kwargs,
    )
    for note in (f"Called {NAME} on {PHONE}.", f"E-mailed {EMAIL}; QQ 987654321.", "Customer Liu Yang at 13700001111."):
        ComplaintEvent.objects.create(
            complaint=case,
            actor=agent,
            kind=EventKind.NOTE_ADDED,
            note=note,
            from_status=Status.CLOSED,
            to_status=Status.CLOSED,
            from_level=1,
            to_level=1,
        )
    return case


def test_detail_masks_the_complainants_personal_data_everywhere(client, agent):
    # Given a training case whose complainant's name, phone and e-mail appear in every text
    case = _sensitive_case(agent.office, agent)
    client.force_login(agent)

    # When a member of staff opens it in the library
    response = client.get(detail_url(case))

    # Then the page shows the masked values …
    assert response.status_code == 200
    page = response.content.decode()
    for masked in ("黄**", "139******78", "h***@example.com", "E*******************"):
        assert masked in page
    # … and none of the raw personal data, anywhere (also not in the timeline notes)
    for raw in (
        NAME,
        PHONE,
        EMAIL,
        "139 1234 5678",
        "987654321",
        "huang_wx88",
        "Eastern Dyeing Works",
        "Liu Yang",
        "13700001111",
        "liu@dyeing.cn",
    ):
        assert raw not in page, raw
    # but the case itself is readable: lesson, outcome and timeline
    assert "The motor failed" in page and "Satisfied at call-back" in page and "Note added" in page
    assert "Call 黄** back at once, as promised on 139******78." in page


def test_detail_masks_a_latin_name_and_its_parts(client, agent):
    case = training_case(
        agent.office,
        complainant_name="Mr Huang",
        contact_email="mr.huang@example.com",
        description="Mr Huang was upset; Huang asked for the manager.",
    )
    ComplaintEvent.objects.create(complaint=case, actor=agent, kind=EventKind.NOTE_ADDED, note="huang called again")
    client.force_login(agent)
    page = client.get(detail_url(case)).content.decode()
    assert "M*******" in page and "m***@example.com" in page
    assert "Huang" not in page and "huang" not in page


def test_detail_shows_an_anonymous_complainant_as_anonymous(client, agent):
    case = training_case(agent.office, complainant_name="", is_anonymous=True, contact_phone="")
    client.force_login(agent)
    assert "Anonymous" in client.get(detail_url(case)).content.decode()


def test_detail_shows_lesson_outcome_and_timeline_and_offers_no_actions(client, agent, supervisor):
    # Given a complaint handled and closed through the lifecycle, then marked as a training case
    complaint = ComplaintFactory(office=agent.office, received_by=agent, complainant_name=NAME, contact_phone=PHONE)
    complaint.move_up(actor=agent, cause=EscalationCause.EMOTIONAL, to_user=supervisor, note=f"{NAME} shouting.")
    complaint.resolve_on_the_spot(
        actor=supervisor, resolution="Explained the repair plan.", signoff_name=NAME, satisfied=True, apologised=True
    )
    complaint.mark_training_case(actor=supervisor, lesson="Move an agitated complainant up at once.")
    client.force_login(agent)

    # When the case is opened in the library
    response = client.get(detail_url(complaint))

    # Then it shows the lesson, the outcome and the timeline, masked, and no action forms
    page = response.content.decode()
    assert "Move an agitated complainant up at once." in page
    assert "Resolved on the spot with sign-off" in page and "Explained the repair plan." in page
    assert "Moved up" in page and "黄** shouting." in page and "Marked as training case" in page
    assert NAME not in page and PHONE not in page
    assert "/actions/" not in page
    assert client.post(detail_url(complaint)).status_code == 405


def test_a_complaint_not_marked_is_not_in_the_library(client, agent):
    closed = training_case(agent.office, is_training_case=False)
    client.force_login(agent)
    assert client.get(detail_url(closed)).status_code == 404
    assert client.get(reverse("complaints:training_detail", args=[999999])).status_code == 404
    assert listed(client.get(LIST_URL)) == []


# -------------------------------------------------------------------------- the list
def test_list_shows_cases_of_every_office_newest_marked_first(client, agent, other_office):
    # Given training cases of the agent's office and of another office, marked at different times
    now = timezone.now()
    training_case(agent.office, subject="older ours", marked_at=now - timedelta(days=3))
    training_case(other_office, subject="newest theirs", marked_at=now - timedelta(hours=1))
    training_case(other_office, subject="middle theirs", marked_at=now - timedelta(days=1))
    ComplaintFactory(office=agent.office, received_by__office=agent.office, subject="not a training case")
    client.force_login(agent)

    # When the agent opens the library
    response = client.get(LIST_URL)

    # Then every office's training cases are listed, newest marked first
    assert response.status_code == 200
    assert listed(response) == ["newest theirs", "middle theirs", "older ours"]
    assert "3 training cases" in response.content.decode()


def test_list_masks_names_in_subject_and_lesson(client, agent):
    training_case(
        agent.office,
        complainant_name=NAME,
        contact_phone=PHONE,
        subject=f"{NAME}投诉电梯",
        lesson=f"回访{NAME}（{PHONE}）要及时。",
    )
    client.force_login(agent)
    page = client.get(LIST_URL).content.decode()
    assert "黄**投诉电梯" in page and "回访黄**（139******78）要及时。" in page
    assert NAME not in page and PHONE not in page


def test_search_over_subject_description_lesson_and_category(client, agent, other_office):
    # Given training cases with different texts and categories
    noise = Category.objects.get(code="noise")
    training_case(agent.office, subject="Broken lift", description="Stuck between floors.")
    training_case(
        other_office,
        subject="Dirty stairs",
        description="Nobody cleaned the stairwell.",
        lesson="Check the cleaning rota weekly.",
    )
    training_case(agent.office, subject="Loud party", description="Music until 3 am.", category=noise)
    client.force_login(agent)

    def search(q, **headers):
        response = client.get(LIST_URL, {"q": q}, **headers)
        assert response.status_code == 200
        return set(listed(response))

    # Then the search looks at subject, description, lesson and category (stored and translated)
    assert search("LIFT") == {"Broken lift"}
    assert search("stairwell") == {"Dirty stairs"}
    assert search("rota") == {"Dirty stairs"}
    assert search("neighbours") == {"Loud party"}
    assert search("噪音", HTTP_ACCEPT_LANGUAGE="zh-hans") == {"Loud party"}
    assert search("nothing like this") == set()


def test_search_cannot_reveal_personal_data(client, agent):
    # Given a case whose description contains the complainant's name, phone and e-mail
    training_case(
        agent.office,
        subject="Leaking pipe",
        complainant_name=NAME,
        contact_phone=PHONE,
        contact_email=EMAIL,
        description=f"{NAME} ({PHONE}, {EMAIL}) reported a leaking pipe.",
    )
    client.force_login(agent)

    # When someone searches for the name, phone or e-mail
    # Then the case is not found (the search runs over the masked text) …
    for q in (NAME, PHONE, EMAIL, "12345678", "huang"):
        assert listed(client.get(LIST_URL, {"q": q})) == [], q
    # … while what is visible still finds it
    assert listed(client.get(LIST_URL, {"q": "leaking"})) == ["Leaking pipe"]


def test_list_is_paginated_with_the_pager(client, agent, settings):
    settings.HELPDESK_LIST_PAGE_SIZE = 2
    now = timezone.now()
    for i in range(5):
        # a fixed complainant: a random one may be called "… Case", masked in "Case 3" (and rightly
        # not found by a search for "case": the library hides the complainant's name)
        training_case(agent.office, subject=f"Case {i}", marked_at=now - timedelta(hours=i), complainant_name="王芳")
    client.force_login(agent)
    page3 = client.get(LIST_URL, {"page": 3})
    assert listed(page3) == ["Case 4"]
    assert "page=2" in page3.content.decode() and "Page 3 of 3" in page3.content.decode()
    searched = client.get(LIST_URL, {"q": "case", "page": 2})
    assert listed(searched) == ["Case 2", "Case 3"]
    assert "q=case&amp;page=3" in searched.content.decode()
    assert client.get(LIST_URL, {"page": "999"}).status_code == 200


# -------------------------------------------------------- marking through the UI
def test_marking_through_the_detail_action_shows_up_in_the_library(client, agent, supervisor, make_user, other_office):
    # Given a complaint closed on the spot
    complaint = ComplaintFactory(
        office=supervisor.office,
        received_by=agent,
        subject="Water bill dispute",
        complainant_name=NAME,
        contact_phone=PHONE,
    )
    complaint.resolve_on_the_spot(actor=agent, resolution="Meter re-read.", signoff_name=NAME, satisfied=True)
    url = reverse("complaints:action", args=[complaint.pk, "mark_training_case"])
    data = {"mark_training_case-lesson": f"Re-read the meter with {NAME} present."}

    # When an agent tries to mark it, they are refused; a supervisor may
    client.force_login(agent)
    assert client.post(url, data).status_code == 403
    client.force_login(supervisor)
    response = client.post(url, data)
    assert response.status_code == 302

    # Then it is in the library, for staff of any office, with the lesson masked
    complaint.refresh_from_db()
    assert complaint.is_training_case and complaint.training_marked_at is not None
    client.force_login(make_user("agent", office_=other_office))
    response = client.get(LIST_URL)
    assert listed(response) == ["Water bill dispute"]
    assert "Re-read the meter with 黄** present." in response.content.decode()
    detail = client.get(detail_url(complaint)).content.decode()
    assert "Re-read the meter with 黄** present." in detail and NAME not in detail


# ------------------------------------------------------------------------ permission
ROLES = ["agent", "supervisor", "department_handler", "manager", "customer_info", "no_role"]


@pytest.mark.parametrize("name", ["list", "detail"])
@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix(client, make_user, other_office, role, name):
    # Given a training case of another office and a user in each role
    case = training_case(other_office)
    url = LIST_URL if name == "list" else detail_url(case)
    client.force_login(make_user(role if role != "no_role" else None))

    # When they open the library
    response = client.get(url)

    # Then every member of staff may read it; a user without a role may not …
    if role != "no_role":
        assert response.status_code == 200
        return
    assert response.status_code == 403
    # … and the same request by an agent succeeds: the denial was the permission
    client.force_login(make_user("agent"))
    assert client.get(url).status_code == 200


@pytest.mark.parametrize("name", ["list", "detail"])
def test_anonymous_is_sent_to_login(client, office, name):
    case = training_case(office)
    response = client.get(LIST_URL if name == "list" else detail_url(case))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_nav_link_for_every_member_of_staff(client, make_user):
    client.force_login(make_user("customer_info"))
    assert f'href="{LIST_URL}"' in client.get(reverse("complaints:list")).content.decode()


# ---------------------------------------------------------------------- query count
def _count_queries(client, url, params=None):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return response, len(captured.captured_queries)


@pytest.mark.parametrize("params", [{}, {"q": "lift"}])
def test_list_query_count_does_not_grow_with_cases(client, agent, other_office, params):
    # Given 2 training cases (with customers) in two offices
    def add(n):
        for i in range(n):
            training_case(agent.office if i % 2 else other_office, subject=f"Lift case {i}", customer=CustomerFactory())

    add(2)
    client.force_login(agent)
    small, few = _count_queries(client, LIST_URL, params)

    # When there are 20
    add(18)
    large, many = _count_queries(client, LIST_URL, params)

    # Then the list costs the same number of queries
    assert len(small.context["cases"]) == 2 and len(large.context["cases"]) == 20
    assert few == many <= 9


def test_detail_query_count_does_not_grow_with_the_timeline(client, agent, supervisor):
    def case_with_steps(n):
        case = training_case(agent.office, department=None, customer=CustomerFactory())
        for i in range(n):
            ComplaintEvent.objects.create(
                complaint=case,
                actor=agent if i % 2 else supervisor,
                kind=EventKind.NOTE_ADDED,
                note=f"Step {i}",
                created_at=datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=i),
            )
        return case

    client.force_login(agent)
    _, few = _count_queries(client, detail_url(case_with_steps(2)))
    response, many = _count_queries(client, detail_url(case_with_steps(20)))
    assert len(response.context["case"].steps) == 20
    assert few == many <= 9


def test_complaint_model_is_not_handed_to_the_templates(client, agent):
    """The templates get masked values only, so a raw field cannot be rendered by mistake."""
    case = training_case(agent.office)
    client.force_login(agent)
    for response in (client.get(LIST_URL), client.get(detail_url(case))):
        for context in response.context:
            for value in context.flatten().values():
                assert not isinstance(value, Complaint | ComplaintEvent)
