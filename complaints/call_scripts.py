"""The words of an outbound call, from seed 000, defined once for every page that makes one.

- The call-back script, 電話回訪語言規範 (附件一 2; R-CU6, R-C10): from 您好，我是…客服中心回訪員
  to 謝謝，再見 — shown beside the agent's call-back form on the complaint page and beside the
  survey answers (followups), so whoever phones the customer reads the same words.
- The outbound-call etiquette of R-F1, 撥打電話 (附件一 四): greet, then introduce yourself; polite
  forms, say whom you want and why; close with 謝謝您了（麻煩您了），再見. With the points of the
  telephone etiquette (第五章 二 電話禮儀) that concern a call one makes: prepare what to say
  before dialling, keep it short, hang up after the other side.

The customer hears Chinese, so each line is shown in Chinese first with English beside it,
whatever the page's language (`paper.bilingual`, as on the printed forms). The Chinese is the
zh-hans translation of each msgid: one source, the catalogue.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_noop

from .paper import Label, bilingual

# 電話回訪語言規範 (1)–(7), in the order they are said; (5) and (6) when the customer raises a problem.
CALLBACK_SCRIPT = (
    gettext_noop(
        "Hello, I am a call-back agent of the … customer service centre, my surname is …. May I ask whether your "
        "company is satisfied with the service we provide?"
    ),
    gettext_noop("Is your company's wastewater operation running normally?"),
    gettext_noop(
        "Are you satisfied with the service of our operation and maintenance staff and our other staff? Is "
        "anything unclear?"
    ),
    gettext_noop("What comments and suggestions do you have about our service?"),
    gettext_noop(
        "I am sorry for the trouble. Please don't worry: I will contact the right people for you at once and "
        "have the problem solved as soon as possible."
    ),
    gettext_noop("If there is any problem, please call us again on …; we will serve you promptly."),
    gettext_noop("Thank you for your valuable comments on our work. Thank you, goodbye!"),
)
# Lines of CALLBACK_SCRIPT said only when the customer raises a problem (numbered from 0).
CALLBACK_SCRIPT_IF_PROBLEM = (4, 5)

# 撥打電話 1–3, with 電話禮儀 4–6 (before, during and after the call), in the order of the call.
OUTBOUND_CALL_ETIQUETTE = (
    gettext_noop("Before you dial, work out what you will say and how."),
    gettext_noop("When the call is answered, greet the other side first, then introduce yourself."),
    gettext_noop("Use polite forms; say clearly whom you want to speak to and what the call is about."),
    gettext_noop("Keep the call short."),
    gettext_noop("At the end of the call, say: “Thank you (sorry to have troubled you). Goodbye.”"),
    gettext_noop("Let the other side hang up first, then hang up yourself."),
)


@dataclass(frozen=True)
class Line:
    words: Label
    if_problem: bool = False


@dataclass(frozen=True)
class Script:
    callback: list[Line]
    etiquette: list[Label]


def callback_script() -> Script:
    return Script(
        callback=[
            Line(bilingual(m), if_problem=i in CALLBACK_SCRIPT_IF_PROBLEM) for i, m in enumerate(CALLBACK_SCRIPT)
        ],
        etiquette=[bilingual(msgid) for msgid in OUTBOUND_CALL_ETIQUETTE],
    )
