"""Read queries, scoped through one permission-aware selector (a complaint of another
office is a 404 everywhere)."""

from __future__ import annotations

import operator
from dataclasses import dataclass
from functools import reduce
from typing import TYPE_CHECKING, Any

from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import BooleanField, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.shortcuts import get_object_or_404

from accounts.access import sees_every_office, sees_whole_office
from helpdesk.fields import normalize_email
from helpdesk.phones import normalize_phone, phone_search_digits

from .choices import EventKind, Status
from .models import Complaint, ComplaintEvent, ComplaintQuerySet, Department

if TYPE_CHECKING:
    from .types import Visitor


# The events that hand a complaint to the person they name in `to_user` when it moves up
# (R-C8): `move_up`, a rejected solution, an unsatisfied call-back, and R-T1's move.
MOVED_UP_KINDS = (EventKind.MOVED_UP, EventKind.SOLUTION_REJECTED, EventKind.CALLBACK_RECORDED, EventKind.REPLY_OVERDUE)


def moved_up_to(user_id: int) -> QuerySet[ComplaintEvent, dict[str, Any]]:
    """The ids of the complaints moved up to `user_id` at some point (a subquery)."""
    return (
        ComplaintEvent.objects.filter(kind__in=MOVED_UP_KINDS, data__to_user=user_id).order_by().values("complaint_id")
    )


def complaints_visible_to(user: Visitor) -> ComplaintQuerySet:
    """Who sees which complaints (SPEC roles):
    - every office: managers and executives (the head office, R-C11), superusers;
    - their own office: agents, supervisors, customer information (view_office_complaints);
    - department handlers (view_complaint only): the complaints of their office their
      department (`User.department`) was asked to investigate, and — from any office — those
      of a department they head (R-C6: the responsible department head) and those assigned to
      them or moved up to them (R-C8);
    - anyone else: nothing.
    A handler's lane is one query still: each branch is an index lookup (office and department,
    assignee) or a small subquery (the departments they head; the moving-up events, found by
    kind, that name them)."""
    qs: ComplaintQuerySet = Complaint.objects.all()
    if not user.is_authenticated or not user.is_active:
        return qs.none()
    if sees_every_office(user):
        return qs
    if not user.has_perm("complaints.view_complaint"):
        return qs.none()
    if sees_whole_office(user):
        return qs.filter(office_id=user.office_id) if user.office_id is not None else qs.none()
    headed = Department.objects.filter(head_id=user.pk).order_by().values("pk")
    lane = Q(assignee_id=user.pk) | Q(department_id__in=headed) | Q(pk__in=moved_up_to(user.pk))
    if user.office_id is not None and user.department_id is not None:
        lane |= Q(office_id=user.office_id, department_id=user.department_id)
    return qs.filter(lane)


def complaint_for(user: Visitor, pk: int | str, *, for_update: bool = False) -> Complaint:
    qs = (
        complaints_visible_to(user)
        .select_related("office", "category", "department", "assignee", "received_by", "customer")
        .with_overdue()
    )
    complaint: Complaint = get_object_or_404(qs, pk=pk)
    return complaint


def timeline(complaint: Complaint) -> QuerySet[ComplaintEvent]:
    return complaint.events.select_related("actor").order_by("created_at", "id")


REFERENCE_MAX = 20  # "#" and the digits of an id, with room for spaces


def parse_reference(text: str | int | None) -> int | None:
    """A complaint's id from its number as people write it — "#123", "123", " # 123 " — or None."""
    if isinstance(text, int) and not isinstance(text, bool):
        return text if text > 0 else None
    digits = str(text or "").strip().removeprefix("#").strip()
    if not digits.isascii() or not digits.isdigit() or len(digits) > 18:
        return None
    return int(digits) or None


