"""Issue 16: a walk over every page and API endpoint with hostile input — NUL characters,
lone surrogates, extreme dates and numbers, huge values, deeply nested JSON, wrong character
sets — that must be answered with a 4xx (and a message), never a 5xx.

The pages come from the URL resolver, the API endpoints from the router; each page is
opened as a manager and as an agent, every form on it (found in its HTML) is posted once per
field and hostile value with the other fields as the page filled them in, every GET form
(filters) and the query string are tried the same way, and every API endpoint gets hostile
query parameters and bodies built from its serializer's fields. Bounded: one value per kind
of hostility, about a minute on SQLite."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import timedelta
from html.parser import HTMLParser
from urllib.parse import quote, urlencode, urlsplit

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from rest_framework import serializers

from complaints.choices import CloseReason, Status
from complaints.models import Complaint
from followups import surveys
from followups.models import VisitPlan
from helpdesk.dates import local_today
from tests.complaint_paths import complaint_in
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

HOSTILE_TEXT = {
    "nul": "a\x00b",
    "huge": "x" * 120_000,
    "extreme date": "0001-01-01T00:00",
    "far date": "9999-12-31",
    "huge number": "9" * 30,
    "negative": "-1",
    "markup": "<script>alert(1)</script>'\"",
    "formula": '=HYPERLINK("http://x")',
}
RAW_SURROGATE = "%ED%A0%80"  # the UTF-8-like bytes of a lone surrogate (U+D800), percent-encoded
PATH_TEXT = ["\x00", "9999-99-99", "0001-01", "99999-01", RAW_SURROGATE, "x" * 300]
JSON_VALUES = {
    "nul": "a\x00b",
    "lone surrogate": "\ud800",
    "huge": "x" * 120_000,
    "naive year 1": "0001-01-01T00:00:00",
    "year 9999": "9999-12-31T23:59:59-12:00",
    "huge number": 10**30,
    "negative": -1,
    "float": 1e308,
    "list": ["\ud800"],
    "object": {"a": {"b": "\x00"}},
    "bool": True,
    "null": None,
}
SKIP_NAMES = {"logout", "login", "health", "api-not-found", "api-docs"}  # logout ends the walk's session


# ------------------------------------------------------------------------ the forms
class _Forms(HTMLParser):
    """The forms of a page: method, action and the fields with the values the page filled in."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append({"method": (a.get("method") or "get").lower(), "action": a.get("action"), "fields": {}})
            return
        if not self.forms or not a.get("name"):
            if tag == "option" and self._select and self.forms:
                fields = self.forms[-1]["fields"]
                if "selected" in a or self._select not in fields:
                    fields[self._select] = a.get("value", "")
            return
        fields, name = self.forms[-1]["fields"], a["name"]
        if tag == "input":
            kind = (a.get("type") or "text").lower()
            if kind in {"submit", "button", "reset", "image"}:
                return
            if kind in {"checkbox", "radio"}:
                if "checked" in a or name not in fields:
                    fields[name] = a.get("value", "on")
                return
            fields[name] = a.get("value", "")
        elif tag == "select":
            self._select = name
            fields.setdefault(name, "")
        elif tag == "textarea":
            self._textarea = name
            fields[name] = ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea and self.forms:
            self.forms[-1]["fields"][self._textarea] += data


def forms_of(html: str) -> list[dict]:
    parser = _Forms()
    parser.feed(html)
    return parser.forms


# ------------------------------------------------------------------- the walk state
class Walk:
    def __init__(self):
        self.clients: dict[str, Client] = {}
        self.failures: list[str] = []
        self.tried = Counter()
        self.cells = 0
        self.forms_seen: set = set()

    def send(self, who: str, method: str, url: str, what: str, *, data=None, content_type=None):
        client = self.clients[who]
        self.cells += 1
        self.tried[what] += 1
        if content_type is not None:  # a raw body, sent as is (the client would re-encode it)
            response = client.generic(method.upper(), url, data, content_type=content_type)
        else:
            response = getattr(client, method)(url, data=data)
        if response.status_code >= 500:
            self.failures.append(f"{who} {method.upper()} {url[:120]} [{what}] → {response.status_code}")
        return response


