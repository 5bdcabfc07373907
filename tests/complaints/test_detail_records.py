"""Nothing recorded invisibly: the complaint page shows the apology (R-C4 on the spot, R-C6.1 in
person), the call-back's method and answers (R-C10), the complainant's answer to a solution
(R-C7) — in English and in Chinese — and its timeline says each step's data in words; the page
reads the events once, however many there are."""

import html

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from complainants.services import answer_questionnaire
from complaints.choices import EventKind
from complaints.choices import Status as S
from complaints.models import ComplaintEvent
from tests.complaint_paths import complaint_in

pytestmark = pytest.mark.django_db

LANGUAGES = ["en", "zh-hans"]


def detail_url(complaint) -> str:
    return reverse("complaints:detail", args=[complaint.pk])


def page_of(client, complaint, language: str) -> str:
    response = client.get(detail_url(complaint), HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    page = html.unescape(response.content.decode())
    assert f'lang="{language}"' in page
    return page


def panel(page: str) -> str:
    """The panel of recorded facts (up to the timeline's card)."""
    assert 'id="records"' in page
    return page.split('id="records"')[1].split('<section class="card">')[0]


def event_of(page: str, kind: str) -> str:
    timeline = page.split('<ol class="timeline">')[1].split("</ol>")[0]
    return timeline.split(f'class="event event-{kind}"')[1].split("</li>")[0]


def say(language: str, en: str, zh: str) -> str:
    return en if language == "en" else zh


# ------------------------------------------------------------------------------ apology
@pytest.mark.parametrize("language", LANGUAGES)
def test_the_apology_on_the_spot(client, agent, language):
    complaint = complaint_in(S.RECEIVED, agent)
    complaint.resolve_on_the_spot(
        actor=agent, resolution="Explained the lift schedule.", signoff_name="王芳", satisfied=True, apologised=True
    )
    client.force_login(agent)

    page = page_of(client, complaint, language)

    facts = panel(page)
    assert say(language, "Recorded facts", "已记录事项") in facts
    assert say(language, "Apology", "致歉") in facts
    assert say(language, "Apologised on the spot", "已当场致歉") in facts and str(agent) in facts
    spot = event_of(page, EventKind.RESOLVED_ON_THE_SPOT)
    assert say(language, "Signed off by: 王芳", "签字确认人: 王芳") in spot
    assert say(language, "apologised", "已致歉") in spot


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_apology_in_person(client, agent, handler, language):
    complaint = complaint_in(S.IN_PROGRESS, agent)
    complaint.record_findings(actor=handler, findings="The cleaner was rude.", apologised_in_person=True)
    client.force_login(agent)

    page = page_of(client, complaint, language)

    facts = panel(page)
    assert say(language, "Apologised in person", "已当面致歉") in facts and str(handler) in facts
    assert say(language, "apologised in person", "已当面致歉") in event_of(page, EventKind.FINDINGS_RECORDED)


def test_no_panel_when_nothing_was_recorded(client, agent):
    complaint = complaint_in(S.IN_PROGRESS, agent)
    client.force_login(agent)
    assert 'id="records"' not in page_of(client, complaint, "en")


# ---------------------------------------------------------------------------- call-back
@pytest.mark.parametrize("language", LANGUAGES)
def test_the_callback_method_and_answers_recorded_by_the_agent(client, agent, language):
    complaint = complaint_in(S.RESOLVED, agent)
    client.force_login(agent)
    response = client.post(
        reverse("complaints:action", args=[complaint.pk, "record_callback"]),
        {
            "record_callback-method": "door_visit",
            "record_callback-about_process": "处理很及时",
            "record_callback-about_result": "电梯修好了",
            "record_callback-operation_normal": "运行正常",
            "record_callback-suggestions": "希望提前通知",
            "record_callback-satisfied": "yes",
        },
    )
    assert response.status_code == 302

    page = page_of(client, complaint, language)

    facts = panel(page).split('id="records-callbacks"')[1]
    assert say(language, "Call-backs", "回访") in facts
    assert str(agent) in facts
    assert say(language, "Door visit", "上门访谈") in facts
    assert say(language, "satisfied", "满意") in facts
    assert say(language, "Opinion of how the complaint was handled", "对投诉受理过程的意见") in facts
    for answer in ("处理很及时", "电梯修好了", "运行正常", "希望提前通知"):
        assert answer in facts
    callback = event_of(page, EventKind.CALLBACK_RECORDED)
    assert say(language, "Method: Door visit", "方式: 上门访谈") in callback
    assert "about_process" not in page and "door_visit" not in callback  # never the raw keys or codes


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_online_questionnaire_answered_by_the_complainant(client, agent, language):
    complaint = complaint_in(S.RESOLVED, agent)
    answer_questionnaire(complaint, satisfied=False, rating=2, answers={"about_result": "还在漏水"})
    client.force_login(agent)

    page = page_of(client, complaint, language)

    facts = panel(page).split('id="records-callbacks"')[1]
    assert say(language, "the complainant", "投诉人") in facts
    assert say(language, "Questionnaire", "调查问卷") in facts
    assert say(language, "not satisfied", "不满意") in facts
    assert "2/5" in facts and "还在漏水" in facts
    assert say(language, "online", "网上") in facts
    assert say(language, "Unsatisfied at call-back", "回访不满意") in facts
    callback = event_of(page, EventKind.CALLBACK_RECORDED)
    assert (
        say(language, "Rating: 2/5", "评分: 2/5") in callback and say(language, "Via: online", "途径: 网上") in callback
    )


# ------------------------------------------------------------------- answer to a solution
@pytest.mark.parametrize("language", LANGUAGES)
def test_the_complainants_answer_to_the_solution(client, agent, language):
    rejected = complaint_in(S.SOLUTION_PROPOSED, agent)
    rejected.record_answer(actor=None, accepted=False, note="太贵了。", via="web")
    accepted = complaint_in(S.SOLUTION_PROPOSED, agent)
    accepted.record_answer(actor=agent, accepted=True, note="业主在电话里同意。")
    client.force_login(agent)

    facts = panel(page_of(client, rejected, language)).split('id="records-solution-answers"')[1]
    assert say(language, "The complainant's answer to the solution", "投诉人对处理方案的答复") in facts
    assert say(language, "Solution rejected", "投诉人不接受方案") in facts
    assert say(language, "the complainant", "投诉人") in facts and "太贵了。" in facts
    assert say(language, "online", "网上") in facts
    assert say(language, "Solution rejected", "投诉人不接受方案") in facts  # the cause of moving it up

    page = page_of(client, accepted, language)
    facts = panel(page).split('id="records-solution-answers"')[1]
    assert say(language, "Solution accepted", "投诉人接受方案") in facts
    assert str(agent) in facts and "业主在电话里同意。" in facts
    answer = event_of(page, EventKind.SOLUTION_ACCEPTED)
    assert say(language, "Complainant's answer: accepted", "投诉人的答复: 接受") in answer


# ------------------------------------------------------------------------------ timeline
@pytest.mark.parametrize("language", LANGUAGES)
def test_the_timeline_says_the_new_kinds_in_words(client, agent, language):
    complaint = complaint_in(S.IN_PROGRESS, agent)
    for kind, data, note in [
        (EventKind.SPECIAL_INCIDENT_FLAGGED, {}, "水管爆裂，大堂进水。"),
        (EventKind.INCIDENT_CONTAINED, {}, "关闭总阀，疏散住户。"),
        (EventKind.INCIDENT_REPORTED, {"reported_to": "公司安全部", "reported_at": "2025-03-04T09:30:00+08:00"}, ""),
    ]:
        ComplaintEvent.objects.create(complaint=complaint, actor=agent, kind=kind, data=data, note=note)
    client.force_login(agent)

    page = page_of(client, complaint, language)

    assert "水管爆裂，大堂进水。" in event_of(page, EventKind.SPECIAL_INCIDENT_FLAGGED)
    assert "关闭总阀，疏散住户。" in event_of(page, EventKind.INCIDENT_CONTAINED)
    reported = event_of(page, EventKind.INCIDENT_REPORTED)
    assert say(language, "Reported to: 公司安全部", "报告对象: 公司安全部") in reported
    assert say(language, "Reported at: 2025-03-04 09:30", "报告时间: 2025-03-04 09:30") in reported


# --------------------------------------------------------------------------- query count
def _add_steps(complaint, agent, handler, rounds: int) -> None:
    """Events of many kinds, with data the page renders, by two people."""
    for i in range(rounds):
        complaint.add_note(actor=agent, note=f"Called again ({i}).")
        complaint.record_findings(actor=handler, findings=f"Finding {i}.", apologised_in_person=True)
        complaint.report_progress(actor=agent, note=f"Progress {i}.")
        ComplaintEvent.objects.create(
            complaint=complaint,
            kind=EventKind.NOTICE_SENT,
            data={"channel": "sms", "to": "139****5678", "notice_kind": "progress"},
        )


def test_the_page_reads_the_events_once_however_many(client, agent, handler):
    few = complaint_in(S.IN_PROGRESS, agent)
    _add_steps(few, agent, handler, 1)
    many = complaint_in(S.IN_PROGRESS, agent)
    _add_steps(many, agent, handler, 12)
    client.force_login(agent)
    client.get(detail_url(few))  # warm the per-process caches (permissions, session)

    with CaptureQueriesContext(connection) as small:
        assert client.get(detail_url(few)).status_code == 200
    with CaptureQueriesContext(connection) as large:
        page = client.get(detail_url(many))
    assert page.status_code == 200
    assert page.content.decode().count('class="event event-note_added"') == 12
    assert len(large.captured_queries) == len(small.captured_queries)