def complaint_by_reference(user: Visitor, text: str | int | None) -> Complaint | None:
    """The complaint numbered `text` ("#123") among those `user` may see, or None (unknown,
    malformed, or another office's: the same answer, so nothing leaks)."""
    pk = parse_reference(text)
    if pk is None:
        return None
    found: Complaint | None = complaints_visible_to(user).filter(pk=pk).first()
    return found


def merged_duplicates(complaint: Complaint) -> list[Complaint]:
    """The duplicates merged into `complaint` (issue 14), in the order they were merged: one query."""
    return list(
        Complaint.objects.filter(merged_into=complaint)
        .only("pk", "subject", "received_at", "closed_at", "merged_into")
        .order_by("closed_at", "pk")
    )


# A complaint's searched text is kept in `complaint_search` (complaints/migrations/0022): the
# four columns upper-cased and joined by this separator, with a trigram and a bigram index.
SEARCH_SEPARATOR = "\x1f"


# A bigram found in more than this share of complaints is common: its complaints are found by
# walking the newest first with the LIKEs (a page is a few hundred rows away); a rarer one
# through the bigram index. PostgreSQL's own statistics of the index tell which.
COMMON_BIGRAM_SHARE = 0.005
COMMON_BIGRAMS_CACHE = "complaints:common-search-bigrams"


def common_bigrams() -> frozenset[str]:
    """The bigrams PostgreSQL's statistics of the bigram index (ANALYZE, autovacuum) list as
    common; kept in the cache for ten minutes. Empty before the first ANALYZE: every
    two-character search then goes through the index, which is right, only slower for a
    common word."""
    found: frozenset[str] | None = cache.get(COMMON_BIGRAMS_CACHE)
    if found is None:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT e FROM pg_stats, unnest(most_common_elems::text::text[], most_common_elem_freqs) AS u(e, f) "
                "WHERE schemaname = current_schema() AND tablename = 'complaint_search_bigrams' AND f >= %s",
                [COMMON_BIGRAM_SHARE],
            )
            found = frozenset(row[0] for row in cursor.fetchall())
        cache.set(COMMON_BIGRAMS_CACHE, found, 600)
    return found


def is_bigram(text: str) -> bool:
    """A two-character search without a space (most Chinese words): pg_trgm cannot serve a
    pattern shorter than three characters; the bigram index (migration 0018) can."""
    return len(text) == 2 and len(text.upper()) == 2 and not any(c.isspace() for c in text)


def bigram_lookup(text: str, expression: str) -> RawSQL | None:
    """PostgreSQL, a two-character search (`is_bigram`): `expression` holds that bigram, as its
    GIN index of bigrams finds it. Exact, upper-cased on both sides as the LIKEs compare. None
    for other searches (trigrams serve them) and other databases."""
    if connection.vendor != "postgresql" or not is_bigram(text):
        return None
    return RawSQL(f"helpdesk_search_bigrams({expression}) @@ %s::tsquery", [_lexeme(text)], output_field=BooleanField())


def _lexeme(text: str) -> str:
    return "'" + text.upper().replace("\\", "\\\\").replace("'", "''") + "'"


def _contact_matches(text: str) -> list[tuple[str, Any]]:
    """The complaint columns a search matches besides the text, each with its value: phones
    stored normalised (helpdesk.phones: "139 1234 5678", "+86 139-1234-5678" and "１３９１２３４"
    all find "13912345678"), the number, e-mail, QQ and WeChat as stored (e-mails lower-cased)."""
    matches: list[tuple[str, Any]] = []
    number = text.lstrip("#")
    if text.startswith("#") and number.isdigit():
        return [("pk", int(number))]  # "#1222" is a complaint's number, not part of a phone
    digits = phone_search_digits(text)
    if len(digits) >= 4:
        matches.append((PHONE_CONTAINS, digits))
    if number.isdigit():
        matches.append(("pk", int(number)))
    if "@" in text:
        matches.append(("contact_email", normalize_email(text)))
    elif text.isdigit() and 5 <= len(text) <= 12:
        matches.append(("contact_qq", text))
    if " " not in text and 6 <= len(text) <= 40:
        matches.append(("contact_wechat", text))
    return matches


