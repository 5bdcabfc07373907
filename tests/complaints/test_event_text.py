"""The timeline in words (complaints/event_text.py): every event kind has a rendering, each
reads its data keys (complaints/event_data.py) in English and in Chinese, choices by their
translated labels, dates in local time; nothing outside the contract is shown raw."""

from datetime import UTC, datetime

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from complainants.models import Source
from complainants.notices import KINDS as NOTICE_KINDS
from complaints import event_text
from complaints.choices import CallbackMethod, Channel, EscalationCause, EventKind, OutsideBodyKind
from complaints.models import ComplaintEvent

AT = datetime(2025, 3, 4, 1, 30, tzinfo=UTC)
ISO = AT.isoformat()


def local(at: datetime = AT) -> str:
    return f"{timezone.localtime(at):%Y-%m-%d %H:%M}"


def words(kind: str, data: dict, language: str) -> list[str]:
    """The event's facts as they read on the timeline."""
    event = ComplaintEvent(kind=kind, data=data)
    with translation.override(language):
        facts = event_text.describe(event)
        return [f"{f.label} {f.value}" if f.url else f"{f.label}: {f.value}" if f.label else f.value for f in facts]


def label(choice, language: str) -> str:
    with translation.override(language):
        return str(choice.label)


# kind → its data as the writers record it, and the words in English and in Chinese. A label of
# a choice is its translated label (computed, so the test reads "the choice's label").
SAMPLES = {
    EventKind.RECEIVED: (
        {
            "channel": "letter",
            "received_at": ISO,
            "via": "email",
            "consent": {"version": "2025-01", "accepted_at": ISO, "sha256": "ab" * 32},
        },
        lambda: [
            "Channel: Letter",
            f"Arrived: {local()}",
            "Via: by e-mail",
            "Privacy notice accepted: version 2025-01",
        ],
        lambda: ["渠道: 来信", f"到达时间: {local()}", "途径: 电子邮件", "已接受隐私告知: 版本 2025-01"],
    ),
    EventKind.REPLY_TIME_AGREED: (
        {"reply_due_at": ISO},
        lambda: [f"Reply due: {local()}"],
        lambda: [f"答复期限: {local()}"],
    ),
    EventKind.REPLIED: ({}, list, list),
    EventKind.PROGRESS_REPORTED: ({}, list, list),
    EventKind.RESOLVED_ON_THE_SPOT: (
        {"signoff_name": "王芳", "apologised": True, "satisfied": True, "signature": "signatures/complaints/1/a.png"},
        lambda: ["Signed off by: 王芳", "apologised", "satisfied", "signed by the complainant"],
        lambda: ["签字确认人: 王芳", "已致歉", "满意", "投诉人已签名"],
    ),
    EventKind.MOVED_UP: (
        {"escalation_cause": "emotional", "to_user": 5, "to_user_name": "张主管"},
        lambda: ["Cause: Emotional complainant", "Taken over by: 张主管"],
        lambda: ["上移原因: 投诉人情绪激动", "接手人: 张主管"],
    ),
    EventKind.REASSIGNED: (
        {"from_user": 3, "to_user": 4, "to_user_name": "李娜"},
        lambda: ["New assignee: 李娜"],
        lambda: ["新受理人: 李娜"],
    ),
    EventKind.DEPARTMENT_ASSIGNED: (
        {"department": 1, "department_name": "Engineering and repairs"},
        lambda: ["Department: Engineering and repairs"],
        lambda: ["部门: 工程维修部"],
    ),
    EventKind.FINDINGS_RECORDED: (
        {"apologised_in_person": True},
        lambda: ["apologised in person"],
        lambda: ["已当面致歉"],
    ),
    EventKind.SOLUTION_PROPOSED: ({}, list, list),
    EventKind.SOLUTION_ACCEPTED: (
        {"accepted": True, "via": "web"},
        lambda: ["Complainant's answer: accepted", "Via: online"],
        lambda: ["投诉人的答复: 接受", "途径: 网上"],
    ),
    EventKind.SOLUTION_REJECTED: (
        {"accepted": False, "escalation_cause": "solution_rejected", "to_user": 5, "to_user_name": "张主管"},
        lambda: ["Complainant's answer: rejected", "Cause: Solution rejected", "Taken over by: 张主管"],
        lambda: ["投诉人的答复: 不接受", "上移原因: 投诉人不接受方案", "接手人: 张主管"],
    ),
    EventKind.COMPLETION_COMMITTED: (
        {"committed_completion_at": ISO},
        lambda: [f"Complete by: {local()}"],
        lambda: [f"完成期限: {local()}"],
    ),
    EventKind.HANDLED: ({"needs_callback": True}, lambda: ["call-back needed"], lambda: ["需要回访"]),
    EventKind.CALLBACK_RECORDED: (
        {
            "method": "phone",
            "satisfied": False,
            "rating": 2,
            "answers": {"about_process": "太慢", "suggestions": "早点回电"},
            "escalation_cause": "callback_unsatisfied",
            "to_user": 5,
            "to_user_name": "张主管",
        },
        lambda: [
            "Method: Phone",
            "not satisfied",
            "Rating: 2/5",
            "Opinion of how the complaint was handled: 太慢",
            "Opinions and suggestions: 早点回电",
            "Cause: Unsatisfied at call-back",
            "Taken over by: 张主管",
        ],
        lambda: [
            "方式: 电话",
            "不满意",
            "评分: 2/5",
            "对投诉受理过程的意见: 太慢",
            "意见和建议: 早点回电",
            "上移原因: 回访不满意",
            "接手人: 张主管",
        ],
    ),
    EventKind.CALLBACK_DECLINED: ({"via": "web"}, lambda: ["Via: online"], lambda: ["途径: 网上"]),
    EventKind.AUTO_CLOSED: ({}, list, list),
    EventKind.NOTE_ADDED: ({}, list, list),
    EventKind.TRAINING_CASE_MARKED: ({}, list, list),
    EventKind.REPLY_OVERDUE: (
        {"escalation_cause": "deadline_missed", "reply_due_at": ISO, "to_user": 7, "to_user_name": "张主管"},
        lambda: [f"Reply was due: {local()}", "Cause: Reply deadline missed", "Taken over by: 张主管"],
        lambda: [f"原答复期限: {local()}", "上移原因: 超过答复时限", "接手人: 张主管"],
    ),
    EventKind.PROGRESS_REPORT_DUE: (
        {"progress_due_at": ISO},
        lambda: [f"Progress report was due: {local()}"],
        lambda: [f"进展通报期限: {local()}"],
    ),
    EventKind.COMPLETION_OVERDUE: (
        {"committed_completion_at": ISO},
        lambda: [f"Complete by: {local()}"],
        lambda: [f"完成期限: {local()}"],
    ),
    EventKind.NEWER_COMPLAINT_LINKED: (
        {"newer_complaint": 42},
        lambda: ["Newer complaint #42"],
        lambda: ["新投诉 #42"],
    ),
    EventKind.CLAIMED: ({"to_user": 4, "to_user_name": "李娜"}, lambda: ["Receiver: 李娜"], lambda: ["受理人: 李娜"]),
    EventKind.INFORMATION_ADDED: ({"via": "email"}, lambda: ["Via: by e-mail"], lambda: ["途径: 电子邮件"]),
    EventKind.NOTICE_SENT: (
        {"channel": "sms", "to": "139****5678", "notice_kind": "replied"},
        lambda: ["Sent: SMS → 139****5678", "Notice: reply"],
        lambda: ["已发送: 短信 → 139****5678", "通知: 答复"],
    ),
    EventKind.LINK_REVOKED: ({}, list, list),
    EventKind.MERGED: ({"merged_into": 7}, lambda: ["into #7"], lambda: ["合并至 #7"]),
    EventKind.DUPLICATE_MERGED_IN: ({"duplicate": 8}, lambda: ["duplicate #8"], lambda: ["重复投诉 #8"]),
    EventKind.UNMERGED: ({"merged_into": 7}, lambda: ["out of #7"], lambda: ["原合并至 #7"]),
    EventKind.SATISFACTION_RECHECKED: (
        {"sample_item": 3, "reached": True, "satisfied": True, "rating": 5},
        lambda: ["satisfied", "Rating: 5/5"],
        lambda: ["满意", "评分: 5/5"],
    ),
    EventKind.OUTSIDE_BODY_REFERRED: (
        {
            "outside_body_kind": "owners_committee",
            "outside_body_name": "花园小区业委会",
            "outside_body_contact": "吴主任 13900000000",
            "to_user": 5,
            "to_user_name": "张主管",
        },
        lambda: [
            f"Outside body: {label(OutsideBodyKind.OWNERS_COMMITTEE, 'en')}",
            "Name: 花园小区业委会",
            "Contact: 吴主任 13900000000",
            "Followed in the office by: 张主管",
        ],
        lambda: [
            f"外部单位: {label(OutsideBodyKind.OWNERS_COMMITTEE, 'zh-hans')}",
            "名称: 花园小区业委会",
            "联系方式: 吴主任 13900000000",
            "管理处跟进人: 张主管",
        ],
    ),
    EventKind.OUTSIDE_BODY_ANSWERED: (
        {"outside_body_kind": "public_agency", "outside_body_name": "区住建局", "answered_at": ISO},
        lambda: [
            f"Outside body: {label(OutsideBodyKind.PUBLIC_AGENCY, 'en')}",
            "Name: 区住建局",
            f"Answered at: {local()}",
        ],
        lambda: [
            f"外部单位: {label(OutsideBodyKind.PUBLIC_AGENCY, 'zh-hans')}",
            "名称: 区住建局",
            f"答复时间: {local()}",
        ],
    ),
    EventKind.SPECIAL_INCIDENT_FLAGGED: ({}, list, list),
    EventKind.INCIDENT_CONTAINED: ({}, list, list),
    EventKind.INCIDENT_REPORTED: (
        {"reported_to": "公司安全部", "reported_at": ISO},
        lambda: ["Reported to: 公司安全部", f"Reported at: {local()}"],
        lambda: ["报告对象: 公司安全部", f"报告时间: {local()}"],
    ),
}


