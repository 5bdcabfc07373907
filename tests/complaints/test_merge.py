"""Merging duplicates (issue 14): a supervisor closes a duplicate complaint (the same complainant,
the same matter) into another one. Both timelines show the link, the duplicate's deadlines stop
counting (it leaves every queue and sweep), the reports count the pair once, and an un-merge is
another event, never silent.

The rule through the model methods (`Complaint.merge_into`, `Complaint.unmerge`), what people see
through HTTP (the complaint pages in both languages, the API). The action matrices of
tests/complaints/test_lifecycle.py and tests/api/test_complaint_actions.py cover `merge` and
`unmerge` from every status and for every role; the race of two supervisors is in
tests/complaints/test_row_lock.py.
"""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from complaints import selectors, sweeps
from complaints.choices import Channel, CloseReason, EscalationCause, EventKind, Status
from complaints.daily_log import daily_log_for
from complaints.exceptions import InvalidTransition
from complaints.models import Complaint, ComplaintEvent
from complaints.reports.figures import monthly_figures
from complaints.training import training_cases
from helpdesk.dates import local_today
from tests.complaint_paths import complaint_in, row
from tests.factories import ComplaintFactory, UserFactory

pytestmark = pytest.mark.django_db

S = Status
T0 = timezone.now().replace(microsecond=0) - timedelta(days=30)
NOTE = "The same burst pipe in flat 302, phoned in twice."


# ------------------------------------------------------------------ helpers
def events(complaint) -> list[ComplaintEvent]:
    return list(ComplaintEvent.objects.filter(complaint=complaint).order_by("id"))


def last_event(complaint) -> ComplaintEvent:
    return ComplaintEvent.objects.filter(complaint=complaint).latest("id")


def detail_url(complaint_or_pk) -> str:
    return reverse("complaints:detail", args=[getattr(complaint_or_pk, "pk", complaint_or_pk)])


def action_url(complaint, name: str) -> str:
    return reverse("complaints:action", args=[complaint.pk, name])


def api_action_url(complaint, name: str) -> str:
    return f"/api/v1/complaints/{complaint.pk}/actions/{name}/"


