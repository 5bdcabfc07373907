"""Property-based fuzzing of every operation of the generated OpenAPI schema (schemathesis +
hypothesis), in process through the WSGI application, with a token of each role, against
seeded data: complaints in every status (and one of another office), customers, the seeded
departments and categories.

The properties, for every role and for valid and invalid input alike: no 5xx answer; every
answer is documented — its status code is among the operation's responses, its Content-Type
and headers are the documented ones (a path that matches no operation, such as a word where
an id goes, is the API's JSON 404 too) and its body matches the documented schema; and the
authentication is enforced (a successful request re-sent without the token, or with a made-up
one, is refused).

Not checked: positive_data_acceptance (valid-looking input the rules refuse with a 400 — an id
of a row that does not exist, a reply time in the past; no schema can say which) and
negative_data_rejection (the API is lenient where DRF and django-filter are: an unusable
page_size is the default size, an unknown boolean filter value is no filter, a multipart
PATCH ignores an empty field).

Deterministic and bounded: derandomized hypothesis, MAX_EXAMPLES per operation and generation
mode (positive and negative), no example database. Every example runs inside a savepoint that
is rolled back, so each example sees the same seeded data and a failure reproduces.
"""

import logging
from contextlib import contextmanager

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from complaints.choices import Status
from complaints.models import Category, Complaint, ComplaintEvent, Department
from customers.models import Customer
from tests.api.helpers import complaint_in
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

ROLES = ["agent", "supervisor", "department_handler", "manager", "customer_info"]
MAX_EXAMPLES = 25  # per operation and generation mode
FUZZ = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate, Phase.shrink],
    suppress_health_check=list(HealthCheck),
    report_multiple_bugs=False,
)
# No 5xx; a documented status code, Content-Type, headers and body; authentication enforced.
# Every check for both modes: a negative {id} (a float, a word) matches no route of the API and
# gets its JSON 404 (helpdesk.api.NoSuchEndpoint), not Django's HTML page.
RESPONSE_CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    ignored_auth,
]
CHECKS = {GenerationMode.POSITIVE: RESPONSE_CHECKS, GenerationMode.NEGATIVE: RESPONSE_CHECKS}

# The path prefix of each resource -> its model (to aim some examples at rows that exist).
RESOURCES = {
    "/api/v1/complaints/": Complaint,
    "/api/v1/events/": ComplaintEvent,
    "/api/v1/customers/": Customer,
    "/api/v1/departments/": Department,
    "/api/v1/categories/": Category,
}


@contextmanager
def requests_inside_the_test_transaction():
    """The WSGI handler closes the connection at the end of each request (close_old_connections),
    which would end the test's transaction; Django's test client disconnects it the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    django_request = logging.getLogger("django.request")
    level = django_request.level
    django_request.setLevel(logging.ERROR)  # thousands of expected 4xx warnings; 5xx are still logged
    try:
        yield
    finally:
        django_request.setLevel(level)
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def seeded(users, make_user, other_office):
    agent = users["agent"]
    customers = CustomerFactory.create_batch(2)
    for status in Status.values:
        complaint_in(status, agent)
    complaint_in(Status.RECEIVED, agent, customer=customers[0], is_anonymous=True)
    complaint_in(Status.IN_PROGRESS, make_user("agent", office_=other_office, username="elsewhere"))
    return users


@pytest.fixture
def api_schema(client, seeded):
    response = client.get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    return schemathesis.openapi.from_dict(response.json())


def _strategy(operation, mode: GenerationMode):
    """The operation's cases; for /{id}/ paths, half of them aimed at rows that exist."""
    generated = operation.as_strategy(generation_mode=mode)
    if "{id}" not in operation.path:
        return generated
    model = next(m for prefix, m in RESOURCES.items() if operation.path.startswith(prefix))
    pks = list(model.objects.order_by("pk").values_list("pk", flat=True)[:20])
    existing = st.sampled_from(pks).flatmap(
        lambda pk: operation.as_strategy(generation_mode=mode, path_parameters={"id": pk})
    )
    return st.one_of(generated, existing)


def _run(operation, mode: GenerationMode, app, headers: dict, checks: list) -> None:
    """Fuzz one operation in one generation mode; raises the (shrunk) failure, if any."""

    @given(case=_strategy(operation, mode))
    @FUZZ
    def call(case):
        with transaction.atomic():
            response = case.call(app=app, headers=headers)
            transaction.set_rollback(True)  # every example starts from the seeded data
        with transaction.atomic():  # ignored_auth re-sends a successful request without the token
            case.validate_response(response, checks=checks, headers=headers)
            transaction.set_rollback(True)

    call()


def fuzz(api_schema, user, checks: dict) -> list[str]:
    """Run every operation of the schema with `user`'s token and checks[mode]; the failures."""
    app = WSGIHandler()
    api_schema.app = app  # the checks that re-send a request send it here too
    headers = {"Authorization": f"Token {Token.objects.create(user=user).key}"}
    failures = []
    with requests_inside_the_test_transaction():
        for result in api_schema.get_all_operations():
            operation = result.ok()
            for mode in GenerationMode:
                try:
                    _run(operation, mode, app, headers, checks[mode])
                except (Exception, BaseExceptionGroup) as error:  # noqa: B036 (a failure report, kept)
                    failures.append(f"{operation.label} [{mode.value}]: {str(error).strip()[:1500]}")
    return failures


@pytest.fixture
def unthrottled(token_rate):
    token_rate("1000000/hour")  # fuzzing is not about the rate limit (test_auth.py is)


@pytest.mark.parametrize("role", ROLES)
def test_fuzzing_finds_no_server_error_and_no_undocumented_answer(api_schema, seeded, unthrottled, role):
    failures = fuzz(api_schema, seeded[role], CHECKS)
    assert not failures, f"{len(failures)} operations failed:\n\n" + "\n\n".join(failures)