def test_every_event_kind_has_a_rendering():
    """Adding an EventKind without a renderer (and a sample here) fails this test."""
    assert set(event_text.RENDERERS) == set(EventKind.values)
    assert set(SAMPLES) == set(EventKind.values)


@pytest.mark.parametrize("kind", list(SAMPLES), ids=str)
def test_each_kind_in_words_in_english_and_chinese(kind):
    data, english, chinese = SAMPLES[kind]
    assert words(kind, data, "en") == english()
    assert words(kind, data, "zh-hans") == chinese()


def test_moved_up_to_an_outside_body_names_the_body_and_who_follows_it():
    data = {
        "escalation_cause": "beyond_authority",
        "to_user": 5,
        "to_user_name": "张主管",
        "outside_body_kind": "company_department",
        "outside_body_name": "集团工程部",
        "outside_body_contact": "010-12345678",
    }
    assert words(EventKind.MOVED_UP, data, "en") == [
        "Cause: Beyond the receiver's authority",
        f"Outside body: {label(OutsideBodyKind.COMPANY_DEPARTMENT, 'en')}",
        "Name: 集团工程部",
        "Contact: 010-12345678",
        "Followed in the office by: 张主管",
    ]
    assert words(EventKind.MOVED_UP, data, "zh-hans")[0] == "上移原因: 超出受理人权限"