def _urls(world) -> list[tuple[str, str]]:
    """(name, concrete URL) for every named URL of the site, path arguments filled in."""
    args = {
        "complaints:detail": [world["received"].pk],
        "complaints:action": [world["received"].pk, "add-note"],
        "complaints:daily_log_day": [local_today().isoformat()],
        "complaints:training_detail": [world["training"].pk],
        "reports:monthly_download": [f"{local_today():%Y-%m}", "csv"],
        "notifications:mark_read": [1],
        "followups:visit": [world["visit"].pk],
        "followups:record_visit": [world["visit"].pk],
        "followups:cancel_visit": [world["visit"].pk],
        "followups:assign_visit": [world["visit"].pk],
        "followups:my_plan": [f"{local_today():%Y-%m}"],
        "followups:plan": [world["plan"].pk],
        "followups:survey_detail": [world["survey"].pk],
        "followups:survey_record_response": [world["survey"].pk],
        "followups:survey_pending_customers": [world["survey"].pk],
        "followups:trip_detail": [world["trip"].pk],
        "followups:trip_report": [world["trip"].pk],
        "followups:work_summary": [world["agent"].pk, local_today().year, local_today().month],
        "followups:kpi_download": [f"{local_today():%Y-%m}", "csv"],
        "customers:download_document": [world["customer"].pk, 1],
    }
    found = []

    def walk(resolver, namespace=""):
        for p in resolver.url_patterns:
            if isinstance(p, URLResolver):
                if "admin" in str(p.pattern):
                    continue
                walk(p, f"{namespace}{p.namespace}:" if p.namespace else namespace)
            elif isinstance(p, URLPattern) and p.name and p.name not in SKIP_NAMES:
                name = namespace + p.name
                if name.startswith("api-") or "-" in p.name:  # API routes: walked from the router
                    continue
                params = args.get(name)
                if params is None:
                    params = [world["customer"].pk] * len(p.pattern.converters) if p.pattern.converters else []
                try:
                    found.append((name, reverse(name, args=params)))
                except Exception:  # noqa: BLE001 - a URL this table does not know how to fill
                    found.append((name, ""))

    walk(get_resolver())
    return found


@pytest.fixture
def walk_world(world, agent, manager, info_user, supervisor):
    training = complaint_in(Status.CLOSED, agent)
    Complaint.objects.filter(pk=training.pk).update(
        is_training_case=True, training_marked_at=timezone.now(), training_lesson="Listen first."
    )
    world.update(
        agent=agent,
        training=training,
        plan=VisitPlan.objects.filter(account_manager=agent).first(),
        survey=surveys.create_round(
            title="Spring", questions=["Satisfied?"], customers=[world["customer"], CustomerFactory()], by=info_user
        ),
    )
    return world


def test_every_page_and_endpoint_answers_hostile_input_without_a_5xx(walk_world, manager, agent, info_user):
    walk = Walk()
    for who, user in (("manager", manager), ("agent", agent), ("info", info_user)):
        walk.clients[who] = client = Client(raise_request_exception=False)
        client.force_login(user)
    urls = _urls(walk_world)
    assert not [name for name, url in urls if not url], "a named URL the walk cannot build"
    for name, url in urls:
        _walk_page(walk, name, url)
    _walk_api(walk, walk_world)
    _walk_bodies(walk, urls)
    print(f"\nhostile walk: {walk.cells} requests over {len(urls)} pages; inputs tried: {dict(walk.tried)}")
    assert walk.cells > 1500
    assert not walk.failures, "\n".join(walk.failures[:50])