# A complaint's phone, as stored, is kept in complaint_search too, with a trigram index of its
# own (complaints/migrations/0027): not on the complaints, whose every change of status would
# feed it a dozen entries. The index holds the rows with a phone: the query says so.
PHONE_CONTAINS = "contact_phone__contains"
PHONE_SEARCH = "SELECT complaint_id FROM complaint_search WHERE phone <> '' AND phone LIKE %s"


def phone_contains_q(digits: str) -> Q:
    """The complaints whose stored phone contains `digits` (a search of four digits or more):
    on PostgreSQL through complaint_search's index of phones, elsewhere on the column."""
    if connection.vendor != "postgresql":
        return Q(**{PHONE_CONTAINS: digits})
    return Q(pk__in=RawSQL(PHONE_SEARCH, [_phone_pattern(digits)]))


def _phone_pattern(digits: str) -> str:
    return f"%{connection.ops.prep_for_like_query(digits)}%"


def _contact_q(lookup: str, value: Any) -> Q:
    return phone_contains_q(value) if lookup == PHONE_CONTAINS else Q(**{lookup: value})


def _caseless(text: str) -> bool:
    """Whether `text` has no letter with a case (Chinese, digits, punctuation): it is found in
    a column exactly where it is found in the column upper-cased."""
    return text.upper() == text == text.lower()


def _is_common(text: str) -> bool:
    """Whether a text may be in many complaints, so that walking the newest complaints with
    the LIKEs soon fills a page: a single character, or a text each of whose bigrams is
    common (a text is in no more complaints than its rarest bigram). A text with a rare
    bigram is found through complaint_search's indexes instead, reading only its matches."""
    upper = text.upper()
    pieces = {upper[i : i + 2] for i in range(len(upper) - 1)}
    pieces = {p for p in pieces if not any(c.isspace() for c in p)}
    return len(upper) < 2 or (bool(pieces) and pieces <= common_bigrams())


def text_search_q(text: str) -> Q:
    """The complaints a search box's text finds: in the subject, description, complainant's
    name or place (case-insensitively), their customer's name, phone, number, e-mail, QQ or
    WeChat. On PostgreSQL every branch is served by an index (issue 17)."""
    text = text.strip()
    from customers.models import Customer

    # Matching customers are looked up first (one query): their ids join the other matches.
    customer_bigram = bigram_lookup(text, '"customers_customer"."name"')
    customers = Customer.objects.filter(customer_bigram if customer_bigram is not None else Q(name__icontains=text))
    customer_ids = list(customers.values_list("pk", flat=True)[:200])
    contacts = _contact_matches(text)
    customer_match = [("customer_id__in", customer_ids)] if customer_ids else []
    if connection.vendor != "postgresql" or SEARCH_SEPARATOR in text or (not contacts and _is_common(text)):
        # other databases, or a common word: the LIKEs on the complaints themselves (on
        # PostgreSQL the list walks the newest complaints, finding a page within a few hundred).
        # A text without cased letters (Chinese, digits) is matched as it is: upper-casing a
        # column changes none of its other characters, so UPPER() of four columns per row walked
        # would only cost time (half the walk at 1M).
        lookup = "contains" if _caseless(text) else "icontains"
        q = (
            Q(**{f"subject__{lookup}": text})
            | Q(**{f"description__{lookup}": text})
            | Q(**{f"complainant_name__{lookup}": text})
            | Q(**{f"incident_place__{lookup}": text})
        )
        return reduce(operator.or_, (_contact_q(lookup, value) for lookup, value in [*contacts, *customer_match]), q)
    # PostgreSQL: the matching ids, each branch on its own index (the text and the phone on
    # complaint_search's indexes, the other contacts on the complaints' indexes), in one subquery the
    # planner joins to the list: it walks the newest complaints for many matches and reads the
    # few by id otherwise. An OR of the branches could not use the side table's index.
    if is_bigram(text):
        branches = ["SELECT complaint_id FROM complaint_search WHERE helpdesk_search_bigrams(text) @@ %s::tsquery"]
        params: list[Any] = [_lexeme(text)]
    else:
        branches = ["SELECT complaint_id FROM complaint_search WHERE text LIKE UPPER(%s)"]
        params = [f"%{connection.ops.prep_for_like_query(text)}%"]
    for lookup, value in [*contacts, *customer_match]:
        if lookup == PHONE_CONTAINS:
            branches.append(PHONE_SEARCH)
            params.append(_phone_pattern(value))
            continue
        try:
            sql, values = Complaint.objects.filter(**{lookup: value}).values("pk").order_by().query.sql_with_params()
        except EmptyResultSet:  # a number beyond any id
            continue
        branches.append(sql)
        params.extend(values)
    return Q(pk__in=RawSQL(" UNION ALL ".join(branches), params))


