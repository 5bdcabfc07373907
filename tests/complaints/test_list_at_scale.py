"""The complaint list's search and paging at a million complaints (issue 17): the same rows
in the same order, in a fixed number of queries, whatever the number of matches — and on
PostgreSQL a two-character Chinese word found through the bigram index."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from complaints import selectors
from complaints.models import Complaint
from helpdesk.pagination import ComplaintPaginator
from tests.factories import ComplaintFactory

pytestmark = pytest.mark.django_db
LIST_URL = reverse("complaints:list")
API_URL = "/api/v1/complaints/"


def complaint_in(office, **kwargs):
    return ComplaintFactory(office=office, received_by__office=office, **kwargs)


def listed(response) -> list[int]:
    return [c.pk for c in response.context["page"]]


def queries_of(client, url, params) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(ctx.captured_queries), response


def test_two_character_chinese_words_are_found_in_every_searched_column(client, agent):
    office = agent.office
    by_subject = complaint_in(office, subject="厨房天花板漏水")
    by_description = complaint_in(office, subject="天花板", description="墙角一直漏水，地板都泡坏了。")
    by_place = complaint_in(office, subject="门", incident_place="漏水的车库")
    complaint_in(office, subject="电梯故障", description="电梯停运。")
    complaint_in(office, subject="漏 水", description="两个字分开了。")  # not the word
    client.force_login(agent)
    found = listed(client.get(LIST_URL, {"q": "漏水"}))
    assert sorted(found) == sorted([by_subject.pk, by_description.pk, by_place.pk])
    assert listed(client.get(LIST_URL, {"q": "水管"})) == []
    # Latin two-letter words compare case-insensitively, as the LIKEs do
    wifi = complaint_in(office, subject="Wifi 信号差")
    assert listed(client.get(LIST_URL, {"q": "fI"})) == [wifi.pk]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the bigram index is PostgreSQL's")
def test_a_two_character_search_uses_the_bigram_index(agent):
    query = Complaint.objects.filter(selectors.text_search_q("漏水"))
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        # a tiny table: ask whether the index can serve the condition (the expressions match)
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "complaint_search_bigrams" in plan


def test_a_few_matches_are_read_by_id_in_the_list_order(client, agent):
    """A phone with four complaints among many: the page lists them newest first, read by id,
    in no more queries than a page of many rows."""
    office = agent.office
    now = timezone.now()
    phone = "13800000004"
    mine = [complaint_in(office, contact_phone=phone, received_at=now - timedelta(days=d)) for d in (9, 2, 5, 7)]
    for d in range(30):
        complaint_in(office, contact_phone=f"1390000{d:04d}", received_at=now - timedelta(days=d, hours=1))
    client.force_login(agent)
    few_queries, response = queries_of(client, LIST_URL, {"q": "13800000004"})
    expected = [c.pk for c in sorted(mine, key=lambda c: c.received_at, reverse=True)]
    assert listed(response) == expected
    assert response.context["page"].paginator.ids is not None  # read by id
    many_queries, response = queries_of(client, LIST_URL, {"q": "1390000"})  # 30 matches: a page of 25 by id
    assert len(listed(response)) == 25 and len(response.context["page"].paginator.ids) == 30
    assert few_queries == many_queries


def test_paging_by_id_gives_the_pages_of_the_ordered_list(agent):
    """A search's pages, read by id, are the pages of the list itself — equal times included —
    and each page reads only its own rows."""
    office = agent.office
    now = timezone.now()
    for d in range(12):
        complaint_in(office, received_at=now - timedelta(hours=d % 5, minutes=d % 3))
    qs = selectors.complaints_visible_to(agent).with_list_relations().order_by("-received_at", "-id")
    by_id = ComplaintPaginator(qs, 5, searching=True)
    with CaptureQueriesContext(connection) as ctx:
        pages_by_id = [[c.pk for c in by_id.page(n)] for n in (1, 2, 3)]
    assert by_id.ids is not None and by_id.count == 12
    ordered = [c.pk for c in qs]
    assert pages_by_id == [ordered[0:5], ordered[5:10], ordered[10:12]]
    reads = [q["sql"] for q in ctx.captured_queries if '"complaints_complaint"."subject"' in q["sql"]]
    assert len(reads) == 3 and all("LIMIT" not in sql and "OFFSET" not in sql for sql in reads)


def test_a_search_count_is_capped_at_its_own_cap_in_one_query(client, agent):
    office = agent.office
    for _ in range(6):
        complaint_in(office, subject="电梯故障困人")
    client.force_login(agent)
    paginator = ComplaintPaginator(Complaint.objects.filter(selectors.text_search_q("电梯故障")), 25, searching=True)
    paginator.cap = 4
    with CaptureQueriesContext(connection) as ctx:
        assert paginator.count == 4
    assert paginator.capped
    counting = [q["sql"] for q in ctx.captured_queries if "complaints_complaint" in q["sql"]]
    assert len(counting) == 1  # the ids up to the cap: no second COUNT
    with CaptureQueriesContext(connection) as ctx:
        page = [c.pk for c in paginator.page(1)]
    assert page == paginator.ids and len(page) == 4  # the first matches up to the cap, by id
    assert len(ctx.captured_queries) == 1 and "LIKE" not in ctx.captured_queries[0]["sql"]  # no second walk


def test_list_pages_stay_within_eight_queries(client, agent):
    """Issue 17's budget for every list and search: session, user with office, permissions,
    the bell's unread count, the department choices, the count and the page."""
    office = agent.office
    for i in range(30):
        complaint_in(office, subject=f"厨房漏水 {i}", assignee=agent if i % 2 else None)
    client.force_login(agent)
    for params in ({}, {"status": "received"}, {"mine": "on"}, {"overdue": "on"}, {"q": "漏水"}, {"q": "13800000004"}):
        count, _ = queries_of(client, LIST_URL, params)
        assert count <= 8, params


