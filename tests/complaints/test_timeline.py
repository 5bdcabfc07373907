"""`{% timeline events %}` (complaints/templatetags/complaint_timeline.py) writes the complaint
page's timeline in Python: byte for byte the markup the template loop wrote before (kept below as
the reference), for events of every shape — status and level moves, recorded facts with and
without labels and links, hostile notes, attachments brought and withdrawn — in both languages."""

import re

import pytest
from django.template import engines
from django.test import RequestFactory
from django.utils import translation

from complaints import selectors
from complaints.choices import EscalationCause
from complaints.choices import Status as S
from tests.complaint_paths import complaint_in

from .test_attachments import png_with_text

pytestmark = pytest.mark.django_db

HOSTILE = "a<b>&\"' c {{ x }} {% y %}"

REFERENCE = """{% load i18n complaint_attachments complaint_events %}{% for e in events %}
        <li class="event event-{{ e.kind }}">
          <div class="when">{{ e.created_at|date:"Y-m-d H:i" }}</div>
          <div class="what"><strong>{{ e.get_kind_display }}</strong> · {{ e|event_actor }}
            {% if e.from_status and e.from_status != e.to_status %}· {{ e.get_from_status_display }} → {{ e.get_to_status_display }}{% endif %}
            {% if e.from_level is not None and e.from_level != e.to_level %}· {% translate "level" %} {{ e.from_level }} → {{ e.to_level }}{% endif %}
            {% for f in e|event_facts %}· <span class="event-fact">{% if f.url %}{{ f.label }} <a class="merge-link" href="{{ f.url }}">{{ f.value }}</a>{% else %}{% if f.label %}{{ f.label }}: {% endif %}{{ f.value }}{% endif %}</span>
            {% endfor %}
          </div>
          {% if e.note %}<div class="note pre">{{ e.note }}</div>{% endif %}
          {% touches_attachments e as has_files %}{% if has_files %}{% include "complaints/_attachments.html" with event=e %}{% endif %}
        </li>
        {% endfor %}"""  # noqa: E501 — the template's own lines


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    settings.HELPDESK_PRIVATE_MEDIA_ROOT = str(tmp_path / "private")


def both_ways(complaint, user) -> tuple[str, str]:
    engine = engines["django"]
    events = list(selectors.timeline(complaint))
    request = RequestFactory().get("/")
    request.user = user
    reference = engine.from_string(REFERENCE).render({"events": events, "complaint": complaint}, request)
    request = RequestFactory().get("/")  # a fresh request: the attachments are read per request
    request.user = user
    ours = engine.from_string("{% load complaint_timeline %}{% timeline events %}").render(
        {"events": events, "complaint": complaint}, request
    )
    token = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')  # masked afresh on each render
    return token.sub("TOKEN", reference), token.sub("TOKEN", ours)


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_every_path_reads_as_the_template_wrote_it(agent, supervisor, language):
    complaints = [complaint_in(status, agent) for status in S.values]
    hostile = complaint_in(S.IN_PROGRESS, agent)
    hostile.add_note(actor=agent, note=HOSTILE)
    hostile.move_up(actor=agent, cause=EscalationCause.EMOTIONAL, to_user=supervisor, note=HOSTILE)
    duplicate = complaint_in(S.RECEIVED, supervisor)
    duplicate.merge_into(supervisor, target=hostile, note="same lift")
    handled = complaint_in(S.HANDLING, agent)
    handled.mark_handled(actor=agent, note="fixed", attachments=[png_with_text()])
    with translation.override(language):
        for complaint in [*complaints, hostile, duplicate, handled]:
            reference, ours = both_ways(complaint, supervisor)
            assert ours == reference
    assert HOSTILE not in ours
    with translation.override(language):
        assert any('class="merge-link"' in both_ways(c, supervisor)[1] for c in (hostile, duplicate))
        assert both_ways(hostile, supervisor)[1].count('<div class="note pre">') >= 2
        reference, ours = both_ways(handled, supervisor)
        # the step's photo, from the attachments partial: one item, a thumbnail linking to it
        assert ours.count('<li class="attachment">') == 1 and 'class="attachment-thumb"' in ours


def test_no_events_no_items():
    html = engines["django"].from_string("{% load complaint_timeline %}{% timeline events %}").render({"events": []})
    assert html == ""
