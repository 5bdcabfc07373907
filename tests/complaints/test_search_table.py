"""The complaints' searched text in a table of its own on PostgreSQL (complaints/migrations/0022,
issue 17): kept by triggers, so a search finds what the complaint says now, and a change of
status does not rewrite it (the sweeps' UPDATEs no longer feed five GIN indexes)."""

import pytest
from django.db import connection
from django.urls import reverse

from complaints import selectors
from complaints.models import Complaint
from tests.factories import ComplaintFactory

pytestmark = pytest.mark.django_db
LIST_URL = reverse("complaints:list")
on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="the search table is PostgreSQL's")


def listed(response) -> list[int]:
    assert response.status_code == 200
    return [c.pk for c in response.context["page"]]


def stored(complaint) -> tuple[str, str] | None:
    """The complaint's row in complaint_search: its text and where it lies (a rewritten row
    lies elsewhere, even within one transaction)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT text, ctid::text FROM complaint_search WHERE complaint_id = %s", [complaint.pk])
        row = cursor.fetchone()
    return (row[0], row[1]) if row else None


def complaint_in(office, **kwargs):
    return ComplaintFactory(office=office, received_by__office=office, **kwargs)


@on_postgresql
def test_the_searched_text_follows_every_change_of_the_four_columns(agent):
    complaint = complaint_in(
        agent.office, subject="Lift broken", description="stuck", complainant_name="王", incident_place="3号楼"
    )
    assert stored(complaint)[0] == "LIFT BROKEN\x1fSTUCK\x1f王\x1f3号楼"
    complaint.description = "电梯停在十楼"
    complaint.save(update_fields=["description"])
    assert stored(complaint)[0] == "LIFT BROKEN\x1f电梯停在十楼\x1f王\x1f3号楼"
    Complaint.objects.filter(pk=complaint.pk).update(incident_place="车库")
    assert stored(complaint)[0].endswith("\x1f车库")
    Complaint.objects.filter(pk=complaint.pk).delete()
    assert stored(complaint) is None


@on_postgresql
def test_a_change_of_status_or_a_save_of_the_same_text_leaves_the_searched_text_alone(agent):
    complaint = complaint_in(agent.office, subject="厨房漏水")
    before = stored(complaint)
    Complaint.objects.filter(pk=complaint.pk).update(status="in_progress", assignee=agent)
    complaint.refresh_from_db()
    complaint.save()  # every column in the UPDATE, none of the four changed
    assert stored(complaint) == before


def test_a_search_finds_the_new_text_not_the_old(client, agent):
    complaint = complaint_in(agent.office, subject="水管爆裂", description="楼道积水")
    client.force_login(agent)
    assert listed(client.get(LIST_URL, {"q": "爆裂"})) == [complaint.pk]
    complaint.subject = "电梯故障"
    complaint.save()
    assert listed(client.get(LIST_URL, {"q": "爆裂"})) == []
    assert listed(client.get(LIST_URL, {"q": "电梯故障"})) == [complaint.pk]
    assert listed(client.get(LIST_URL, {"q": "梯故"})) == [complaint.pk]  # a bigram
    assert listed(client.get(LIST_URL, {"q": "楼道积水"})) == [complaint.pk]


def test_a_match_never_straddles_two_columns(client, agent):
    """The columns are joined by a separator no search holds: "板 墙" is not in 天花板 + 墙角,
    nor "BC" in AB + CD, as the LIKEs on each column never found them."""
    office = agent.office
    complaint_in(office, subject="天花板", description="墙角发霉", complainant_name="AB", incident_place="CD")
    client.force_login(agent)
    for q in ("板 墙", "板墙", "BC", "霉A", "B\x1fC"):
        assert listed(client.get(LIST_URL, {"q": q})) == [], q


def test_every_kind_of_match_still_joins_the_text_matches(client, agent):
    """The text, the customer, the phone, the number, e-mail, QQ and WeChat: one subquery of
    branches on PostgreSQL, one OR elsewhere — the same rows."""
    office = agent.office
    by_text = complaint_in(office, subject="13912340000 的来电")
    by_phone = complaint_in(office, contact_phone="13912340000")
    by_email = complaint_in(office, contact_email="wang@example.com")
    by_qq = complaint_in(office, contact_qq="123456789")
    by_wechat = complaint_in(office, contact_wechat="wang_wei_88")
    complaint_in(office, subject="其他")
    client.force_login(agent)
    assert sorted(listed(client.get(LIST_URL, {"q": "1391234"}))) == sorted([by_text.pk, by_phone.pk])
    assert listed(client.get(LIST_URL, {"q": "WANG@example.com"})) == [by_email.pk]
    assert listed(client.get(LIST_URL, {"q": "123456789"})) == [by_qq.pk]
    assert listed(client.get(LIST_URL, {"q": "wang_wei_88"})) == [by_wechat.pk]
    assert listed(client.get(LIST_URL, {"q": f"#{by_qq.pk}"})) == [by_qq.pk]


def test_a_number_beyond_any_id_is_no_match_not_an_error(client, agent):
    complaint_in(agent.office, subject="其他")
    client.force_login(agent)
    assert listed(client.get(LIST_URL, {"q": "9" * 30})) == []


@on_postgresql
@pytest.mark.parametrize("text, index", [("漏水", "complaint_search_bigrams"), ("电梯故障", "complaint_search_trgm")])
def test_a_search_uses_the_search_tables_indexes(agent, text, index):
    query = Complaint.objects.filter(selectors.text_search_q(text))
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        # a tiny table: ask whether the indexes can serve the condition (the expressions match)
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert index in plan
    assert "complaint_trgm_subject" not in plan  # the complaints' own text indexes are gone


def test_a_common_word_finds_the_same_rows_as_a_rare_one(client, agent, monkeypatch):
    """A bigram the statistics call common is looked for by the LIKEs on the complaints (the
    list walks the newest): the same complaints as through the search table."""
    office = agent.office
    found = [complaint_in(office, subject="厨房漏水"), complaint_in(office, description="墙角漏水")]
    complaint_in(office, subject="漏 水")
    client.force_login(agent)
    rare = sorted(listed(client.get(LIST_URL, {"q": "漏水"})))
    monkeypatch.setattr(selectors, "common_bigrams", lambda: frozenset({"漏水"}))
    assert "complaint_search" not in str(Complaint.objects.filter(selectors.text_search_q("漏水")).query)
    assert sorted(listed(client.get(LIST_URL, {"q": "漏水"}))) == rare == sorted(c.pk for c in found)


@pytest.mark.parametrize("q", ["%", "_", "'", "\\", "a'", "x\\", "%水%", "水'", "漏_", "'; DROP TABLE x; --"])
def test_hostile_search_texts_are_plain_text(client, agent, q):
    """LIKE's wildcards, quotes and backslashes are searched for as they are, in the list and
    the API, through either path (a lexeme, a LIKE pattern)."""
    complaint_in(agent.office, subject="厨房漏水")
    literal = complaint_in(agent.office, subject=f"含有 {q} 的主题")
    client.force_login(agent)
    assert listed(client.get(LIST_URL, {"q": q})) == [literal.pk]
    response = client.get("/api/v1/complaints/", {"search": q})
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [literal.pk]


@on_postgresql
def test_the_bigram_function_is_linear_and_exact(agent):
    """helpdesk_search_bigrams (migration 0025): every two-character piece, upper-cased, for
    short and very long texts alike; 100,000 characters in well under a second (0018's loop
    took minutes)."""
    import time

    def expected(text: str) -> set[str]:
        upper = text.upper()
        return {upper[i : i + 2] for i in range(len(upper) - 1)}

    long_text = ("漏水 ab'c\\d " * 10_000)[:100_000]
    with connection.cursor() as cursor:
        for text in ("", "a", "ab", "Ab c", "漏水漏水", "x'y", "a\\b", "Wifi 信号差\x1f3号楼"):
            cursor.execute("SELECT tsvector_to_array(helpdesk_search_bigrams(%s))", [text])
            assert set(cursor.fetchone()[0]) == expected(text), text
        started = time.perf_counter()
        cursor.execute("SELECT tsvector_to_array(helpdesk_search_bigrams(%s))", [long_text])
        assert set(cursor.fetchone()[0]) == expected(long_text)
        assert time.perf_counter() - started < 1.0


def stored_phone(complaint) -> str | None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT phone FROM complaint_search WHERE complaint_id = %s", [complaint.pk])
        row = cursor.fetchone()
    return row[0] if row else None


@on_postgresql
def test_the_searched_phone_follows_the_complaints_phone(agent):
    """Migration 0027: the phone, as stored, is in complaint_search (with its trigram index),
    rewritten when it changes and only then."""
    complaint = complaint_in(agent.office, contact_phone="13912345678")
    assert stored_phone(complaint) == "13912345678"
    Complaint.objects.filter(pk=complaint.pk).update(contact_phone="02087654321")
    assert stored_phone(complaint) == "02087654321"
    before = stored(complaint)
    Complaint.objects.filter(pk=complaint.pk).update(status="in_progress", escalation_level=2)
    assert stored(complaint) == before  # not rewritten
    Complaint.objects.filter(pk=complaint.pk).update(contact_phone="")
    assert stored_phone(complaint) == ""


@on_postgresql
def test_no_trigram_index_on_the_complaints_feeds_on_their_updates():
    """The complaints keep no GIN index: every change of status would add an entry per
    trigram of the indexed text (the sweeps change 10,000 complaints at a time)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes "
            "WHERE tablename = 'complaints_complaint' AND indexdef LIKE '%%USING gin%%'"
        )
        assert cursor.fetchall() == []
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'complaint_search_phone'")
        assert "gin_trgm_ops" in cursor.fetchone()[0]


def test_a_phone_search_finds_the_last_digits_through_the_search_table(client, agent):
    wanted = complaint_in(agent.office, contact_phone="13912345678")
    complaint_in(agent.office, contact_phone="13800000000")
    client.force_login(agent)
    for q in ("5678", "1234 5678", "139-1234-5678", "13912345678"):
        assert listed(client.get(LIST_URL, {"q": q})) == [wanted.pk], q
    query = selectors.text_search_q("5678")
    sql = str(Complaint.objects.filter(query).query)
    if connection.vendor == "postgresql":
        where = sql.split(" WHERE ", 1)[1]
        # with the predicate of the partial index complaint_search_phone, which serves it
        assert "complaint_search WHERE phone <> '' AND phone LIKE" in where and "contact_phone" not in where
    Complaint.objects.filter(pk=wanted.pk).update(contact_phone="13900001111")
    assert listed(client.get(LIST_URL, {"q": "5678"})) == []
    assert listed(client.get(LIST_URL, {"q": "1111"})) == [wanted.pk]