@pytest.mark.parametrize(
    ("kind", "data", "english"),
    [
        (EventKind.UNMERGED, {"duplicate": 8}, ["duplicate #8"]),
        (
            EventKind.SATISFACTION_RECHECKED,
            {"reached": False, "satisfied": None, "rating": None},
            ["complainant not reached"],
        ),
        (EventKind.HANDLED, {"needs_callback": False}, ["no call-back needed"]),
        (
            EventKind.RESOLVED_ON_THE_SPOT,
            {"signoff_name": "Li Wei", "apologised": False, "satisfied": True},
            ["Signed off by: Li Wei", "satisfied"],
        ),
        (EventKind.FINDINGS_RECORDED, {"apologised_in_person": False}, []),
        (
            EventKind.CALLBACK_RECORDED,
            {"method": "questionnaire", "satisfied": True, "rating": 5, "via": "web", "answers": {}},
            ["Method: Questionnaire", "satisfied", "Rating: 5/5", "Via: online"],
        ),
        (
            EventKind.CALLBACK_RECORDED,
            {"method": "door_visit", "satisfied": True, "answers": {"operation_normal": "正常"}, "signature": "x.png"},
            [
                "Method: Door visit",
                "satisfied",
                "Is the customer's operation (e.g. sewage treatment) running normally?: 正常",
                "signed by the complainant",
            ],
        ),
    ],
)
def test_the_other_shapes_of_a_kind(kind, data, english):
    assert words(kind, data, "en") == english


@pytest.mark.parametrize(
    ("kind", "data"),
    [
        (EventKind.NOTE_ADDED, {"secret": "internal-id-99", "to_user_name": "not declared for notes"}),
        (EventKind.CALLBACK_RECORDED, {"method": "carrier_pigeon", "rating": 9, "via": "fax", "answers": ["raw"]}),
        (EventKind.REPLY_TIME_AGREED, {"reply_due_at": "next Tuesday"}),
        (EventKind.MERGED, {"merged_into": "7; DROP TABLE"}),
        (EventKind.NOTICE_SENT, {"channel": "pager", "to": "", "notice_kind": ["x"]}),
        (EventKind.RECEIVED, {"channel": 3, "consent": "yes"}),
        (EventKind.MOVED_UP, {"escalation_cause": "because", "outside_body_kind": "aliens"}),
    ],
)
def test_what_is_outside_the_contract_is_not_shown(kind, data):
    assert words(kind, data, "en") == []


def test_a_non_dict_data_is_nothing():
    assert event_text.describe(ComplaintEvent(kind=EventKind.CALLBACK_RECORDED, data=["method", "phone"])) == []


def test_links_go_to_the_other_complaint():
    (fact,) = event_text.describe(ComplaintEvent(kind=EventKind.MERGED, data={"merged_into": 7}))
    assert fact.url == reverse("complaints:detail", args=[7])


def test_the_codes_it_names_are_the_writers_codes():
    """The notice kinds and `via` codes the renderer names are those complainants/ writes."""
    assert set(event_text.NOTICE_KINDS) == set(NOTICE_KINDS)
    assert set(event_text.VIA) == {Source.WEB, Source.EMAIL}
    for choices in (Channel, EscalationCause, CallbackMethod, OutsideBodyKind):
        for value in choices.values:
            assert event_text._choice(choices, value) == str(choices(value).label)


@pytest.mark.parametrize(("language", "expected"), [("en", "the complainant"), ("zh-hans", "投诉人")])
def test_who_took_the_step(language, expected):
    with translation.override(language):
        assert event_text.who(ComplaintEvent(kind=EventKind.CALLBACK_DECLINED, data={"via": "web"})) == expected
        assert event_text.who(ComplaintEvent(kind=EventKind.AUTO_CLOSED, data={})) == (
            "system" if language == "en" else "系统"
        )
