"""Root conftest: shared fixtures for every test package."""

import pytest

from tests.factories import OfficeFactory, UserFactory, department


@pytest.fixture
def office(db):
    return OfficeFactory()


@pytest.fixture
def other_office(db):
    return OfficeFactory()


@pytest.fixture
def make_user(db, office):
    """make_user("agent") -> an active user of `office` in that role's group."""

    def make(role: str | None = None, *, office_=None, **kwargs):
        return UserFactory(role=role, office=office_ or office, **kwargs)

    return make


@pytest.fixture
def agent(make_user):
    return make_user("agent", username="agent1")


@pytest.fixture
def supervisor(make_user):
    return make_user("supervisor", username="supervisor1", is_staff=True)


@pytest.fixture
def handler(make_user):
    """A handler of "Engineering and repairs" (`tests.factories.department()`): since issue 13 a
    handler sees only their department's complaints and those handed to them."""
    return make_user("department_handler", username="handler1", department=department())


@pytest.fixture
def manager(make_user):
    return make_user("manager", username="manager1", is_staff=True)


@pytest.fixture
def info_user(make_user):
    return make_user("customer_info", username="info1")


@pytest.fixture(autouse=True)
def _site_language():
    """Each test starts in the site's language. A request in Chinese (LocaleMiddleware) leaves
    its language active in the thread after the response, and the next test would read Chinese
    where it expects English — whether it does depended on the order the tests ran in."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()