def test_list_query_count_does_not_grow_with_matches(client, agent):
    office = agent.office
    client.force_login(agent)
    complaint_in(office, subject="厨房漏水")
    one, _ = queries_of(client, LIST_URL, {"q": "漏水"})
    for _ in range(40):
        complaint_in(office, subject="卫生间漏水")
    forty, response = queries_of(client, LIST_URL, {"q": "漏水"})
    assert len(listed(response)) == 25
    assert forty == one


def test_api_search_pages_by_id_and_caps_the_same_way(client, agent):
    office = agent.office
    mine = [complaint_in(office, subject=f"阳台漏水 {i}") for i in range(3)]
    complaint_in(office, subject="楼道灯坏了")
    client.force_login(agent)
    body = client.get(API_URL, {"search": "漏水"}).json()
    assert sorted(row["id"] for row in body["results"]) == sorted(c.pk for c in mine)
    assert body["count"] == 3


def test_a_common_two_character_word_finds_the_same_complaints_with_the_likes(client, agent, monkeypatch):
    """PostgreSQL's statistics call 漏水 common: the LIKEs find it (walking the newest first),
    the same complaints as through the bigram index."""
    office = agent.office
    expected = sorted(
        c.pk
        for c in (
            complaint_in(office, subject="厨房天花板漏水"),
            complaint_in(office, subject="门", description="墙角一直漏水。"),
        )
    )
    complaint_in(office, subject="电梯故障")
    client.force_login(agent)
    through_index = sorted(listed(client.get(LIST_URL, {"q": "漏水"})))
    monkeypatch.setattr(selectors, "common_bigrams", lambda: frozenset({"漏水"}))
    assert sorted(listed(client.get(LIST_URL, {"q": "漏水"}))) == through_index == expected


@pytest.mark.parametrize(
    ("text", "caseless"),
    [("漏水", True), ("3 号楼", True), ("13800000004", True), ("WiFi", False), ("电梯a", False), ("ß", False)],
)
def test_only_a_text_without_cased_letters_is_caseless(text, caseless):
    assert selectors._caseless(text) is caseless


def test_a_common_word_without_cased_letters_is_matched_without_upper_casing_the_columns(client, agent, monkeypatch):
    """Walking the newest complaints, a Chinese word is compared with the columns as stored
    (no UPPER() per row), a Latin one case-insensitively; both find it in every column."""
    office = agent.office
    chinese = sorted(
        complaint_in(office, **{column: "三楼走廊漏水"}).pk
        for column in ("subject", "description", "complainant_name", "incident_place")
    )
    latin = sorted(
        complaint_in(office, **{column: "wifi 断线"}).pk for column in ("subject", "description", "incident_place")
    )
    complaint_in(office, subject="电梯故障")
    monkeypatch.setattr(selectors, "common_bigrams", lambda: frozenset({"漏水", "WI", "IF", "FI"}))
    client.force_login(agent)
    with CaptureQueriesContext(connection) as ctx:
        assert sorted(listed(client.get(LIST_URL, {"q": "漏水"}))) == chinese
    walk = next(q["sql"] for q in ctx.captured_queries if "LIKE" in q["sql"] and "complaints_complaint" in q["sql"])
    assert "UPPER" not in walk
    with CaptureQueriesContext(connection) as ctx:
        assert sorted(listed(client.get(LIST_URL, {"q": "WiFi"}))) == latin
    walk = next(q["sql"] for q in ctx.captured_queries if "LIKE" in q["sql"] and "complaints_complaint" in q["sql"])
    assert "UPPER" in walk


def test_the_html_list_counts_up_to_its_own_cap_and_the_api_further(client, agent, monkeypatch):
    """The page says "more than …" past ComplaintPaginator.list_cap (1,000), whatever the
    filter; the API counts up to CappedPaginator.cap."""
    monkeypatch.setattr(ComplaintPaginator, "list_cap", 3)
    office = agent.office
    for _ in range(5):
        complaint_in(office)
    client.force_login(agent)
    for params in ({}, {"open_only": "on"}):
        response = client.get(LIST_URL, params)
        paginator = response.context["page"].paginator
        assert (paginator.count, paginator.capped) == (3, True), params
        assert "More than 3 complaints" in response.content.decode()
    assert client.get(API_URL).json()["count"] == 5
