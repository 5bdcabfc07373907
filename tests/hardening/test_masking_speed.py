"""Issue 16: masking and the training library run in linear time. A 100,000-character text
masks in well under 50 ms, whatever it is made of (the old e-mail pattern re-scanned a run
of letters from every position: 16 s for a 40k description), and the list and the search
stay fast on long texts (rows stored before the length limits, written past the forms)."""

import random
import time

import pytest
from django.urls import reverse
from django.utils import timezone

from complaints.choices import CloseReason, Status
from complaints.models import Complaint
from complaints.training import Masker
from helpdesk.bounds import TEXT_MAX
from tests.factories import ComplaintFactory, CustomerFactory

N = 100_000
_rng = random.Random(16)
TEXTS = {
    "letters": "a" * N,
    "digits": "1" * N,
    "spaces": " " * N,
    "at-signs": "a@" * (N // 2),
    "dotted": "a." * (N // 2),
    "long domain": "x@" + "b" * (N - 2),
    "spaced digits": "1 " * (N // 2),
    "plus-eighty-six": "+86 " * (N // 4),
    "Latin name runs": "Huang" * (N // 5),
    "random": "".join(_rng.choice("ab1 .@-+黄") for _ in range(N)),
    "prose": "The owner Huang Wei (13912345678, huang.wei@example.com) says the lift in 3号楼 is broken. " * N,
}


def _masker() -> Masker:
    return Masker(
        names=["Eastern Dyeworks"],
        person_names=["Mr Huang Wei", "黄先生", "Li Na"],
        phones=["13912345678", "021-62345678", "+86 139 0000 0011"],
        emails=["huang.wei@example.com"],
        other_ids=["123456789", "wxid_abcdef"],
    )


def _best_of(n, function, *args) -> float:
    best = float("inf")
    for _ in range(n):
        start = time.perf_counter()
        function(*args)
        best = min(best, time.perf_counter() - start)
    return best


@pytest.mark.parametrize("kind", list(TEXTS))
def test_masking_100k_characters_takes_under_50_ms(kind):
    masker, text = _masker(), TEXTS[kind][:N]
    assert len(text) == N
    # best of 3: the test machine is shared, the bound is about the algorithm
    assert _best_of(3, masker.text, text) < 0.050, kind


def test_masking_still_masks_what_it_did():
    masked = _masker().text(
        "Call 139 1234 5678 or +86 139-1234-5678, mail huang.wei@example.com or x@y.cn; "
        "Huang said 黄先生 and Li Na agree; other mobile 13800138000; QQ 123456789."
    )
    assert masked == (
        "Call 139******78 or 139******78, mail h***@example.com or x***@y.cn; "
        "H**** said 黄** and L**** agree; other mobile 138******00; QQ 1***."
    )


@pytest.mark.django_db
def test_training_list_and_search_stay_fast_on_long_texts(client, agent):
    customer = CustomerFactory(name="Eastern Dyeworks", contact_person="Mr Huang Wei")
    closed = timezone.now()
    cases = [
        ComplaintFactory(
            office=agent.office,
            received_by=agent,
            customer=customer,
            complainant_name="Mr Huang Wei",
            contact_email="huang.wei@example.com",
            status=Status.CLOSED,
            close_reason=CloseReason.CALLBACK_SATISFIED,
            closed_at=closed,
            is_training_case=True,
            training_marked_at=closed,
        )
        for _ in range(10)
    ]
    # rows longer than today's limit, as stored before it (the forms and the API refuse them now)
    long_text = ("aaaa" * 25 + " 13912345678 huang.wei@example.com needle ") * (N // 140)
    Complaint.objects.filter(pk__in=[c.pk for c in cases]).update(
        description=long_text, training_lesson=long_text, subject="Lift broken"
    )
    assert len(long_text) > 20 * TEXT_MAX
    client.force_login(agent)
    url = reverse("complaints:training_list")
    start = time.perf_counter()
    listed = client.get(url)
    found = client.get(url, {"q": "needle"})
    elapsed = time.perf_counter() - start
    assert listed.status_code == found.status_code == 200
    assert len(found.context["cases"]) == 10
    assert "13912345678" not in listed.content.decode()
    assert elapsed < 5, elapsed  # was minutes (75 s for one 100k lesson in the list)
