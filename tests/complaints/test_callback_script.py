"""Scripts where the work happens: the agent recording a call-back has the full outbound
call-back script of seed 000 (您好，我是…客服中心回访员 … 谢谢，再见) and the outbound-call
etiquette of R-F1 (撥打電話) beside the form, Chinese first with English beside — the same
source as the survey page, which agents cannot open."""

import pytest
from django.urls import reverse
from django.utils import translation

from complaints import call_scripts
from complaints.choices import Status as S
from tests.complaint_paths import complaint_in

pytestmark = pytest.mark.django_db

# The seed's words, as the Chinese side of the script shows them (zh-hans).
SEED_CALLBACK = [
    "您好，我是…客服中心回访员，我姓…，能了解一下贵司对我司提供的服务是否满意吗？",
    "贵司的污水运营是否正常？",
    "您对我们运维人员及其他人员的服务满意吗？有没有不清楚的地方？",
    "您对我们的服务有什么意见和建议？",
    "对不起，给您添麻烦了，请不要着急，我马上为您联系，尽快为您解决问题。",
    "如果有问题请再打电话…，我们将及时为您服务。",
    "感谢您对我们的工作提出宝贵意见。谢谢，再见！",
]
SEED_OUTBOUND = [
    "拨电话前细化讲话内容及策略。",
    "电话接通后，应首先向对方致以问候，然后自我介绍。",
    "使用敬语，将要找的人的姓名及要做的事交代清楚。",
    "电话时间不宜过长。",
    "通话完毕时应说“谢谢您了（麻烦您了），再见”。",
    "等对方挂断后，自己再挂电话。",
]


def english(msgid: str) -> str:
    with translation.override("en"):
        return translation.gettext(msgid)


def callback_form(page: str) -> str:
    """The call-back action's card (its script and its form), on the action's page."""
    assert 'id="action-record_callback"' in page
    return page.split('id="action-record_callback"')[1].split("</details>")[0]


def test_the_script_is_the_seeds_in_chinese():
    with translation.override("zh-hans"):
        assert [translation.gettext(m) for m in call_scripts.CALLBACK_SCRIPT] == SEED_CALLBACK
        assert [translation.gettext(m) for m in call_scripts.OUTBOUND_CALL_ETIQUETTE] == SEED_OUTBOUND


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_agents_callback_form_shows_the_full_script_and_the_etiquette(client, agent, language):
    complaint = complaint_in(S.RESOLVED, agent)
    client.force_login(agent)

    page = client.get(reverse("complaints:detail", args=[complaint.pk])).content.decode()
    assert 'id="action-record_callback"' in page  # its panel, whose form is fetched when it opens
    form_page = reverse("complaints:action", args=[complaint.pk, "record_callback"])
    response = client.get(form_page, HTTP_ACCEPT_LANGUAGE=language)

    assert response.status_code == 200
    card = callback_form(response.content.decode().replace("&#x27;", "'").replace("&quot;", '"'))
    assert card.index('class="callback-script"') < card.index("<form")  # read before the form
    for zh, msgid in zip(SEED_CALLBACK, call_scripts.CALLBACK_SCRIPT, strict=True):
        # Chinese first, the English beside it, on the same line, whatever the page's language
        line = f'<span class="zh" lang="zh-Hans">{zh}</span> <span class="en" lang="en">{english(msgid)}</span>'
        assert line in card
    assert card.index(SEED_CALLBACK[0]) < card.index(SEED_CALLBACK[-1])
    for zh, msgid in zip(SEED_OUTBOUND, call_scripts.OUTBOUND_CALL_ETIQUETTE, strict=True):
        assert f'<span class="zh" lang="zh-Hans">{zh}</span> <span class="en" lang="en">{english(msgid)}</span>' in card
    heading = "Outbound-call etiquette" if language == "en" else "拨打电话礼仪"
    assert heading in card


def test_no_script_where_no_callback_is_due(client, agent):
    complaint = complaint_in(S.HANDLING, agent)
    client.force_login(agent)
    page = client.get(reverse("complaints:detail", args=[complaint.pk])).content.decode()
    assert 'id="action-record_callback"' not in page and 'class="callback-script"' not in page


def test_the_survey_page_agents_cannot_open_shows_the_same_script(client, agent, manager):
    """The one source: the survey page (customer-information staff, managers) reads the same lines."""
    from followups.surveys import create_round
    from tests.factories import CustomerFactory

    survey = create_round(title="Spring", questions=["满意吗？"], customers=[CustomerFactory()], by=manager)
    url = reverse("followups:survey_record_response", args=[survey.pk])
    client.force_login(agent)
    assert client.get(url).status_code in (403, 404)

    client.force_login(manager)
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    for zh in SEED_CALLBACK + SEED_OUTBOUND:
        assert f'<span class="zh" lang="zh-Hans">{zh}</span>' in page