def _walk_page(walk: Walk, name: str, url: str) -> None:
    for who in ("manager", "agent"):
        response = walk.send(who, "get", url, "page")
        # the path's text arguments and the query string, hostile
        for converter_value in PATH_TEXT if re.search(r"/\d{4}-\d{2}(-\d{2})?/", url) else []:
            hostile = re.sub(r"\d{4}-\d{2}(-\d{2})?", quote(converter_value, safe="%"), url, count=1)
            walk.send(who, "get", hostile, "path text")
        for label, value in (("nul", "\x00"), ("huge number", "9" * 30), ("extreme date", "0001-01-01")):
            walk.send(who, "get", url, f"query {label}", data={"q": value, "page": value, "month": value})
        walk.send(who, "get", f"{url}?q={RAW_SURROGATE}&page={RAW_SURROGATE}", "query surrogate")
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        for form in forms_of(response.content.decode()):
            target = form["action"] or url
            if urlsplit(target).path.rstrip("/").endswith("logout") or "setlang" in target:
                continue
            _walk_form(walk, who, target, form)


def _walk_form(walk: Walk, who: str, target: str, form: dict) -> None:
    fields = {k: v for k, v in form["fields"].items() if k != "csrfmiddlewaretoken"}
    key = (target, form["method"], tuple(sorted(fields)))
    if key in walk.forms_seen:  # the same form on another page, or for the other user
        return
    walk.forms_seen.add(key)
    method = "post" if form["method"] == "post" else "get"
    for field in fields:
        for label, value in HOSTILE_TEXT.items():
            if method == "get" and label == "huge":
                continue  # a URL, not a body: the server's line limit, not ours
            walk.send(who, method, target, f"{method} form {label}", data={**fields, field: value})
        encoded = urlencode({k: v for k, v in fields.items() if k != field}) + f"&{quote(field)}={RAW_SURROGATE}"
        if method == "post":
            walk.send(
                who,
                "post",
                target,
                "post form surrogate",
                data=encoded,
                content_type="application/x-www-form-urlencoded",
            )
        else:
            walk.send(who, "get", f"{target}?{encoded}", "get form surrogate")


