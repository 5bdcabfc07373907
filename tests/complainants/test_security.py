"""The public pages reveal nothing without a valid token (R-P2), and the public timeline never
shows what is internal. A URL × visitor matrix: every public page, requested with no token,
a wrong token, a revoked token and another complaint's token — each a 404 that names nothing
of the complaint, changes nothing, and counts against the visitor's address."""

from __future__ import annotations

import pytest
from django.urls import reverse

from complainants import tokens
from complaints.choices import Status
from complaints.models import Complaint, ComplaintEvent
from tests.factories import OfficeFactory, UserFactory, department

pytestmark = pytest.mark.django_db

# (url name, method, body)
PAGES = [
    ("progress", "get", None),
    ("questionnaire", "get", None),
    ("add", "post", {"note": "伪造的补充"}),
    ("answer", "post", {"answer": "reject", "note": "伪造"}),
    ("notices", "post", {"notices": "stop"}),
    ("questionnaire", "post", {"satisfied": "no", "rating": "1"}),
]


@pytest.fixture
def two(submit, agent):
    """Complaint A (the target, resolved: every page has something to do) and complaint B."""
    a = submit(subject="A的秘密投诉", complainant_name="李秘密", contact_phone="13900001111")
    complaint = a.complaint
    complaint.claim(actor=agent)
    complaint.propose_solution(actor=agent, solution="A的解决方案")
    b = submit(subject="B的投诉", complainant_name="张三", contact_phone="13900002222")
    return a, b


def visitors(a, b):
    revoked = tokens.issue(a.complaint)
    tokens.revoke(a.complaint, actor=None)  # revokes A's links (the one A had too is re-issued below)
    a_token = tokens.issue(a.complaint)
    return a_token, {
        "no token": "x",
        "malformed token": "../../admin/",
        "wrong token": "A" * tokens.TOKEN_LENGTH,
        "revoked token": revoked,
        "another complaint's token": b.token,
    }


@pytest.mark.parametrize(("name", "method", "body"), PAGES)
def test_no_valid_token_no_page(client, two, name, method, body, settings):
    settings.HELPDESK_PUBLIC_BAD_TOKEN_RATE = "1000/h"
    a, b = two
    _a_token, tried = visitors(a, b)
    before = (
        Complaint.objects.filter(pk=a.complaint.pk).values().get(),
        ComplaintEvent.objects.filter(complaint=a.complaint).count(),
    )
    for who, token in tried.items():
        try:
            url = reverse(f"complainants:{name}", args=[token])
        except Exception:  # a token the URL pattern cannot even take: no page at all
            continue
        response = getattr(client, method)(url, body or {})
        page = response.content.decode()
        assert "A的秘密投诉" not in page and "李秘密" not in page and "13900001111" not in page, who
        assert "A的解决方案" not in page, who
        if who == "another complaint's token":
            # B's token opens B, and only B: A's complaint is untouched
            assert response.status_code in (200, 302, 400, 409), who
        else:
            assert response.status_code == 404, (who, response.status_code)
    after = (
        Complaint.objects.filter(pk=a.complaint.pk).values().get(),
        ComplaintEvent.objects.filter(complaint=a.complaint).count(),
    )
    assert after == before


@pytest.mark.parametrize(("name", "method", "body"), PAGES)
def test_the_valid_token_opens_the_page(client, two, name, method, body):
    """The control of the matrix: the same request with A's own token is served."""
    a, b = two
    a_token, _tried = visitors(a, b)
    response = getattr(client, method)(reverse(f"complainants:{name}", args=[a_token]), body or {})
    assert response.status_code in (200, 302, 409), response.status_code


def test_guessing_tokens_is_rate_limited(client, two, settings):
    settings.HELPDESK_PUBLIC_BAD_TOKEN_RATE = "3/h"
    statuses = [client.get(reverse("complainants:progress", args=[f"{n:0>32}"])).status_code for n in range(5)]
    assert statuses == [404, 404, 404, 429, 429]


def test_every_public_page_is_rate_limited(client, two, settings):
    settings.HELPDESK_PUBLIC_PAGE_RATE = "2/m"
    a, _b = two
    url = reverse("complainants:progress", args=[a.token])
    assert [client.get(url).status_code for _ in range(3)] == [200, 200, 429]


def test_the_public_timeline_never_shows_internal_steps(client, submit, make_user, supervisor):
    # given a complaint with every kind of internal step
    submitted = submit()
    complaint = submitted.complaint
    agent = make_user("agent", username="agent-x", first_name="Wei", last_name="Zhangsurname")
    complaint.claim(actor=agent)
    complaint.add_note(actor=agent, note="INTERNAL-NOTE: 业主很难缠")
    complaint.reply(actor=agent, note="我们明天上门。")
    complaint.assign_department(actor=agent, department=department(), note="DEPT-NOTE: 请工程部看")
    complaint.record_findings(actor=agent, findings="FINDINGS-SECRET: 水管老化")
    complaint.reassign(actor=supervisor, assignee=supervisor, note="REASSIGN-NOTE")
    other = submit(subject="别人的投诉", complainant_name="别人", contact_phone="13800000000").complaint

    page = client.get(reverse("complainants:progress", args=[submitted.token])).content.decode()

    assert "我们明天上门。" in page  # what was said to the complainant is there
    for secret in (
        "INTERNAL-NOTE",
        "DEPT-NOTE",
        "FINDINGS-SECRET",
        "REASSIGN-NOTE",
        "Zhangsurname",
        "agent-x",
        supervisor.last_name,
        supervisor.username,
        "Engineering",
        "工程",
        other.subject,
        "别人",
    ):
        assert secret not in page, secret


def test_the_staff_link_actions_need_their_permission_and_office(client, submit, make_user, supervisor):
    submitted = submit()
    complaint = submitted.complaint
    agent = make_user("agent", username="agent-y")
    revoke = reverse("complainants:staff_revoke_link", args=[complaint.pk])
    new = reverse("complainants:staff_new_link", args=[complaint.pk])

    # anonymous: to the login page
    assert client.post(revoke).status_code == 302 and "/login/" in client.post(revoke)["Location"]
    # an agent may send a new link but not revoke
    client.force_login(agent)
    assert client.post(revoke).status_code == 403
    assert tokens.find(submitted.token) == complaint
    assert client.post(new).status_code == 302
    # another office's supervisor: 404
    outsider = UserFactory(role="supervisor", office=OfficeFactory())
    client.force_login(outsider)
    assert client.post(revoke).status_code == 404
    # the office's supervisor revokes: the old link is dead
    client.force_login(supervisor)
    assert client.post(revoke).status_code == 302
    assert tokens.find(submitted.token) is None
    assert client.get(reverse("complainants:progress", args=[submitted.token])).status_code == 404
    complaint.refresh_from_db()
    assert complaint.status == Status.RECEIVED
