"""The complaint page's action panels (`{% action_panels %}`, complaints/templatetags/
action_panels.py): one folded card per action open to the user, in the rules' order, each a
form posting to its action with the CSRF token; the one that came back with errors open, with
its errors; a hint when no action is open."""

import re

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation

from complaints import rules
from complaints.choices import Status as S
from tests.complaint_paths import complaint_in

pytestmark = pytest.mark.django_db


def panels(page: str) -> list[str]:
    return re.findall(r'<details class="card action" id="action-([a-z_]+)"', page)


def test_one_folded_panel_per_action_open_to_the_user_each_a_form_with_its_token(client, agent):
    complaint = complaint_in(S.HANDLING, agent)
    client.force_login(agent)

    response = client.get(reverse("complaints:detail", args=[complaint.pk]))

    page = response.content.decode()
    expected = [act.name for act, _form in response.context["action_forms"]]
    assert expected and panels(page) == expected
    assert " open>" not in page  # every panel folded
    forms = dict((act.name, form) for act, form in response.context["action_forms"])
    for name in expected:
        card = page.split(f'id="action-{name}"')[1].split("</details>")[0]
        url = reverse("complaints:action", args=[complaint.pk, name])
        assert f'<form method="post" action="{url}" novalidate' in card
        assert 'name="csrfmiddlewaretoken"' in card
        label = str(rules.ACTIONS[name].label)
        assert f"<summary>{label}</summary>" in card and f'<button type="submit">{label}</button>' in card
        assert ('enctype="multipart/form-data"' in card) == forms[name].is_multipart()
        assert card.count('<div class="field') == len(forms[name].fields)
    assert any(form.is_multipart() for form in forms.values())  # a form with files among them


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
    assert page.count(" open>") == 1
    card = page.split('id="action-reply"')[1].split("</details>")[0]
    with translation.override(language):
        required = translation.gettext("This field is required.")
    assert f'<p class="error">{required}</p>' in card
    assert 'class="field has-error required" id="field-reply-note"' in card


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