def api(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def received(office, *, at=T0, **kwargs) -> Complaint:
    """A complaint received at `at` (stored as the sweeps' tests build them)."""
    kwargs.setdefault("reply_due_at", at + timedelta(hours=24))
    kwargs.setdefault("progress_due_at", at + timedelta(hours=24))
    return ComplaintFactory(office=office, received_by__office=office, received_at=at, **kwargs)


@pytest.fixture
def pair(agent):
    """A duplicate (in progress, replied to) and the complaint it duplicates (received)."""
    original = complaint_in(S.RECEIVED, agent, subject="Burst pipe in flat 302")
    duplicate = complaint_in(S.IN_PROGRESS, agent, subject="Water pouring from the ceiling, flat 302")
    return duplicate, original


# ------------------------------------------------------------------ merging
def test_merge_closes_the_duplicate_and_writes_an_event_on_both(pair, agent, supervisor):
    # given a duplicate with a history of its own
    duplicate, original = pair
    duplicate_history, original_history = events(duplicate), events(original)
    original_before = row(original)

    # when the supervisor merges it
    duplicate.merge_into(supervisor, target=original, note=NOTE)

    # then the duplicate is closed as merged into the original (the object in hand as well)
    stored = Complaint.objects.get(pk=duplicate.pk)
    assert (stored.status, stored.close_reason, stored.merged_into_id) == (S.CLOSED, CloseReason.MERGED, original.pk)
    assert stored.closed_at is not None
    assert (duplicate.status, duplicate.merged_into_id) == (S.CLOSED, original.pk)
    # its events stay where they are, and one more tells who merged it into what
    [merged] = events(duplicate)[len(duplicate_history) :]
    assert events(duplicate)[: len(duplicate_history)] == duplicate_history
    assert (merged.kind, merged.actor, merged.from_status, merged.to_status) == (
        EventKind.MERGED,
        supervisor,
        S.IN_PROGRESS,
        S.CLOSED,
    )
    assert (merged.note, merged.data) == (NOTE, {"merged_into": original.pk})
    assert merged.created_at == stored.closed_at
    # the original is unchanged but for one event naming the duplicate, at the same moment
    assert row(original) == original_before
    [merged_in] = events(original)[len(original_history) :]
    assert (merged_in.kind, merged_in.actor, merged_in.from_status, merged_in.to_status) == (
        EventKind.DUPLICATE_MERGED_IN,
        supervisor,
        S.RECEIVED,
        S.RECEIVED,
    )
    assert (merged_in.note, merged_in.data, merged_in.created_at) == (
        NOTE,
        {"duplicate": duplicate.pk},
        merged.created_at,
    )
    assert selectors.merged_duplicates(original) == [stored]


@pytest.mark.parametrize("status", [S.SOLUTION_PROPOSED, S.HANDLING, S.RESOLVED, S.CALLBACK_DECLINED])
def test_a_duplicate_is_merged_from_any_open_status(agent, supervisor, status):
    duplicate, original = complaint_in(status, agent), complaint_in(S.HANDLING, agent)

    duplicate.merge_into(supervisor, target=original, note=NOTE)

    assert last_event(duplicate).from_status == status
    assert Complaint.objects.get(pk=duplicate.pk).close_reason == CloseReason.MERGED
    assert last_event(original).kind == EventKind.DUPLICATE_MERGED_IN


def test_a_merge_needs_a_note_and_a_target(pair, supervisor):
    duplicate, original = pair
    before = row(duplicate)
    with pytest.raises(ValidationError) as no_note:
        duplicate.merge_into(supervisor, target=original, note="  ")
    with pytest.raises(ValidationError) as no_target:
        duplicate.merge_into(supervisor, target=None, note=NOTE)
    assert list(no_note.value.message_dict) == ["note"]
    assert list(no_target.value.message_dict) == ["target"]
    assert row(duplicate) == before


def _refused(duplicate, target, actor) -> ValidationError:
    """Try the merge; return the error, having checked that nothing was changed or written."""
    rows, logs = (row(duplicate), row(target)), (events(duplicate), events(target))
    with pytest.raises(ValidationError) as exc:
        duplicate.merge_into(actor, target=target, note=NOTE)
    assert (row(duplicate), row(target)) == rows
    assert (events(duplicate), events(target)) == logs
    [error] = exc.value.error_dict["target"]
    return error


def test_a_complaint_cannot_be_merged_into_itself(pair, supervisor):
    duplicate, _original = pair
    assert _refused(duplicate, duplicate, supervisor).code == "merge_into_itself"


def test_a_complaint_cannot_be_merged_into_a_closed_one(agent, supervisor):
    duplicate, closed = complaint_in(S.RECEIVED, agent), complaint_in(S.CLOSED, agent)
    error = _refused(duplicate, closed, supervisor)
    assert error.code == "merge_target_closed"
    assert closed.reference in error.messages[0]


def test_a_complaint_cannot_be_merged_into_a_merged_one(agent, supervisor):
    first, second, original = (complaint_in(S.RECEIVED, agent) for _ in range(3))
    second.merge_into(supervisor, target=original, note=NOTE)

    error = _refused(first, second, supervisor)

    assert error.code == "merge_target_merged"
    assert original.reference in error.messages[0]  # it tells where to merge instead


def test_merging_back_into_ones_own_duplicate_would_be_a_circle(pair, supervisor):
    duplicate, original = pair
    duplicate.merge_into(supervisor, target=original, note=NOTE)

    assert _refused(original, duplicate, supervisor).code == "merge_cycle"


def test_a_supervisor_cannot_merge_into_another_offices_complaint(agent, supervisor, other_office):
    duplicate = complaint_in(S.RECEIVED, agent)
    elsewhere = complaint_in(S.RECEIVED, UserFactory(role="agent", office=other_office))
    assert _refused(duplicate, elsewhere, supervisor).code == "merge_target_other_office"


def test_a_manager_may_merge_across_offices(agent, manager, other_office):
    duplicate = complaint_in(S.RECEIVED, agent)
    elsewhere = complaint_in(S.RECEIVED, UserFactory(role="agent", office=other_office))

    duplicate.merge_into(manager, target=elsewhere, note=NOTE)

    assert Complaint.objects.get(pk=duplicate.pk).merged_into_id == elsewhere.pk


def test_a_closed_complaint_is_no_duplicate_to_merge(agent, supervisor):
    closed, original = complaint_in(S.CLOSED, agent), complaint_in(S.RECEIVED, agent)
    before, logged = row(closed), (events(closed), events(original))
    with pytest.raises(InvalidTransition):
        closed.merge_into(supervisor, target=original, note=NOTE)
    assert row(closed) == before and (events(closed), events(original)) == logged


# ----------------------------------------------------------------- un-merging
def test_unmerge_is_an_event_on_both_and_restores_the_duplicate(pair, supervisor, manager):
    # given a merged duplicate whose progress report was flagged before the merge
    duplicate, original = pair
    Complaint.objects.filter(pk=duplicate.pk).update(progress_flagged_at=T0)
    reply_due = duplicate.reply_due_at
    duplicate.merge_into(supervisor, target=original, note=NOTE)
    history = events(duplicate)

    # when the merge is undone
    start = timezone.now()
    duplicate.unmerge(manager, note="A different flat: not a duplicate.")

    # then it is back in progress, the merge and the close cleared, the progress clock restarted
    stored = Complaint.objects.get(pk=duplicate.pk)
    assert (stored.status, stored.close_reason, stored.closed_at, stored.merged_into_id) == (
        S.IN_PROGRESS,
        "",
        None,
        None,
    )
    assert stored.progress_flagged_at is None
    assert stored.progress_due_at >= start + timedelta(hours=24)
    assert stored.reply_due_at == reply_due  # the agreed reply time stays (R-C5)
    # and both timelines say so: nothing was undone silently, nothing was erased
    [unmerged] = events(duplicate)[len(history) :]
    assert events(duplicate)[: len(history)] == history
    assert (unmerged.kind, unmerged.actor, unmerged.from_status, unmerged.to_status) == (
        EventKind.UNMERGED,
        manager,
        S.CLOSED,
        S.IN_PROGRESS,
    )
    assert unmerged.data == {"merged_into": original.pk}
    on_original = last_event(original)
    assert (on_original.kind, on_original.data, on_original.actor) == (
        EventKind.UNMERGED,
        {"duplicate": duplicate.pk},
        manager,
    )
    assert [e.kind for e in events(original)].count(EventKind.DUPLICATE_MERGED_IN) == 1
    assert selectors.merged_duplicates(original) == []
    # it can be merged again later (another event again)
    duplicate.merge_into(supervisor, target=original, note=NOTE)
    assert [e.kind for e in events(duplicate)][-3:] == [EventKind.MERGED, EventKind.UNMERGED, EventKind.MERGED]


def test_an_unmerged_duplicate_past_its_reply_time_is_overdue_once(office, supervisor):
    # given an unanswered duplicate merged before its reply time passed, un-merged after it
    duplicate, original = received(office), received(office, at=T0 - timedelta(hours=1))
    duplicate.merge_into(supervisor, target=original, note=NOTE)
    assert sweeps.enforce_reply_deadlines()["processed"] == 1  # the original only: the duplicate is closed
    duplicate.unmerge(supervisor, note="Not the same matter.")

    # then R-T1 treats it as any late complaint: overdue and moved up, exactly once
    assert sweeps.enforce_reply_deadlines()["marked_overdue"] == 1
    assert sweeps.enforce_reply_deadlines()["processed"] == 0
    stored = Complaint.objects.get(pk=duplicate.pk)
    assert stored.reply_overdue_at is not None and stored.escalation_level == 1


def test_a_stale_copy_cannot_unmerge_twice(pair, supervisor):
    duplicate, original = pair
    duplicate.merge_into(supervisor, target=original, note=NOTE)
    stale = Complaint.objects.get(pk=duplicate.pk)
    duplicate.unmerge(supervisor, note="Not the same matter.")

    with pytest.raises(InvalidTransition):
        stale.unmerge(supervisor, note="Not the same matter.")

    assert [e.kind for e in events(original)].count(EventKind.UNMERGED) == 1


# ------------------------------------------------------------ queues and sweeps
def test_the_merged_complaint_leaves_the_reply_deadline_sweep(office, supervisor):
    # R-T1: both unanswered past their reply time; only the one not merged is escalated
    duplicate, control = received(office), received(office)
    duplicate.merge_into(supervisor, target=received(office, at=timezone.now()), note=NOTE)

    counts = sweeps.enforce_reply_deadlines(now=duplicate.reply_due_at + timedelta(minutes=1))

    assert counts["marked_overdue"] == 1
    assert Complaint.objects.get(pk=control.pk).escalation_level == 1
    stored = Complaint.objects.get(pk=duplicate.pk)
    assert (stored.reply_overdue_at, stored.escalation_level) == (None, 0)
    assert not stored.events.filter(kind=EventKind.REPLY_OVERDUE).exists()
    assert not stored.is_overdue() and not Complaint.objects.overdue().filter(pk=duplicate.pk).exists()


def test_the_merged_complaint_leaves_the_progress_report_sweep(office, supervisor):
    # R-T2
    duplicate, control = (
        received(office, status=S.IN_PROGRESS, first_replied_at=T0 + timedelta(hours=1)) for _ in range(2)
    )
    duplicate.merge_into(supervisor, target=control, note=NOTE)

    counts = sweeps.flag_missing_progress_reports(now=duplicate.progress_due_at + timedelta(minutes=1))

    assert counts["flagged"] == 1
    assert Complaint.objects.get(pk=control.pk).progress_flagged_at is not None
    assert Complaint.objects.get(pk=duplicate.pk).progress_flagged_at is None


def test_the_merged_complaint_leaves_the_completion_date_sweep(office, supervisor):
    # R-T3
    promised = T0 + timedelta(days=2)
    duplicate, control = (
        received(office, status=S.HANDLING, first_replied_at=T0, committed_completion_at=promised) for _ in range(2)
    )
    duplicate.merge_into(supervisor, target=control, note=NOTE)

    counts = sweeps.flag_missed_completion_dates(now=promised + timedelta(minutes=1))

    assert counts["flagged"] == 1
    assert Complaint.objects.get(pk=control.pk).completion_overdue_at is not None
    assert Complaint.objects.get(pk=duplicate.pk).completion_overdue_at is None


def declined(office, *, at=T0, **kwargs) -> Complaint:
    return received(
        office,
        at=at,
        status=S.CALLBACK_DECLINED,
        first_replied_at=at + timedelta(hours=1),
        resolved_at=at + timedelta(hours=5),
        callback_declined_at=at + timedelta(hours=6),
        auto_close_due_at=at + timedelta(hours=6, days=7),
        **kwargs,
    )


def test_the_merged_complaint_leaves_the_auto_close_sweep(office, supervisor):
    # R-T4: closed as merged, it is not auto-closed (its close reason stays `merged`)
    duplicate, control = declined(office, contact_phone="13900000001"), declined(office, contact_phone="13900000002")
    duplicate.merge_into(supervisor, target=received(office, at=timezone.now()), note=NOTE)

    counts = sweeps.auto_close_after_declined_callback(now=duplicate.auto_close_due_at)

    assert (counts["closed"], counts["linked_to_newer"]) == (1, 0)
    assert Complaint.objects.get(pk=control.pk).close_reason == CloseReason.AUTO_CLOSED
    stored = Complaint.objects.get(pk=duplicate.pk)
    assert (stored.close_reason, stored.merged_into_id is not None) == (CloseReason.MERGED, True)
    assert not stored.events.filter(kind=EventKind.AUTO_CLOSED).exists()


def _newer_of(complaint) -> int | None:
    return Complaint.objects.annotate(newer_id=sweeps.newer_complaint_subquery()).get(pk=complaint.pk).newer_id


@pytest.mark.parametrize("into", ["an earlier complaint", "the complaint waiting to close"])
def test_a_merged_duplicate_is_no_newer_complaint_for_the_auto_close(office, supervisor, into):
    # given a declined call-back and, after it, a newer complaint from the same complainant …
    phone = "13900000003"
    old = declined(office, contact_phone=phone)
    newer = received(office, at=old.resolved_at + timedelta(days=2), contact_phone=phone)
    assert _newer_of(old) == newer.pk  # … which, as such, would hold the auto-close (R-T4)
    earlier = received(office, at=old.received_at - timedelta(days=3), contact_phone=phone)

    # when the newer one turns out to be a duplicate and is merged
    newer.merge_into(supervisor, target=earlier if into == "an earlier complaint" else old, note=NOTE)

    # then it counts as the complaint it was merged into, received before: the old one closes
    assert _newer_of(old) is None
    counts = sweeps.auto_close_after_declined_callback(now=old.auto_close_due_at)
    assert (counts["closed"], counts["linked_to_newer"]) == (1, 0)
    assert Complaint.objects.get(pk=old.pk).close_reason == CloseReason.AUTO_CLOSED


def test_the_merged_complaint_leaves_the_call_back_queue(client, agent, supervisor):
    duplicate, original = complaint_in(S.RESOLVED, agent), complaint_in(S.RESOLVED, agent)
    assert {c.pk for c in selectors.callbacks_due(agent)} == {duplicate.pk, original.pk}

    duplicate.merge_into(supervisor, target=original, note=NOTE)

    assert [c.pk for c in selectors.callbacks_due(agent)] == [original.pk]
    assert [c.pk for c in selectors.callbacks_due(supervisor, whole_office=True)] == [original.pk]
    client.force_login(agent)
    page = client.get(reverse("complaints:callbacks"))
    assert [c.pk for c in page.context["page"].object_list] == [original.pk]


def test_the_merged_complaint_leaves_the_open_list_and_the_unclaimed_queue(client, agent, supervisor):
    duplicate, original = complaint_in(S.RECEIVED, agent), complaint_in(S.RECEIVED, agent)
    Complaint.objects.filter(pk__in=[duplicate.pk, original.pk]).update(
        channel=Channel.ONLINE, received_by=None, assignee=None
    )
    client.force_login(supervisor)

    def listed(query: str) -> set[int]:
        return {c.pk for c in client.get(f"{reverse('complaints:list')}?{query}").context["page"].object_list}

    assert listed("open_only=on") == listed("unclaimed=on") == {duplicate.pk, original.pk}

    Complaint.objects.get(pk=duplicate.pk).merge_into(supervisor, target=original, note=NOTE)

    assert listed("open_only=on") == listed("unclaimed=on") == {original.pk}
    assert duplicate.pk in listed("")  # still found in the whole list, closed
    unclaimed = api(supervisor).get("/api/v1/complaints/?unclaimed=true").json()["results"]
    assert [c["id"] for c in unclaimed] == [original.pk]


def test_the_merged_complaint_is_no_training_case(pair, supervisor):
    duplicate, original = pair
    duplicate.merge_into(supervisor, target=original, note=NOTE)
    # (marking is refused: tests/complaints/test_lifecycle.py; the library holds it too)
    Complaint.objects.filter(pk=duplicate.pk).update(is_training_case=True, training_marked_at=timezone.now())
    assert duplicate.pk not in {c.pk for c in training_cases()}


# -------------------------------------------------------------------- reports
def test_the_monthly_summary_counts_the_pair_once(agent, supervisor):
    # given three complaints this month, one moved up and then merged into another as a duplicate
    first, duplicate, third = (complaint_in(S.RECEIVED, agent) for _ in range(3))
    duplicate.move_up(actor=agent, cause=EscalationCause.EMOTIONAL)
    duplicate.merge_into(supervisor, target=first, note=NOTE)

    # when the month's summary is made
    f = monthly_figures(month=local_today(), now=timezone.now() + timedelta(seconds=1))

    # then the pair counts once: two complaints received, none closed, the merge on a line of its own
    current = f["current"]
    assert (current["received"], current["closed"], current["still_open"]) == (2, 0, 2)
    assert current["duplicates_merged"] == 1
    assert {row["key"]: row["current"] for row in f["headline"]}["duplicates_merged"] == 1
    # and the duplicate's events count nowhere: its escalation is not one of the month's
    assert (current["escalations"], current["escalated_complaints"]) == (0, 0)
    assert [c["id"] for c in f["complaints"]] == [first.pk, third.pk]
    assert f["by_office"]["total"]["received"] == 2
    assert sum(a["received"] for a in f["agents"]) == 2
    assert f["by_category_channel"]["total"] == 2
    assert f["trend"][-1]["received"] == 2

    # an un-merge restores it as a complaint of its own
    duplicate.unmerge(supervisor, note="Not the same matter.")
    again = monthly_figures(month=local_today(), now=timezone.now() + timedelta(seconds=1))["current"]
    assert (again["received"], again["duplicates_merged"], again["escalations"]) == (3, 0, 1)


def test_the_summary_page_shows_the_merged_duplicates(client, agent, supervisor, manager):
    first, duplicate = complaint_in(S.RECEIVED, agent), complaint_in(S.RECEIVED, agent)
    duplicate.merge_into(supervisor, target=first, note=NOTE)
    client.force_login(manager)

    response = client.get(reverse("reports:monthly"), {"month": f"{local_today():%Y-%m}"})

    assert response.status_code == 200
    rows = {str(r[0]["value"]): r[1]["value"] for r in response.context["tables"]["headline"]["rows"]}
    assert rows["Complaints received"] == 1
    assert rows["Duplicates merged into another complaint (not counted above)"] == 1


def test_the_daily_log_counts_the_pair_once(agent, supervisor):
    first, duplicate = complaint_in(S.IN_PROGRESS, agent), complaint_in(S.IN_PROGRESS, agent)
    duplicate.move_up(actor=agent, cause=EscalationCause.EMOTIONAL)
    duplicate.merge_into(supervisor, target=first, note=NOTE)

    sections = {s.key: s for s in daily_log_for(supervisor, local_today())}

    assert [c.pk for c in sections["received"].rows] == [first.pk]
    assert [c.pk for c in sections["replied"].rows] == [first.pk]
    assert sections["escalated"].total == 0
    assert sections["closed"].total == 0  # the merge is no closure of a complaint


# ------------------------------------------------------------------ the pages
def head_of(page: str) -> str:
    return page.split('<div class="pagehead">')[1].split("</div>\n</div>")[0]


def form_errors(page, action: str) -> dict:
    return next(form for act, form in page.context["action_forms"] if act.name == action).errors


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_both_timelines_link_to_each_other(client, pair, supervisor, language):
    duplicate, original = pair
    duplicate.merge_into(supervisor, target=original, note=NOTE)
    client.force_login(supervisor)

    duplicate_page = client.get(detail_url(duplicate), HTTP_ACCEPT_LANGUAGE=language).content.decode()
    original_page = client.get(detail_url(original), HTTP_ACCEPT_LANGUAGE=language).content.decode()

    assert f'lang="{language}"' in duplicate_page and f'lang="{language}"' in original_page
    # the duplicate: "Merged into #N" in its head, and its `merged` event links to the original
    head = head_of(duplicate_page)
    assert f'class="tag warn merged-into" href="{detail_url(original)}"' in head and f"#{original.pk}" in head
    timeline = duplicate_page.split('<ol class="timeline">')[1].split("</ol>")[0]
    merged = timeline.split('class="event event-merged"')[1].split("</li>")[0]
    assert f'<a class="merge-link" href="{detail_url(original)}">#{original.pk}</a>' in merged
    assert NOTE in merged
    # the original: its `duplicate_merged_in` event links to the duplicate, and the list of
    # duplicates merged into it names it
    timeline = original_page.split('<ol class="timeline">')[1].split("</ol>")[0]
    merged_in = timeline.split('class="event event-duplicate_merged_in"')[1].split("</li>")[0]
    assert f'<a class="merge-link" href="{detail_url(duplicate)}">#{duplicate.pk}</a>' in merged_in
    listed = original_page.split('id="duplicates"')[1].split("</section>")[0]
    assert f'<a href="{detail_url(duplicate)}">#{duplicate.pk}</a>' in listed and duplicate.subject in listed


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_both_timelines_show_the_unmerge(client, pair, supervisor, language):
    duplicate, original = pair
    duplicate.merge_into(supervisor, target=original, note=NOTE)
    duplicate.unmerge(supervisor, note="A different flat.")
    client.force_login(supervisor)

    duplicate_page = client.get(detail_url(duplicate), HTTP_ACCEPT_LANGUAGE=language).content.decode()
    original_page = client.get(detail_url(original), HTTP_ACCEPT_LANGUAGE=language).content.decode()

    unmerged = duplicate_page.split('class="event event-unmerged"')[1].split("</li>")[0]
    assert f'href="{detail_url(original)}">#{original.pk}</a>' in unmerged and "A different flat." in unmerged
    unmerged = original_page.split('class="event event-unmerged"')[1].split("</li>")[0]
    assert f'href="{detail_url(duplicate)}">#{duplicate.pk}</a>' in unmerged
    assert 'id="duplicates"' not in original_page  # no longer a duplicate of it
    assert "merged-into" not in head_of(duplicate_page)


def _offered(client, complaint) -> set[str]:
    return {a.name for a, _form in client.get(detail_url(complaint)).context["action_forms"]}


def test_the_page_offers_unmerge_only_on_a_merged_complaint(client, pair, agent, supervisor):
    duplicate, original = pair
    handled = complaint_in(S.CLOSED, agent)
    client.force_login(supervisor)
    assert "merge" in _offered(client, duplicate) and "unmerge" not in _offered(client, duplicate)

    duplicate.merge_into(supervisor, target=original, note=NOTE)

    assert _offered(client, duplicate) == {"add_note", "unmerge"}  # not "mark as training case"
    assert "unmerge" not in _offered(client, original) and "merge" in _offered(client, original)
    assert _offered(client, handled) == {"add_note", "mark_training_case"}
    client.force_login(agent)  # an agent may not merge
    assert not {"merge", "unmerge"} & (_offered(client, original) | _offered(client, duplicate))
    api_actions = api(supervisor).get(f"/api/v1/complaints/{duplicate.pk}/").json()["available_actions"]
    assert api_actions == ["add-note", "unmerge"]


def test_merge_and_unmerge_through_the_page(client, pair, supervisor):
    duplicate, original = pair
    client.force_login(supervisor)

    merged = client.post(action_url(duplicate, "merge"), {"merge-target": f"#{original.pk}", "merge-note": NOTE})
    assert merged.status_code == 302
    assert Complaint.objects.get(pk=duplicate.pk).merged_into_id == original.pk

    undone = client.post(action_url(duplicate, "unmerge"), {"unmerge-note": "Not the same."})
    assert undone.status_code == 302
    assert Complaint.objects.get(pk=duplicate.pk).status == S.IN_PROGRESS


def test_merge_and_unmerge_through_the_api(pair, supervisor):
    duplicate, original = pair
    client = api(supervisor)

    merged = client.post(api_action_url(duplicate, "merge"), {"target": original.pk, "note": NOTE}, format="json")
    assert merged.status_code == 200, merged.content
    assert (merged.json()["status"], merged.json()["merged_into"]) == (S.CLOSED, original.pk)
    assert merged.json()["available_actions"] == ["add-note", "unmerge"]

    undone = client.post(api_action_url(duplicate, "unmerge"), {"note": "Not the same."}, format="json")
    assert undone.status_code == 200
    assert (undone.json()["status"], undone.json()["merged_into"]) == (S.IN_PROGRESS, None)


def test_without_the_permission_a_merge_is_403_on_the_page_and_the_api(client, pair, agent, supervisor):
    duplicate, original = pair
    before, logged = row(duplicate), events(original)
    client.force_login(agent)

    page = client.post(action_url(duplicate, "merge"), {"merge-target": f"#{original.pk}", "merge-note": NOTE})
    response = api(agent).post(api_action_url(duplicate, "merge"), {"target": original.pk, "note": NOTE})

    assert (page.status_code, response.status_code) == (403, 403)
    assert response.json()["code"] == "permission_denied"
    assert row(duplicate) == before and events(original) == logged
    # the same request by a supervisor succeeds: the denial was the permission
    again = api(supervisor).post(api_action_url(duplicate, "merge"), {"target": original.pk, "note": NOTE})
    assert again.status_code == 200


def test_another_offices_duplicate_is_404_on_the_page_and_the_api(client, agent, supervisor, other_office):
    outsider = UserFactory(role="agent", office=other_office)
    theirs, original = complaint_in(S.RECEIVED, outsider), complaint_in(S.RECEIVED, outsider)
    before = row(theirs)
    client.force_login(supervisor)

    page = client.post(action_url(theirs, "merge"), {"merge-target": f"#{original.pk}", "merge-note": NOTE})
    response = api(supervisor).post(api_action_url(theirs, "merge"), {"target": original.pk, "note": NOTE})

    assert (page.status_code, response.status_code) == (404, 404)
    assert row(theirs) == before


@pytest.mark.parametrize(
    ("target", "message"),
    [
        pytest.param(lambda d, o, x: x.pk, "that you can see", id="another-office"),
        pytest.param(lambda d, o, x: d.pk, "itself", id="itself"),
        pytest.param(lambda d, o, x: "#0", "Enter a complaint number", id="no-number"),
    ],
)
def test_a_refused_target_is_a_field_error_on_the_page_and_the_api(
    client, pair, supervisor, other_office, target, message
):
    duplicate, original = pair
    elsewhere = complaint_in(S.RECEIVED, UserFactory(role="agent", office=other_office))
    value = target(duplicate, original, elsewhere)
    value = value if isinstance(value, str) else f"#{value}"
    before = row(duplicate)
    client.force_login(supervisor)

    page = client.post(action_url(duplicate, "merge"), {"merge-target": value, "merge-note": NOTE})
    response = api(supervisor).post(api_action_url(duplicate, "merge"), {"target": value, "note": NOTE})

    assert (page.status_code, response.status_code) == (400, 400)
    assert message in form_errors(page, "merge")["target"][0]
    assert message in response.json()["target"][0]
    assert row(duplicate) == before


def test_a_closed_target_is_refused_through_the_api(pair, agent, supervisor):
    duplicate, _original = pair
    closed = complaint_in(S.CLOSED, agent)
    response = api(supervisor).post(api_action_url(duplicate, "merge"), {"target": f"#{closed.pk}", "note": NOTE})
    assert response.status_code == 400
    assert "closed" in response.json()["target"][0]


def test_unmerging_a_complaint_closed_for_another_reason_is_409(client, agent, supervisor):
    handled = complaint_in(S.CLOSED, agent)  # resolved on the spot
    before = row(handled)
    client.force_login(supervisor)

    page = client.post(action_url(handled, "unmerge"), {"unmerge-note": "Reopen it."})
    response = api(supervisor).post(api_action_url(handled, "unmerge"), {"note": "Reopen it."}, format="json")

    assert (page.status_code, response.status_code) == (409, 409)
    body = response.json()
    assert (body["code"], body["action"], body["status"]) == ("invalid_transition", "unmerge", S.CLOSED)
    assert str(CloseReason.ON_THE_SPOT.label) in body["detail"]
    assert row(handled) == before


def test_the_detail_pages_query_count_does_not_grow_with_duplicates(client, agent, supervisor):
    original = complaint_in(S.RECEIVED, agent)
    first = complaint_in(S.RECEIVED, agent)
    first.merge_into(supervisor, target=original, note=NOTE)
    client.force_login(supervisor)
    client.get(detail_url(original))  # warm the caches (permissions, content types)
    with CaptureQueriesContext(connection) as one:
        assert client.get(detail_url(original)).status_code == 200
    for _ in range(4):
        complaint_in(S.RECEIVED, agent).merge_into(supervisor, target=original, note=NOTE)
    with CaptureQueriesContext(connection) as five:
        page = client.get(detail_url(original)).content.decode()
    with CaptureQueriesContext(connection) as merged:
        client.get(detail_url(first))

    assert page.split('id="duplicates"')[1].split("</section>")[0].count("<li>") == 5
    assert len(one) == len(five), [q["sql"] for q in five.captured_queries]
    # the duplicate's page (fewer action forms to fill with choices) costs no more
    assert len(merged) <= len(one)
