"""The agents' performance review (R-F5): the KPI figures of a hand-built October 2026 with
known answers, the satisfaction sample (random but reproducible) and its re-check, the pages,
their permissions, the files and a fixed number of queries.

October 2026 (Asia/Shanghai), the figures made on Nov 2 at noon. Office `office`: agents Li,
Zhao and Wang, supervisor Sun; the other office: agent Qian.

    complaint  receiver  what happened (local time)                                        counts for
    c1         Li        Oct 2 received, replied in 1 h; handled; Oct 4 Li's phone         Li: call-back (5)
                         call-back, satisfied, rated 5 → closed
    c2         Li        Oct 5 received, never replied by its time: Oct 6 R-T1 marks it    Li: escalation caused
                         overdue (0 → 1); Sun proposes a solution (late reply), handled;   Wang: call-back (4)
                         Oct 8 WANG (a colleague) calls back, satisfied, rated 4 → closed
    c3         Li        Oct 10 received, replied; Li's solution rejected (0 → 1);        Li: escalation caused;
                         Sun's accepted, handled; Oct 14 the complainant's online          online (2, unsatisfied)
                         questionnaire: unsatisfied, rated 2 (1 → 2, not Li's level)
    c4         Li        Oct 12 received; Li moves it up, emotional complainant            nothing (not a failure)
    c5         Li        Sep 28 received (September's); Oct 3 online questionnaire,        Li: closed, online (4)
                         satisfied, rated 4 → closed
    c6         Li        Oct 20 received and resolved on the spot → closed                 Li: replied in time
    dup        Li        Oct 14, merged into c1                                            nothing (counted once)
    z1         Zhao      Oct 6 received, replied; Oct 9 Zhao's call-back: unsatisfied      Zhao: call-back, escalation
                         (0 → 1)                                                           caused
    q1         Qian      other office; Oct 16 received, replied, on the spot               Qian (other office)

Surveys: Li manages customer X (answers 4 and 5 recorded on Oct 15 → 4.5; a November answer
left out); Zhao manages customer Y (answered in September only).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.translation import gettext, override
from openpyxl import load_workbook

from complainants.models import Source
from complaints.choices import CallbackMethod, Channel, CloseReason, EscalationCause, EventKind, Outcome, Status
from complaints.models import Category, Complaint, ComplaintEvent
from followups import kpi
from followups.models import KpiSample, KpiSampleItem
from followups.surveys import create_round, record_response
from tests.factories import ComplaintFactory, CustomerFactory

pytestmark = pytest.mark.django_db

OCTOBER = date(2026, 10, 1)
H = timedelta(hours=1)


def local(*args) -> datetime:
    from django.utils import timezone

    return datetime(*args, tzinfo=timezone.get_default_timezone())


NOW = local(2026, 11, 2, 12)


@contextmanager
def clock(moment: datetime) -> Iterator[None]:
    """The lifecycle methods take the time from timezone.now(): let it be `moment`."""
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


def receive(agent, *, at: datetime, office=None, phone="13900000001", **extra) -> Complaint:
    with clock(at):
        return Complaint.receive(
            actor=agent,
            office=office or agent.office,
            channel=Channel.PHONE,
            complainant_name="王芳",
            contact_phone=phone,
            incident_at=at - 2 * H,
            incident_place="5号楼车库",
            subject="闸门坏了",
            description="住户卡打不开车库闸门。",
            category=Category.objects.get(code="repairs"),
            **extra,
        )


def on_the_spot(agent, *, at: datetime, phone: str) -> Complaint:
    return receive(
        agent,
        at=at,
        phone=phone,
        outcome=Outcome.ON_THE_SPOT,
        resolution="Explained the parking rules.",
        signoff_name="王芳",
        satisfied=True,
    )


def handle(complaint: Complaint, *, at: datetime, actor) -> None:
    """A solution proposed, accepted and carried out: the complaint awaits its call-back."""
    with clock(at):
        complaint.propose_solution(actor=actor, solution="Repair the gate.")
        complaint.record_answer(actor=actor, accepted=True)
        complaint.mark_handled(actor=actor, note="Repaired.")


def call_back(complaint: Complaint, *, at: datetime, actor=None, satisfied=True, rating=None, online=False) -> None:
    with clock(at):
        complaint.record_callback(
            actor=None if online else actor,
            method=CallbackMethod.QUESTIONNAIRE if online else CallbackMethod.PHONE,
            satisfied=satisfied,
            rating=rating,
            via=Source.WEB if online else "",
        )


@dataclass
class October:
    li: object
    zhao: object
    wang: object
    sun: object
    qian: object
    manager: object
    c: dict


@pytest.fixture
def october(office, other_office, make_user) -> October:
    li = make_user("agent", username="li", first_name="Li", last_name="Na")
    zhao = make_user("agent", username="zhao", first_name="Zhao", last_name="Lei")
    wang = make_user("agent", username="wang", first_name="Wang", last_name="Fang")
    sun = make_user("supervisor", username="sun", first_name="Sun", last_name="Li")
    qian = make_user("agent", username="qian", first_name="Qian", last_name="Wei", office_=other_office)
    manager = make_user("manager", username="boss", first_name="Zhou", last_name="Min")
    c: dict = {}

    c[5] = receive(li, at=local(2026, 9, 28, 9), phone="13900000005")
    handle(c[5], at=local(2026, 9, 29, 9), actor=li)
    call_back(c[5], at=local(2026, 10, 3, 9), satisfied=True, rating=4, online=True)

    c[1] = receive(li, at=local(2026, 10, 2, 9), phone="13900000001")
    with clock(local(2026, 10, 2, 10)):
        c[1].reply(actor=li, note="We will send someone.")
    handle(c[1], at=local(2026, 10, 3, 9), actor=li)
    call_back(c[1], at=local(2026, 10, 4, 9), actor=li, rating=5)

    c[2] = receive(li, at=local(2026, 10, 5, 9), phone="13900000002")
    Complaint.mark_reply_overdue_many([c[2]], now=local(2026, 10, 6, 10), deadline=lambda r: r.reply_due_at)
    c[2].refresh_from_db()
    handle(c[2], at=local(2026, 10, 7, 9), actor=sun)
    call_back(c[2], at=local(2026, 10, 8, 9), actor=wang, rating=4)

    c["z1"] = receive(zhao, at=local(2026, 10, 6, 8), phone="13900000011")
    with clock(local(2026, 10, 6, 9)):
        c["z1"].reply(actor=zhao, note="Noted.")
    handle(c["z1"], at=local(2026, 10, 7, 9), actor=zhao)
    call_back(c["z1"], at=local(2026, 10, 9, 9), actor=zhao, satisfied=False)

    c[3] = receive(li, at=local(2026, 10, 10, 9), phone="13900000003")
    with clock(local(2026, 10, 10, 11)):
        c[3].reply(actor=li, note="Looking into it.")
        c[3].propose_solution(actor=li, solution="Move the car park gate.")
        c[3].record_answer(actor=li, accepted=False, to_user=sun)
    handle(c[3], at=local(2026, 10, 12, 9), actor=sun)
    call_back(c[3], at=local(2026, 10, 14, 9), satisfied=False, rating=2, online=True)

    c[4] = receive(li, at=local(2026, 10, 12, 9), phone="13900000004")
    with clock(local(2026, 10, 12, 9, 30)):
        c[4].move_up(actor=li, cause=EscalationCause.EMOTIONAL, to_user=sun)

    c["dup"] = ComplaintFactory(
        office=li.office,
        received_by=li,
        received_at=local(2026, 10, 14, 9),
        status=Status.CLOSED,
        close_reason=CloseReason.MERGED,
        merged_into=c[1],
        closed_at=local(2026, 10, 14, 10),
    )
    c[6] = on_the_spot(li, at=local(2026, 10, 20, 9), phone="13900000006")
    c["q1"] = on_the_spot(qian, at=local(2026, 10, 16, 9), phone="13900000021")

    x = CustomerFactory(name="Customer X", account_manager=li)
    y = CustomerFactory(name="Customer Y", account_manager=zhao)
    with clock(local(2026, 9, 1, 9)):
        survey = create_round(title="Autumn", questions=["Service?", "Repairs?"], customers=[x, y], by=manager)
    first, second = survey.questions.order_by("position")
    with clock(local(2026, 9, 30, 9)):
        record_response(round=survey, customer=y, scores={first.pk: 1, second.pk: 1}, channel="phone", by=manager)
    with clock(local(2026, 10, 15, 9)):
        record_response(round=survey, customer=x, scores={first.pk: 4, second.pk: 5}, channel="phone", by=manager)
    with clock(local(2026, 11, 1, 9)):
        later = create_round(title="Winter", questions=["Service?"], customers=[x], by=manager)
        record_response(round=later, customer=x, scores={later.questions.get().pk: 1}, channel="phone", by=manager)
    return October(li=li, zhao=zhao, wang=wang, sun=sun, qian=qian, manager=manager, c=c)


def figures(**kwargs):
    return kpi.agent_kpis(OCTOBER, now=NOW, **kwargs)


def by_agent(kpis) -> dict:
    return {row["user_id"]: row for row in kpis["rows"]}


# ------------------------------------------------------------------ known answers
def test_the_figures_of_an_agent(october):
    li = by_agent(figures())[october.li.pk]

    assert (li["received"], li["replied_in_time"], li["reply_measured"], li["reply_compliance_pct"]) == (5, 3, 5, 60.0)
    assert li["escalations_caused"] == 2  # c2's missed reply deadline, c3's rejected solution; not c4's, not c3's 2nd
    assert li["closed"] == 4  # c1, c2, c5 (received in September), c6; the merged duplicate is not
    # the call-backs Li made herself: c1 — not c2's, which a colleague made
    assert (li["callbacks"], li["callbacks_satisfied"], li["callback_satisfaction_pct"], li["callback_rating"]) == (
        1,
        1,
        100.0,
        5.0,
    )
    # the online questionnaires of Li's complaints: c3 (unsatisfied, 2) and c5 (satisfied, 4)
    assert (li["online_answers"], li["online_satisfaction_pct"], li["online_rating"]) == (2, 50.0, 3.0)
    assert (li["survey_responses"], li["survey_score"]) == (1, 4.5)
    assert (li["sampled"], li["rechecked"], li["sample_satisfaction_pct"], li["sample_id"]) == (0, 0, None, None)


def test_a_call_back_counts_for_who_made_it(october):
    rows = by_agent(figures())
    wang, zhao = rows[october.wang.pk], rows[october.zhao.pk]
    # Wang received nothing but called c2's complainant back
    assert (wang["received"], wang["closed"], wang["callbacks"], wang["callback_rating"]) == (0, 0, 1, 4.0)
    assert wang["callback_satisfaction_pct"] == 100.0
    # Zhao's own unsatisfied call-back moved z1 up while it was at Zhao's level: an escalation caused
    assert (zhao["received"], zhao["replied_in_time"], zhao["callbacks"], zhao["callback_satisfaction_pct"]) == (
        1,
        1,
        1,
        0.0,
    )
    assert (zhao["callback_rating"], zhao["escalations_caused"], zhao["online_answers"]) == (None, 1, 0)
    assert (zhao["survey_responses"], zhao["survey_score"]) == (0, None)  # Y answered in September
    # the supervisor worked on c2 and c3 but made no call-back and received nothing
    sun = rows[october.sun.pk]
    assert (sun["received"], sun["callbacks"], sun["escalations_caused"]) == (0, 0, 0)


def test_the_total_and_the_office(october, office, other_office):
    everyone = figures()
    assert october.qian.pk in by_agent(everyone)
    total = everyone["total"]
    assert (total["received"], total["closed"], total["callbacks"], total["online_answers"]) == (7, 5, 3, 2)
    assert total["escalations_caused"] == 3
    assert total["callback_satisfaction_pct"] == pytest.approx(66.7)

    ours = figures(office=office)
    assert october.qian.pk not in by_agent(ours)
    assert ours["office"] == office.name
    theirs = by_agent(figures(office=other_office))
    assert list(theirs) == [october.qian.pk]
    assert (theirs[october.qian.pk]["received"], theirs[october.qian.pk]["closed"]) == (1, 1)


def test_a_user_who_sees_one_office_gets_its_agents_only(october, office):
    kpis = figures(user=october.sun)  # a supervisor: their own office's complaints
    assert kpis["office"] == office.name
    assert october.qian.pk not in by_agent(kpis)
    assert by_agent(kpis)[october.li.pk]["received"] == 5


def test_every_agent_is_listed_even_without_figures(october, make_user):
    idle = make_user("agent", username="idle", first_name="Idle", last_name="One")
    gone = make_user("agent", username="gone", is_active=False)
    rows = by_agent(figures())
    assert rows[idle.pk]["received"] == 0 and rows[idle.pk]["reply_compliance_pct"] is None
    assert gone.pk not in rows  # no longer active, and nothing in the month
    assert october.manager.pk in rows  # managers may receive complaints too


def test_another_month_has_other_figures(october):
    september = by_agent(kpi.agent_kpis(date(2026, 9, 1), now=NOW))[october.li.pk]
    assert (september["received"], september["closed"], september["online_answers"]) == (1, 0, 0)


# ------------------------------------------------------------------------ sampling
def candidates(october) -> list[int]:
    return sorted([october.c[1].pk, october.c[2].pk, october.c[5].pk, october.c[6].pk])


def test_the_candidates_are_the_agents_complaints_closed_in_the_month(october):
    ids = list(kpi.sample_candidates(OCTOBER, october.li).values_list("id", flat=True))
    assert ids == candidates(october)  # not the merged duplicate, not the open c3 and c4


def test_anonymous_complaints_are_not_sampled(october):
    # nobody can be phoned about an anonymous complaint: it is no candidate for the re-check
    Complaint.objects.filter(pk=october.c[5].pk).update(is_anonymous=True)
    ids = list(kpi.sample_candidates(OCTOBER, october.li).values_list("id", flat=True))
    assert october.c[5].pk not in ids
    assert ids == [pk for pk in candidates(october) if pk != october.c[5].pk]


def test_the_sample_is_reproducible_with_its_seed(october):
    sample = kpi.draw_sample(OCTOBER, october.li, size=2, seed=42, by=october.manager)
    drawn = list(sample.items.order_by("position").values_list("complaint_id", flat=True))
    assert (sample.size, sample.seed, sample.month, sample.drawn_by) == (2, 42, OCTOBER, october.manager)
    assert drawn == kpi.draw(candidates(october), size=2, seed=42)
    assert set(drawn) <= set(candidates(october))

    # the same seed draws the same complaints again
    sample.delete()
    again = kpi.draw_sample(OCTOBER, october.li, size=2, seed=42, by=october.manager)
    assert list(again.items.order_by("position").values_list("complaint_id", flat=True)) == drawn

    # another seed may draw others
    other = next(s for s in range(100) if set(kpi.draw(candidates(october), size=2, seed=s)) != set(drawn))
    again.delete()
    different = kpi.draw_sample(OCTOBER, october.li, size=2, seed=other, by=october.manager)
    assert set(different.items.values_list("complaint_id", flat=True)) != set(drawn)


def test_the_size_is_capped_and_a_seed_is_chosen_and_kept(october):
    sample = kpi.draw_sample(OCTOBER, october.li, size=10, by=october.manager)
    assert sample.size == 4 and sample.seed is not None
    assert sorted(sample.items.values_list("complaint_id", flat=True)) == candidates(october)
    assert list(sample.items.order_by("position").values_list("complaint_id", flat=True)) == kpi.draw(
        candidates(october), size=10, seed=sample.seed
    )


def test_one_sample_per_agent_and_month(october):
    first = kpi.draw_sample(OCTOBER, october.li, size=1, seed=1, by=october.manager)
    with pytest.raises(kpi.SampleAlreadyDrawn) as refused:
        kpi.draw_sample(OCTOBER, october.li, size=3, seed=2, by=october.manager)
    assert refused.value.sample == first
    assert KpiSample.objects.count() == 1 and first.items.count() == 1


def test_nothing_to_sample_and_months_not_over(october):
    with pytest.raises(ValidationError):
        kpi.draw_sample(OCTOBER, october.wang, size=3, by=october.manager)  # closed nothing
    with clock(local(2026, 10, 25, 9)), pytest.raises(ValidationError):
        kpi.draw_sample(OCTOBER, october.li, size=3, by=october.manager)  # October is not over
    assert not KpiSample.objects.exists()


def test_the_recheck_is_an_event_and_stands_on_the_item(october):
    sample = kpi.draw_sample(OCTOBER, october.li, size=3, seed=7, by=october.manager)
    first, second, third = sample.items.order_by("position")
    moment = local(2026, 11, 3, 10)
    with clock(moment):
        kpi.record_recheck(first, by=october.manager, reached=True, satisfied=True, rating=5, note="Happy.")
    kpi.record_recheck(second, by=october.manager, reached=False, satisfied=True, rating=3)

    event = ComplaintEvent.objects.get(complaint=first.complaint, kind=EventKind.SATISFACTION_RECHECKED)
    assert (event.actor, event.created_at, event.note) == (october.manager, moment, "Happy.")
    assert event.data == {"sample_item": first.pk, "reached": True, "satisfied": True, "rating": 5}
    assert event.from_status == event.to_status == Status.CLOSED
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.rechecked_at, first.rechecked_by, first.reached, first.satisfied, first.rating) == (
        moment,
        october.manager,
        True,
        True,
        5,
    )
    assert (second.reached, second.satisfied, second.rating) == (False, None, None)  # not reached: nothing asked
    assert Complaint.objects.get(pk=first.complaint_id).status == Status.CLOSED

    # once only
    with pytest.raises(kpi.AlreadyRechecked):
        kpi.record_recheck(first, by=october.manager, reached=True, satisfied=False)
    # reached, but satisfaction not recorded: refused, nothing written
    with pytest.raises(ValidationError):
        kpi.record_recheck(third, by=october.manager, reached=True)
    assert ComplaintEvent.objects.filter(kind=EventKind.SATISFACTION_RECHECKED).count() == 2
    assert KpiSampleItem.objects.filter(rechecked_at__isnull=False).count() == 2

    # the sample's result beside Li's own figures; a re-check is not a call-back
    li = by_agent(figures())[october.li.pk]
    assert (li["sample_id"], li["sampled"], li["rechecked"], li["reached"]) == (sample.pk, 3, 2, 1)
    assert (li["sample_satisfaction_pct"], li["sample_rating"], li["callbacks"]) == (100.0, 5.0, 1)


# --------------------------------------------------------------------------- pages
def test_the_page_shows_the_table(client, october):
    client.force_login(october.manager)
    response = client.get(reverse("followups:kpis"), {"month": "2026-10"})
    page = response.content.decode()
    assert response.status_code == 200
    assert response.context["kpis"]["month"] == OCTOBER
    assert "Li Na" in page and "Escalations caused" in page and "Call-backs done" in page
    assert response.context["draw_form"] is not None
    assert reverse("followups:kpi_download", args=["2026-10", "xlsx"]) in page
    assert reverse("followups:kpis") in page  # the navigation link
    assert client.get(reverse("followups:kpis"), {"month": "October"}).status_code == 400


def test_drawing_and_rechecking_through_the_pages(client, october):
    client.force_login(october.manager)
    response = client.post(reverse("followups:kpi_draw"), {"month": "2026-10", "size": 2, "seed": 99})
    assert response.status_code == 302 and "month=2026-10" in response["Location"]
    # Li and Qian (the other office, on the spot): the others closed nothing in October
    assert set(KpiSample.objects.values_list("agent", "size")) == {(october.li.pk, 2), (october.qian.pk, 1)}
    sample = KpiSample.objects.get(agent=october.li)
    assert (sample.seed, sample.drawn_by) == (99, october.manager)

    # drawing again keeps the existing samples
    client.post(reverse("followups:kpi_draw"), {"month": "2026-10", "size": 4})
    assert KpiSample.objects.count() == 2 and KpiSample.objects.get(agent=october.li).size == 2

    page = client.get(reverse("followups:kpi_sample", args=[sample.pk]))
    assert page.status_code == 200 and len(page.context["entries"]) == 2
    item = sample.items.order_by("position").first()
    url = reverse("followups:kpi_recheck", args=[item.pk])
    prefix = f"item-{item.pk}"
    bad = client.post(url, {f"{prefix}-reached": "yes"})
    assert bad.status_code == 400 and bad.context["entries"][0]["form"].errors
    good = client.post(
        url,
        {f"{prefix}-reached": "yes", f"{prefix}-satisfied": "no", f"{prefix}-rating": "2", f"{prefix}-note": "Slow"},
    )
    assert good.status_code == 302
    item.refresh_from_db()
    assert (item.reached, item.satisfied, item.rating, item.note, item.rechecked_by) == (
        True,
        False,
        2,
        "Slow",
        october.manager,
    )
    again = client.post(url, {f"{prefix}-reached": "no"})
    assert again.status_code == 409
    assert ComplaintEvent.objects.filter(kind=EventKind.SATISFACTION_RECHECKED).count() == 1


# ---------------------------------------------------------------------- the files
def test_the_xlsx_has_the_figures(client, october):
    sample = kpi.draw_sample(OCTOBER, october.li, size=2, seed=3, by=october.manager)
    kpi.record_recheck(sample.items.first(), by=october.manager, reached=True, satisfied=True, rating=4)
    client.force_login(october.manager)
    response = client.get(reverse("followups:kpi_download", args=["2026-10", "xlsx"]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="agent-kpis-2026-10.xlsx"'
    wb = load_workbook(io.BytesIO(response.content))
    ws = wb["Agents' performance"]
    rows = list(ws.iter_rows(values_only=True))
    header = list(rows[2])
    assert header[:2] == ["Agent", "Office"] and header[2:] == [str(label) for _k, label, _kind in kpi.KPI_COLUMNS]
    li = dict(zip(header, next(r for r in rows if r[0] == "Li Na"), strict=True))
    assert (li["Complaints received"], li["Replied in time"], li["Compliance (%)"]) == (5, 3, 60.0)
    assert (li["Escalations caused"], li["Closed"], li["Call-backs done"], li["Call-back rating"]) == (2, 4, 1, 5.0)
    assert (li["Online questionnaires"], li["Online rating"], li["Survey score of own customers"]) == (2, 3.0, 4.5)
    assert (li["Sampled"], li["Re-checked"], li["Satisfied at re-check (%)"]) == (2, 1, 100.0)
    wang = next(r for r in rows if r[0] == "Wang Fang")
    assert wang[header.index("Call-backs done")] == 1
    assert rows[-1][0] == "All agents"
    items = list(wb["Sampled complaints"].iter_rows(min_row=4, values_only=True))
    assert len(items) == 2 and {r[0] for r in items} == {"Li Na"}


def test_the_csv_and_translated_headers(client, october):
    client.force_login(october.manager)
    response = client.get(reverse("followups:kpi_download", args=["2026-10", "csv"]))
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    header = next(r for r in rows if r[:2] == ["Agent", "Office"])
    li = dict(zip(header, next(r for r in rows if r and r[0] == "Li Na"), strict=True))
    assert (li["Complaints received"], li["Call-backs done"], li["Online rating"]) == ("5", "1", "3.0")

    client.cookies["django_language"] = "zh-hans"
    chinese = client.get(reverse("followups:kpi_download", args=["2026-10", "csv"])).content.decode("utf-8-sig")
    with override("zh-hans"):
        assert gettext("Office") in chinese and gettext("Office") != "Office"


# ------------------------------------------------------------------- permissions
ROLES = ["agent", "supervisor", "department_handler", "customer_info"]


def _requests(sample) -> dict:
    item = sample.items.first()
    return {
        "table": ("get", reverse("followups:kpis"), {"month": "2026-10"}, 200),
        "xlsx": ("get", reverse("followups:kpi_download", args=["2026-10", "xlsx"]), {}, 200),
        "csv": ("get", reverse("followups:kpi_download", args=["2026-10", "csv"]), {}, 200),
        "draw": ("post", reverse("followups:kpi_draw"), {"month": "2026-10", "size": 1}, 302),
        "sample": ("get", reverse("followups:kpi_sample", args=[sample.pk]), {}, 200),
        "recheck": ("post", reverse("followups:kpi_recheck", args=[item.pk]), {f"item-{item.pk}-reached": "no"}, 302),
    }


@pytest.fixture
def sampled(office, make_user):
    agent = make_user("agent", username="sampled-agent")
    complaint = ComplaintFactory(
        office=office,
        received_by=agent,
        received_at=local(2026, 10, 3, 9),
        status=Status.CLOSED,
        close_reason=CloseReason.CALLBACK_SATISFIED,
        closed_at=local(2026, 10, 4, 9),
    )
    boss = make_user("manager", username="sampler")
    sample = KpiSample.objects.create(month=OCTOBER, agent=agent, size=1, seed=1, drawn_by=boss)
    KpiSampleItem.objects.create(sample=sample, complaint=complaint, position=1)
    return sample


@pytest.mark.parametrize("page", ["table", "xlsx", "csv", "draw", "sample", "recheck"])
@pytest.mark.parametrize("role", ROLES)
def test_only_managers_see_the_review(client, make_user, sampled, role, page):
    method, url, data, allowed = _requests(sampled)[page]
    client.force_login(make_user(role, username=f"who-{role}"))
    assert getattr(client, method)(url, data).status_code == 403

    client.force_login(make_user("manager", username="the-manager"))
    assert getattr(client, method)(url, data).status_code == allowed


@pytest.mark.parametrize("page", ["table", "xlsx", "sample"])
def test_anonymous_visitors_are_sent_to_log_in(client, sampled, page):
    method, url, data, _allowed = _requests(sampled)[page]
    response = getattr(client, method)(url, data)
    assert response.status_code == 302 and "login" in response["Location"]


def test_the_navigation_link_only_for_managers(client, make_user):
    client.force_login(make_user("supervisor", username="sup"))
    assert reverse("followups:kpis") not in client.get(reverse("complaints:list")).content.decode()
    client.force_login(make_user("manager", username="mgr"))
    assert reverse("followups:kpis") in client.get(reverse("complaints:list")).content.decode()


# ------------------------------------------------------------------- query count
def _agents_with_figures(n: int, office, make_user, boss) -> None:
    """n agents, each with complaints received, replied, overdue, closed, call-backs (by
    staff and online), a managed customer's survey answer and a re-checked sample."""
    survey = create_round(title=f"Round {n}", questions=["Q?"], customers=[CustomerFactory()], by=boss)
    question = survey.questions.get()
    for i in range(n):
        agent = make_user("agent", username=f"qa-{n}-{i}")
        at = local(2026, 10, 1 + i % 28, 9)
        closed = ComplaintFactory(
            office=office,
            received_by=agent,
            received_at=at,
            first_replied_at=at + H,
            status=Status.CLOSED,
            close_reason=CloseReason.CALLBACK_SATISFIED,
            closed_at=at + 5 * H,
        )
        ComplaintFactory(office=office, received_by=agent, received_at=at, reply_due_at=at + H)
        for data, actor in (({"satisfied": True, "rating": 4}, agent), ({"satisfied": False, "via": "web"}, None)):
            ComplaintEvent.objects.create(
                complaint=closed, actor=actor, created_at=at + 4 * H, kind=EventKind.CALLBACK_RECORDED, data=data
            )
        ComplaintEvent.objects.create(
            complaint=closed,
            created_at=at + 2 * H,
            kind=EventKind.REPLY_OVERDUE,
            from_level=0,
            to_level=1,
            data={"escalation_cause": EscalationCause.DEADLINE_MISSED},
        )
        customer = CustomerFactory(account_manager=agent)
        survey.customers.add(customer)
        with clock(at):
            record_response(round=survey, customer=customer, scores={question.pk: 3}, channel="phone", by=boss)
        sample = KpiSample.objects.create(month=OCTOBER, agent=agent, size=1, seed=i, drawn_by=boss)
        KpiSampleItem.objects.create(
            sample=sample, complaint=closed, position=1, rechecked_at=at + 6 * H, reached=True, satisfied=True, rating=5
        )


def test_the_number_of_queries_is_fixed(client, office, make_user):
    boss = make_user("manager", username="counting-boss")
    client.force_login(boss)
    url = reverse("followups:kpis")
    _agents_with_figures(2, office, make_user, boss)
    with CaptureQueriesContext(connection) as few:
        small = figures()
    with CaptureQueriesContext(connection) as few_page:
        assert client.get(url, {"month": "2026-10"}).status_code == 200
    _agents_with_figures(8, office, make_user, boss)
    with CaptureQueriesContext(connection) as many:
        large = figures()
    with CaptureQueriesContext(connection) as many_page:
        assert client.get(url, {"month": "2026-10"}).status_code == 200

    assert small["total"]["received"] == 4 and large["total"]["received"] == 20
    assert (large["total"]["callbacks"], large["total"]["online_answers"], large["total"]["escalations_caused"]) == (
        10,
        10,
        10,
    )
    assert (large["total"]["survey_responses"], large["total"]["sampled"], large["total"]["sample_rating"]) == (
        10,
        10,
        5.0,
    )
    assert len(few.captured_queries) == len(many.captured_queries) == 5
    assert len(few_page.captured_queries) == len(many_page.captured_queries)