def _walk_bodies(walk: Walk, urls) -> None:
    """Bodies no form sends: a non-text character set, invalid UTF-8, a body above the limits."""
    posts = [url for _name, url in urls][:: max(1, len(urls) // 15)]
    for url in posts:
        for charset in ("rot13", "base64", "utf-16", "no-such-charset"):
            walk.send(
                "manager",
                "post",
                url,
                f"charset {charset}",
                data=b"q=%00&note=x",
                content_type=f"application/x-www-form-urlencoded; charset={charset}",
            )
        walk.send(
            "manager",
            "post",
            url,
            "invalid utf-8",
            data=b"note=\xff\xfe\xfd",
            content_type="application/x-www-form-urlencoded",
        )
        walk.send(
            "manager",
            "post",
            url,
            "huge body",
            data=b"note=" + b"x" * (3 * 1024 * 1024),
            content_type="application/x-www-form-urlencoded",
        )
        walk.send(
            "manager",
            "post",
            url,
            "many fields",
            data="&".join(f"f{i}=1" for i in range(2000)),
            content_type="application/x-www-form-urlencoded",
        )
        walk.send(
            "manager",
            "post",
            url,
            "broken multipart",
            data=b'--x\r\nContent-Disposition: form-data; name="a\x00"\r\n\r\n\x00\r\n',
            content_type="multipart/form-data; boundary=x",
        )


# ------------------------------------------------------------------------------ API
def _api_endpoints(world) -> list[tuple[str, str, type | None]]:
    """(method, URL, serializer class) of every API operation, from the router's viewsets."""
    from complaints.api import ComplaintViewSet, action_serializer
    from customers.api import CustomerViewSet

    received, handling = world["received"], world["handling"]
    out = [("get", "/api/v1/", None), ("get", "/api/v1/schema/", None)]
    for base, viewset, pk in [
        ("complaints", ComplaintViewSet, received.pk),
        ("customers", CustomerViewSet, world["customer"].pk),
        ("events", None, 1),
        ("departments", None, 1),
        ("categories", None, 1),
    ]:
        out += [("get", f"/api/v1/{base}/", None), ("get", f"/api/v1/{base}/{pk}/", None)]
        serializer = getattr(viewset, "serializer_class", None) if viewset else None
        if base == "complaints":
            from complaints.api import ComplaintIntakeSerializer

            out.append(("post", "/api/v1/complaints/", ComplaintIntakeSerializer))
            from complaints.rules import ACTIONS

            for name in ACTIONS:
                for complaint in (received, handling):
                    out.append(
                        (
                            "post",
                            f"/api/v1/complaints/{complaint.pk}/actions/{name.replace('_', '-')}/",
                            action_serializer(name),
                        )
                    )
        elif serializer is not None:
            out += [("post", f"/api/v1/{base}/", serializer), ("patch", f"/api/v1/{base}/{pk}/", serializer)]
    return out


def _walk_api(walk: Walk, world) -> None:
    deep = "[" * 5000 + "]" * 5000
    deep_object = '{"a":' * 5000 + "1" + "}" * 5000
    for method, url, serializer in _api_endpoints(world):
        if method == "get":
            for label, value in (("nul", "\x00"), ("huge number", "9" * 30), ("date", "0001-01-01T00:00:00+14:00")):
                params = {
                    p: value
                    for p in (
                        "page",
                        "search",
                        "status",
                        "channel",
                        "received_after",
                        "received_before",
                        "ordering",
                        "office",
                        "department",
                        "assignee",
                        "overdue",
                        "tier",
                    )
                }
                walk.send("manager", "get", url, f"api query {label}", data=params)
            walk.send("manager", "get", f"{url}?search={RAW_SURROGATE}&status={RAW_SURROGATE}", "api query surrogate")
            continue
        names = list(serializer().fields) if serializer is not None else ["note"]
        for field in names:
            for label, value in JSON_VALUES.items():
                walk.send(
                    "manager",
                    method,
                    url,
                    f"api json {label}",
                    data=json.dumps({field: value}),
                    content_type="application/json",
                )
        for label, body in (
            ("deep array", deep),
            ("deep object", deep_object),
            ("invalid json", '{"note": '),
            ("NaN", '{"note": NaN}'),
            ("escaped surrogate key", '{"\\ud800": 1}'),
            ("huge json", json.dumps({"note": "x" * (3 * 1024 * 1024)})),
        ):
            walk.send("manager", method, url, f"api {label}", data=body, content_type="application/json")
        for charset in ("rot13", "utf-16", "base64"):
            walk.send(
                "manager",
                method,
                url,
                f"api charset {charset}",
                data=b'{"note": "x"}',
                content_type=f"application/json; charset={charset}",
            )
        walk.send(
            "manager", method, url, "api invalid utf-8", data=b'{"note": "\xff\xfe"}', content_type="application/json"
        )


def test_the_hostile_answers_say_what_is_wrong(client, agent):
    client.force_login(agent)
    response = client.get("/customers/search/", {"q": "\x00"})
    assert response.status_code == 400 and "NUL" in response.content.decode()
    response = client.post("/api/v1/complaints/", '{"subject": "\\ud800"}', content_type="application/json")
    assert response.status_code == 400 and "invalid character" in response.json()["detail"]
    response = client.post("/api/v1/complaints/", "[" * 5000 + "]" * 5000, content_type="application/json")
    assert response.status_code == 400 and "nested too deeply" in response.json()["detail"]
    response = client.post("/api/v1/complaints/", "[" * 40 + "]" * 40, content_type="application/json")
    assert response.status_code == 400 and "nested too deeply" in response.json()["detail"]
    response = client.generic(
        "POST", "/complaints/new/phone/", b"subject=x", content_type="application/x-www-form-urlencoded; charset=rot13"
    )
    assert response.status_code == 400 and "character set" in response.content.decode()
    response = client.generic("POST", "/api/v1/complaints/", b"{}", content_type="application/json; charset=rot13")
    assert response.status_code == 400 and "character set" in response.content.decode()
    response = client.post("/api/v1/complaints/", {"note": "x" * (3 * 1024 * 1024)}, content_type="application/json")
    assert response.status_code in (400, 413)  # Django's own limit (400) or the parser's (413)


_ = (timedelta, CloseReason, serializers)  # imported for readers extending the walk
