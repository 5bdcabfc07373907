"""The complaint page's action panels (complaints/templatetags/action_panels.py): one folded
card per action open to the user, in the rules' order, whose form is fetched when it opens
(static/js/action-panels.js) from the action's URL — or, without JavaScript, opened on that
URL's own page; the form that came back with errors in its panel, open; a hint when no action
is open. An action's form is only ever shown to whom may take it, in a state it is open in."""

import re

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation

from complaints import rules
from complaints.choices import Status as S
from complaints.forms import ACTION_FORMS
from complaints.views import PANEL_HEADER
from tests.complaint_paths import complaint_in
from tests.factories import ComplaintFactory

pytestmark = pytest.mark.django_db

PANEL = {f"HTTP_{PANEL_HEADER.upper().replace('-', '_')}": "1"}


def panels(page: str) -> list[str]:
    return re.findall(r'<details class="card action" id="action-([a-z_]+)"', page)


def card(page: str, name: str) -> str:
    return page.split(f'id="action-{name}"')[1].split("</details>")[0]


def test_one_folded_panel_per_action_open_to_the_user_each_fetching_its_form(client, agent):
    complaint = complaint_in(S.HANDLING, agent)
    client.force_login(agent)

    response = client.get(reverse("complaints:detail", args=[complaint.pk]))

    page = response.content.decode()
    expected = [act.name for act, _form in response.context["action_forms"]]
    assert expected and panels(page) == expected
    assert "<form" not in "".join(card(page, name) for name in expected)  # no form until one opens
    for name in expected:
        url = reverse("complaints:action", args=[complaint.pk, name])
        assert f'id="action-{name}" data-panel="{url}">' in page  # folded
        assert f'<p class="panel-open"><a href="{url}">Open the form</a></p>' in card(page, name)
        assert f"<summary>{rules.ACTIONS[name].label}</summary>" in card(page, name)
    assert 'src="/static/js/action-panels.js"' in page


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_panel_fetches_its_form_and_the_page_without_javascript_shows_it(client, agent, language):
    complaint = complaint_in(S.HANDLING, agent)
    client.force_login(agent)
    names = [a.name for a, _f in client.get(reverse("complaints:detail", args=[complaint.pk])).context["action_forms"]]

    for name in names:
        url = reverse("complaints:action", args=[complaint.pk, name])
        content = client.get(url, HTTP_ACCEPT_LANGUAGE=language, **PANEL)
        own_page = client.get(url, HTTP_ACCEPT_LANGUAGE=language)

        assert content.status_code == own_page.status_code == 200
        fragment = content.content.decode()
        assert "<html" not in fragment and "<details" not in fragment
        assert f'<form method="post" action="{url}" novalidate' in fragment
        assert 'name="csrfmiddlewaretoken"' in fragment
        form = ACTION_FORMS[name](complaint=complaint)
        assert fragment.count('<div class="field') == len(form.fields)
        assert ('enctype="multipart/form-data"' in fragment) == form.is_multipart()
        assert PANEL_HEADER in content["Vary"]
        page = own_page.content.decode()
        assert f'<details class="card action" id="action-{name}" open>' in page  # the form, open
        assert card(page, name).count('<div class="field') == len(form.fields)
        assert reverse("complaints:detail", args=[complaint.pk]) in page  # back to the complaint
        with translation.override(language):
            label = str(rules.ACTIONS[name].label)
        assert f'<button type="submit">{label}</button>' in fragment


def test_the_form_of_an_action_the_state_has_closed_is_not_shown(client, agent):
    complaint = complaint_in(S.CLOSED, agent)
    client.force_login(agent)
    url = reverse("complaints:action", args=[complaint.pk, "reply"])

    content = client.get(url, **PANEL)
    page = client.get(url)

    assert content.status_code == 409 and "<form" not in content.content.decode()
    assert "not open in the complaint" in content.content.decode()
    assert page.status_code == 302 and page["Location"] == reverse("complaints:detail", args=[complaint.pk])


def test_a_form_is_only_shown_to_whom_may_see_the_complaint_and_take_the_action(client, agent, make_user, other_office):
    complaint = complaint_in(S.IN_PROGRESS, agent)
    elsewhere = ComplaintFactory(office=other_office)
    client.force_login(agent)
    assert client.get(reverse("complaints:action", args=[elsewhere.pk, "reply"]), **PANEL).status_code == 404
    assert client.get(reverse("complaints:action", args=[complaint.pk, "no_such"]), **PANEL).status_code == 404

    client.force_login(make_user("customer_info", username="info-1"))
    assert client.get(reverse("complaints:action", args=[complaint.pk, "reply"]), **PANEL).status_code == 403
    client.logout()
    response = client.get(reverse("complaints:action", args=[complaint.pk, "reply"]), **PANEL)
    assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_panel_that_came_back_with_errors_is_open_with_them(client, agent, language):
    complaint = complaint_in(S.HANDLING, agent)
    client.force_login(agent)

    response = client.post(
        reverse("complaints:action", args=[complaint.pk, "reply"]), {}, HTTP_ACCEPT_LANGUAGE=language
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert '<details class="card action" id="action-reply" open>' in page
    assert page.count(" open>") == 1 and page.count('<form method="post" action="/complaints/') == 1
    with translation.override(language):
        required = translation.gettext("This field is required.")
    assert f'<p class="error">{required}</p>' in card(page, "reply")
    assert 'class="field has-error required" id="field-reply-note"' in card(page, "reply")


def test_a_hint_when_no_action_is_open():
    html = Template("{% load action_panels %}{% action_panels action_forms complaint %}").render(
        Context({"action_forms": [], "complaint": None})
    )
    assert html == '\n    <p class="card hint">No actions are open to you in this state.</p>\n    '
    with translation.override("zh-hans"):
        html = Template("{% load action_panels %}{% action_panels action_forms complaint %}").render(
            Context({"action_forms": [], "complaint": None})
        )
    assert "No actions are open" not in html and '<p class="card hint">' in html
