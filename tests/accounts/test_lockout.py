"""Login lock-out (django-axes, issue 15): after AXES_FAILURE_LIMIT wrong passwords for one
username from one address, that pair is locked with a clear message; an administrator unlocks
it, or it unlocks itself after the cool-off; then the right password works again."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = "/login/"


def attempt(client: Client, username: str, password: str, *, ip="10.1.1.1", url=LOGIN):
    return client.post(url, {"username": username, "password": password}, REMOTE_ADDR=ip)


def lock_out(client: Client, user, *, ip="10.1.1.1", url=LOGIN):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = attempt(client, user.username, "wrong-password", ip=ip, url=url)
    return response


def test_defaults_are_five_failures_and_fifteen_minutes_per_user_and_ip():
    assert settings.AXES_FAILURE_LIMIT == 5
    assert settings.AXES_COOLOFF_TIME == timedelta(minutes=15)
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]
    assert settings.AUTHENTICATION_BACKENDS[0] == "axes.backends.AxesStandaloneBackend"


def test_wrong_passwords_below_the_limit_only_show_the_form_error(agent):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = attempt(client, agent.username, "wrong-password")
        assert response.status_code == 200
        assert b"didn&#x27;t match" in response.content or b"didn't match" in response.content

    assert attempt(client, agent.username, PASSWORD).status_code == 302  # and the count starts over
    assert not AccessAttempt.objects.filter(username=agent.username).exists()


def test_the_nth_wrong_password_locks_with_a_clear_message_and_even_the_right_one_is_refused(agent):
    client = Client()

    response = lock_out(client, agent)

    assert response.status_code == 429
    page = response.content.decode()
    assert "Sign-in locked" in page
    assert f"after {settings.AXES_FAILURE_LIMIT} wrong passwords" in page
    assert "Try again in 15 minutes, or ask an administrator to unlock it." in page
    again = attempt(client, agent.username, PASSWORD)
    assert again.status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_lock_is_per_username_and_address(agent, make_user):
    lock_out(Client(), agent, ip="10.1.1.1")
    colleague = make_user("agent", username="colleague")

    assert attempt(Client(), agent.username, PASSWORD, ip="10.2.2.2").status_code == 302  # another computer
    assert attempt(Client(), colleague.username, PASSWORD, ip="10.1.1.1").status_code == 302  # another user
    assert attempt(Client(), agent.username, PASSWORD, ip="10.1.1.1").status_code == 429


def test_the_admin_login_is_locked_too(manager):
    client = Client()
    url = reverse("admin:login")

    response = lock_out(client, manager, url=url)

    assert response.status_code == 429
    assert "Sign-in locked" in response.content.decode()
    assert attempt(client, manager.username, PASSWORD, url=url).status_code == 429


def test_an_administrator_unlocks_in_the_admin_then_the_right_password_works(agent, make_user):
    lock_out(Client(), agent)
    admin = make_user("manager", username="root", is_staff=True, is_superuser=True)
    admin_client = Client()
    admin_client.force_login(admin)
    changelist = reverse("admin:axes_accessattempt_changelist")
    attempt_row = AccessAttempt.objects.get(username=agent.username)

    assert admin_client.get(changelist).status_code == 200
    response = admin_client.post(
        changelist, {"action": "delete_selected", "_selected_action": [attempt_row.pk], "post": "yes"}
    )

    assert response.status_code == 302
    assert not AccessAttempt.objects.filter(username=agent.username).exists()
    assert attempt(Client(), agent.username, PASSWORD).status_code == 302


def test_the_reset_command_unlocks_too(agent):
    lock_out(Client(), agent)

    call_command("axes_reset_username", agent.username)

    assert attempt(Client(), agent.username, PASSWORD).status_code == 302


def test_the_lock_ends_after_the_cool_off(agent):
    lock_out(Client(), agent)
    assert attempt(Client(), agent.username, PASSWORD).status_code == 429

    # time travel: the failures happened just over the cool-off ago
    AccessAttempt.objects.update(attempt_time=AccessAttempt.objects.get().attempt_time - settings.AXES_COOLOFF_TIME)

    assert attempt(Client(), agent.username, PASSWORD).status_code == 302
