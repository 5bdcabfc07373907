"""The main menu (accounts/templatetags/navigation.py) shows each role the links it showed as
template blocks: the same links, labels and order, in both languages, for every role."""

# ruff: noqa: E501 — TEMPLATE_MENU below is the old markup, as it was
import re

import pytest
from django.contrib.auth.context_processors import PermWrapper
from django.contrib.auth.models import Group
from django.template import Context, Template
from django.utils import translation

from accounts.roles import ROLE_PERMISSIONS
from accounts.templatetags.navigation import main_menu
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

# templates/base.html's menu before it was built in Python
TEMPLATE_MENU = """{% load i18n %}
    {% if perms.complaints.view_complaint %}<a href="{% url 'complaints:list' %}">{% translate "Complaints" %}</a>{% endif %}
    {% if perms.complaints.add_complaint and perms.complaints.receive_complaint %}
    <a href="{% url 'complaints:intake_walk_in' %}">{% translate "New walk-in" %}</a>
    <a href="{% url 'complaints:intake_phone' %}">{% translate "New phone call" %}</a>
    {% endif %}
    {% if perms.complaints.receive_complaint %}<a href="{% url 'complaints:callbacks' %}">{% translate "My call-backs" %}</a>{% endif %}
    {% if perms.customers.view_customer %}<a href="{% url 'customers:list' %}">{% translate "Customers" %}</a>{% endif %}
    {% if perms.followups.view_visit %}<a href="{% url 'followups:agenda' %}">{% translate "Visits" %}</a>{% endif %}
    {% if perms.followups.view_surveyround %}<a href="{% url 'followups:survey_list' %}">{% translate "Surveys" %}</a>{% endif %}
    {% if perms.followups.view_reception %}<a href="{% url 'followups:reception_list' %}">{% translate "Reception" %}</a>{% endif %}
    {% if perms.followups.view_fieldtrip %}<a href="{% url 'followups:trip_list' %}">{% translate "Field trips" %}</a>{% endif %}
    {% if perms.followups.view_worklog %}<a href="{% url 'followups:worklog' %}">{% translate "Work log" %}</a>{% endif %}
    {% if perms.followups.view_phonemessage %}<a href="{% url 'followups:message_list' %}">{% translate "Phone messages" %}</a>{% endif %}
    {% if perms.complaints.view_reports %}<a href="{% url 'complaints:daily_log' %}">{% translate "Daily log" %}</a>{% endif %}
    {% if perms.complaints.view_complaint %}<a href="{% url 'complaints:training_list' %}">{% translate "Training cases" %}</a>{% endif %}
    {% if perms.complaints.view_reports %}<a href="{% url 'reports:monthly' %}">{% translate "Reports" %}</a>{% endif %}
    {% if perms.followups.view_agent_kpis %}<a href="{% url 'followups:kpis' %}">{% translate "Agent KPIs" %}</a>{% endif %}
    {% if user.is_staff %}<a href="{% url 'admin:index' %}">{% translate "Admin" %}</a>{% endif %}
"""

LINK = re.compile(r'<a href="[^"]*">[^<]*</a>')


def _links(html: str) -> list[str]:
    return LINK.findall(html)


@pytest.mark.parametrize("role", [None, *ROLE_PERMISSIONS])
@pytest.mark.parametrize("staff", [False, True])
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_same_links_as_the_template_gave(role, staff, language):
    user = UserFactory(is_staff=staff)
    if role is not None:
        user.groups.add(Group.objects.get(name=str(role)))
    user = type(user).objects.get(pk=user.pk)
    with translation.override(language):
        expected = _links(Template(TEMPLATE_MENU).render(Context({"perms": PermWrapper(user), "user": user})))
        shown = _links(main_menu(user))
    assert shown == expected
    assert bool(shown) == (role is not None or staff)


@pytest.mark.parametrize("superuser", [False, True])
def test_an_inactive_user_is_shown_what_the_template_showed(superuser):
    user = UserFactory(is_staff=True, is_superuser=superuser, is_active=False)
    user.groups.add(Group.objects.get(name=str(next(iter(ROLE_PERMISSIONS)))))
    user = type(user).objects.get(pk=user.pk)
    expected = _links(Template(TEMPLATE_MENU).render(Context({"perms": PermWrapper(user), "user": user})))
    assert _links(main_menu(user)) == expected


def test_a_superuser_sees_every_link():
    user = UserFactory(is_superuser=True, is_staff=True)
    assert len(_links(main_menu(user))) == 16


def test_the_links_follow_the_script_prefix_of_the_site():
    """A site served under a sub-path (SCRIPT_NAME): its links, not another's remembered ones."""
    from django.urls import get_script_prefix, set_script_prefix

    user = UserFactory(is_superuser=True, is_staff=True)
    before = get_script_prefix()
    try:
        plain = _links(main_menu(user))
        set_script_prefix("/helpdesk/")
        under = _links(main_menu(user))
    finally:
        set_script_prefix(before)
    assert plain[0].startswith('<a href="/complaints/')
    assert under == [link.replace('<a href="/', '<a href="/helpdesk/', 1) for link in plain]
    assert _links(main_menu(user)) == plain
