import pytest
from rest_framework.test import APIClient
from rest_framework.authtoken.models import Token
from tests.factories import ComplaintFactory

pytestmark = pytest.mark.django_db


def test_probe(agent, office, handler, info_user):
    c = APIClient()
    r = c.get("/api/v1/complaints/")
    print("anon", r.status_code, r.headers.get("WWW-Authenticate"), r.json())
    comp = ComplaintFactory(office=office)
    c.force_login(agent)
    c.raise_request_exception = False; r = c.post("/api/v1/complaints/abc/actions/reply/", {"note": "x"}, format="json"); c.raise_request_exception = True
    print("abc", r.status_code, r.content[:200])
    r = c.post(f"/api/v1/complaints/{comp.pk}/actions/reply/", {"note": "x"}, format="json")
    print("reply", r.status_code, r.json()["status"])
    r = c.get(f"/api/v1/complaints/?page=5")
    print("page", r.status_code, r.content[:200])
    r = c.get(f"/api/v1/complaints/?assignee=99999")
    print("assignee", r.status_code, r.content[:200])
    c.force_login(info_user)
    r = c.get(f"/api/v1/departments/")
    print("info dept", r.status_code, r.content[:200])
    r = c.get(f"/api/v1/customers/99999/")
    print("cust 404", r.status_code, r.content[:200])