HISTORY_LIMIT = 20  # the complaint page lists this many of the complainant's other complaints
HISTORY_FIELDS = ("id", "received_at", "subject", "status")


@dataclass(frozen=True)
class Complainant:
    """Who complained, as the history matches them (stored values, see helpdesk.phones)."""

    customer_id: int | None = None
    phone: str = ""
    email: str = ""
    qq: str = ""
    wechat: str = ""

    @classmethod
    def of(cls, complaint: Complaint) -> Complainant:
        if complaint.is_anonymous:
            return cls()
        return cls(
            complaint.customer_id,
            complaint.contact_phone,
            complaint.contact_email,
            complaint.contact_qq,
            complaint.contact_wechat,
        )

    @classmethod
    def typed(cls, *, phone: str = "", email: str = "", qq: str = "", wechat: str = "") -> Complainant:
        """Contacts as someone types them (the intake form's repeat-complainant hint)."""
        return cls(
            None, normalize_phone(phone or ""), normalize_email(email or ""), (qq or "").strip(), (wechat or "").strip()
        )

    def q(self) -> Q | None:
        """The same customer, or the same phone, e-mail, QQ or WeChat; None if nothing to match."""
        parts = [Q(customer_id=self.customer_id)] if self.customer_id else []
        for field, value in (
            ("contact_phone", self.phone),
            ("contact_email", self.email),
            ("contact_qq", self.qq),
            ("contact_wechat", self.wechat),
        ):
            if value:
                parts.append(Q(**{field: value}))
        return reduce(operator.or_, parts) if parts else None


def complainant_history(
    user: Visitor, who: Complainant, *, exclude: int | None = None, limit: int = HISTORY_LIMIT
) -> list[Complaint]:
    """The complainant's complaints that `user` may see, newest first (one query; each
    branch of the OR is an index on (contact, received_at) or (customer, received_at)).
    Only what the lists of them show (number, date, status, subject: _history.html and the
    repeat-complainant hint) is read: the whole rows, descriptions included, took 1.9 ms of
    the complaint page at 1M."""
    q = who.q()
    if q is None:
        return []
    qs = complaints_visible_to(user).filter(q).exclude(is_anonymous=True)
    if exclude is not None:
        qs = qs.exclude(pk=exclude)
    return list(qs.only(*HISTORY_FIELDS).order_by("-received_at", "-id")[:limit])


def callbacks_due(user: Visitor, *, whole_office: bool = False) -> QuerySet[Complaint]:
    """R-C10 "call-backs due": resolved complaints waiting for their final receiver's call-back
    — the assignee, or the receiver when nobody was assigned (or, for a supervisor, everyone's
    in the office). Complaints that need no call-back are closed when handled, so never here."""
    qs = complaints_visible_to(user).filter(status=Status.RESOLVED)
    if not whole_office:
        qs = qs.filter(Q(assignee=user) | Q(assignee__isnull=True, received_by=user))
    return qs.order_by("resolved_at", "id")
