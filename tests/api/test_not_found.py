"""Every /api/v1/ path that does not exist answers the API's JSON 404, the same shape as its
other errors — a word or a float where an id goes, an unknown sub-path or action, any method
— never Django's HTML page (issue 16 item 9). Authentication still comes first."""

import pytest
from django.db.models import Max
from django.utils import translation
from django.utils.translation import gettext

from complaints.models import Complaint
from tests.api.helpers import LIST_URL, complaint_in

pytestmark = pytest.mark.django_db

NOT_FOUND = {"detail": "Not found.", "code": "not_found"}
MISSING = [
    "/api/v1/complaints/abc/",
    "/api/v1/complaints/1.5/",
    "/api/v1/complaints/-1/",
    "/api/v1/complaints/1e3/",
    "/api/v1/complaints/null/actions/add-note/",
    "/api/v1/complaints/{pk}/nothing-here/",
    "/api/v1/complaints/{pk}/actions/",
    "/api/v1/complaints/{pk}/actions/no-such-action/",
    "/api/v1/complaints/{pk}/actions/add_note/",  # the action is spelled add-note
    "/api/v1/events/x/",
    "/api/v1/customers/abc/",
    "/api/v1/customers/1/documents/",
    "/api/v1/departments/%E4%B8%AD/",
    "/api/v1/categories/true/",
    "/api/v1/no-such-resource/",
    "/api/v1/no/such/path/at/all",
    "/api/v1/schema/extra/",
    "/api/v1/customers/\n/",  # a newline: the catch-all matches it too
    "/api/v1/customers/%0A%C2%AC/",
]


@pytest.fixture
def agent_client(session_client, users):
    return session_client(users["agent"])


@pytest.fixture
def pk(users):
    return complaint_in("received", users["agent"]).pk


def _assert_json_404(response):
    assert response.status_code == 404, (response.request["PATH_INFO"], response.content[:200])
    assert response["Content-Type"] == "application/json"
    assert response.json() == NOT_FOUND


@pytest.mark.parametrize("url", MISSING)
@pytest.mark.parametrize("method", ["get", "post", "put", "patch", "delete", "options"])
def test_a_path_that_does_not_exist_is_the_apis_json_404(agent_client, pk, url, method):
    response = getattr(agent_client, method)(url.format(pk=pk), {}, format="json")

    _assert_json_404(response)


def test_it_is_the_same_answer_as_for_an_id_that_does_not_exist(agent_client, pk):
    unknown = (Complaint.objects.aggregate(top=Max("pk"))["top"] or 0) + 1000

    words = agent_client.get(f"{LIST_URL}abc/")
    number = agent_client.get(f"{LIST_URL}{unknown}/")

    assert (words.status_code, number.status_code) == (404, 404)
    assert words.json() == number.json() == NOT_FOUND


def test_a_token_client_gets_it_too(token_client, users):
    _assert_json_404(token_client(users["manager"]).get(f"{LIST_URL}abc/"))


def test_a_browser_asking_for_html_still_gets_the_apis_answer(agent_client):
    response = agent_client.get(f"{LIST_URL}abc/", HTTP_ACCEPT="application/json")
    _assert_json_404(response)
    html = agent_client.get(f"{LIST_URL}abc/", HTTP_ACCEPT="text/html")
    assert html.status_code == 404
    assert b"<title>Not Found" not in html.content  # not Django's page: DRF's browsable answer
    assert b"not_found" in html.content


def test_anonymous_is_401_first_and_learns_nothing_about_which_paths_exist(client):
    missing = client.get("/api/v1/no-such-resource/")
    existing = client.get(LIST_URL)

    assert (missing.status_code, existing.status_code) == (401, 401)
    assert missing.json() == existing.json()


def test_the_detail_is_translated(agent_client):
    response = agent_client.get(f"{LIST_URL}abc/", HTTP_ACCEPT_LANGUAGE="zh-hans")

    with translation.override("zh-hans"):
        expected = gettext("Not found.")
    assert response.status_code == 404
    assert response.json() == {"detail": expected, "code": "not_found"}


def test_a_missing_trailing_slash_is_still_redirected(agent_client, pk):
    response = agent_client.get("/api/v1/complaints", {"status": "received"})

    assert response.status_code == 301
    assert response["Location"] == "/api/v1/complaints/?status=received"
    assert agent_client.get(f"/api/v1/complaints/{pk}")["Location"] == f"/api/v1/complaints/{pk}/"
    _assert_json_404(agent_client.get("/api/v1/complaints/abc"))  # abc/ does not exist either


def test_the_catch_all_is_not_in_the_schema(agent_client):
    paths = agent_client.get("/api/v1/schema/", {"format": "json"}).json()["paths"]

    assert all("{" not in p or p.count("{") == p.count("}") for p in paths)
    assert not [p for p in paths if ".*" in p or "$" in p]


def test_pages_outside_the_api_keep_the_html_404(agent_client):
    response = agent_client.get("/complaints/abc/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_every_operation_documents_its_errors_with_a_json_body(agent_client):
    schema = agent_client.get("/api/v1/schema/", {"format": "json"}).json()

    assert set(schema["components"]["schemas"]["Error"]["required"]) == {"code", "detail"}
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            body = {"413", "415"} if method in {"post", "patch"} else set()
            expected = {"400", "401", "403", "404", "429", "503"} | body
            assert expected <= set(responses), (method, path)
            for code, response in responses.items():
                if code.startswith("4"):
                    assert "application/json" in response.get("content", {}), (method, path, code)
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "query":
                    assert parameter.get("allowEmptyValue") is True, (method, path, parameter["name"])


def test_a_request_django_refuses_before_any_view_is_the_apis_json_400(token_client, users, pk):
    # given more form fields than DATA_UPLOAD_MAX_NUMBER_FIELDS (Django refuses to read them)
    body = "&".join(f"field{i}=x" for i in range(1100))

    response = token_client(users["agent"]).post(
        f"{LIST_URL}{pk}/actions/add-note/", body, content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Malformed request.", "code": "parse_error"}


def test_outside_the_api_it_is_still_djangos_400_page(agent_client):
    body = "&".join(f"field{i}=x" for i in range(1100))

    response = agent_client.post("/login/", body, content_type="application/x-www-form-urlencoded")

    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
