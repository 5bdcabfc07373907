"""Every signed-in member of staff changes their own password (issue 16 item 9): the old
password is checked, the password validators apply, the session that made the change stays
signed in and the user's other sessions end."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

ROLES = ["agent", "department_handler", "customer_info", "supervisor", "manager"]
URL = "/account/password/"
DONE_URL = "/account/password/done/"
NEW = "Harbour-lantern-2718"


def log_in(client: Client, user, password: str):
    return client.post(reverse("login"), {"username": user.username, "password": password})


def signed_in(user) -> Client:
    """A browser that signed in on the login page with the user's password."""
    client = Client()
    response = log_in(client, user, PASSWORD)
    assert response.status_code == 302, response.content[:300]
    return client


def change(client, *, old=PASSWORD, new=NEW, again=None):
    return client.post(URL, {"old_password": old, "new_password1": new, "new_password2": again or new})


def test_urls_are_named():
    assert reverse("accounts:password_change") == URL
    assert reverse("accounts:password_change_done") == DONE_URL


@pytest.mark.parametrize("role", ROLES)
def test_each_role_changes_their_own_password_and_stays_signed_in(make_user, role):
    # given a member of staff of the role, signed in
    user = make_user(role, username=f"pw-{role}")
    client = signed_in(user)
    assert client.get(URL).status_code == 200

    # when they change their password
    response = change(client)

    # then the new password is theirs, the old one no longer, and this session goes on
    assert response.status_code == 302
    assert response.url == DONE_URL
    user.refresh_from_db()
    assert user.check_password(NEW)
    assert not user.check_password(PASSWORD)
    done = client.get(DONE_URL)
    assert done.status_code == 200
    assert done.wsgi_request.user == user
    assert client.get(reverse("complaints:list")).status_code == 200
    assert log_in(Client(), user, NEW).status_code == 302
    assert log_in(Client(), user, PASSWORD).status_code == 200  # the old one is refused


def test_the_users_other_sessions_are_signed_out(agent):
    # given the same agent signed in on two browsers
    here, elsewhere = signed_in(agent), signed_in(agent)
    assert elsewhere.get(URL).status_code == 200

    # when they change their password on one of them
    assert change(here).status_code == 302

    # then the other browser is back at the login page; this one is still signed in
    response = elsewhere.get(URL)
    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={URL}"
    assert elsewhere.get("/api/v1/complaints/").status_code in {401, 403}
    assert here.get(URL).status_code == 200


def test_wrong_old_password_is_a_form_error_and_changes_nothing(agent):
    client = signed_in(agent)
    before = agent.password

    response = change(client, old="not-my-password")

    assert response.status_code == 400
    assert response.context["form"].errors["old_password"] == [
        "Your old password was entered incorrectly. Please enter it again."
    ]
    assert b"Your old password was entered incorrectly" in response.content
    agent.refresh_from_db()
    assert agent.password == before
    assert client.get(DONE_URL).status_code == 200  # still signed in


@pytest.mark.parametrize(
    ("new", "message"),
    [
        ("12345678", "This password is too common."),
        ("83749201", "This password is entirely numeric."),
        ("k3x9", "This password is too short. It must contain at least 8 characters."),
        ("agent1-x", "The password is too similar to the username."),
    ],
)
def test_weak_new_password_is_refused_with_the_validators_message(agent, new, message):
    client = signed_in(agent)
    before = agent.password

    response = change(client, new=new)

    assert response.status_code == 400
    assert message in response.context["form"].errors["new_password2"]
    assert message.encode() in response.content
    agent.refresh_from_db()
    assert agent.password == before


def test_new_passwords_that_differ_are_refused(agent):
    response = change(signed_in(agent), again="Harbour-lantern-2719")

    assert response.status_code == 400
    assert "new_password2" in response.context["form"].errors
    agent.refresh_from_db()
    assert agent.check_password(PASSWORD)


@pytest.mark.parametrize("url", [URL, DONE_URL])
def test_anonymous_is_sent_to_the_login_page(client, url):
    response = client.get(url)

    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={url}"


def test_anonymous_post_changes_nothing(client, agent):
    before = agent.password

    response = change(client)

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
    agent.refresh_from_db()
    assert agent.password == before


def test_the_page_needs_the_csrf_token(agent):
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent)

    assert change(client).status_code == 403
    agent.refresh_from_db()
    assert agent.check_password(PASSWORD)


@pytest.mark.parametrize("role", ROLES)
def test_the_navigation_links_to_the_page(make_user, role):
    client = signed_in(make_user(role, username=f"nav-{role}"))

    response = client.get(reverse("complaints:list"))

    assert f'href="{URL}"'.encode() in response.content


def test_the_page_reads_in_chinese(agent):
    client = signed_in(agent)

    response = client.get(URL, HTTP_ACCEPT_LANGUAGE="zh-hans")

    assert response.status_code == 200
    assert '<html lang="zh-hans">' in response.content.decode()
    assert "旧密码" in response.content.decode()  # Django's own field labels, translated
    refused = client.post(
        URL, {"old_password": "wrong", "new_password1": NEW, "new_password2": NEW}, HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert refused.status_code == 400
    with translation.override("zh-hans"):
        message = gettext("Your old password was entered incorrectly. Please enter it again.")
    assert message != "Your old password was entered incorrectly. Please enter it again."
    assert message in refused.content.decode()
