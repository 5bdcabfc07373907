"""seed_demo: one user per role, complaints in every state, idempotent, refused in production;
Chinese by default, English behind --english."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from accounts.models import ExecutivePost, Office, Role
from complaints.choices import CloseReason, Status
from complaints.models import Complaint, ComplaintEvent, Department
from customers.models import Customer

pytestmark = pytest.mark.django_db


def test_refused_unless_debug_or_force(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_demo")
    assert not get_user_model().objects.exists()


def test_loads_every_role_and_state_and_is_idempotent(settings):
    settings.DEBUG = True
    call_command("seed_demo")
    counts = (
        get_user_model().objects.count(),
        Complaint.objects.count(),
        ComplaintEvent.objects.count(),
        Customer.objects.count(),
    )
    call_command("seed_demo")
    call_command("seed_demo", force=True)
    assert (
        get_user_model().objects.count(),
        Complaint.objects.count(),
        ComplaintEvent.objects.count(),
        Customer.objects.count(),
    ) == counts

    User = get_user_model()
    for username, role in [
        ("agent", "agent"),
        ("supervisor", "supervisor"),
        ("handler", "department_handler"),
        ("manager", "manager"),
        ("info", "customer_info"),
        ("division_head", "executive"),
        ("president", "executive"),
    ]:
        user = User.objects.get(username=username)
        assert user.check_password("helpdesk-demo")
        assert user.groups.filter(name=role).exists()
    assert set(Complaint.objects.values_list("status", flat=True)) == set(Status.values)
    closed_reasons = set(Complaint.objects.filter(status=Status.CLOSED).values_list("close_reason", flat=True))
    assert closed_reasons >= {CloseReason.ON_THE_SPOT, CloseReason.CALLBACK_SATISFIED, CloseReason.NO_CALLBACK_NEEDED}
    assert set(Customer.objects.values_list("tier", flat=True)) == {"A", "B", "C"}
    assert all(c.events.exists() for c in Complaint.objects.all())


CJK = re.compile(r"[\u4e00-\u9fff]")


def test_the_demo_is_in_chinese_by_default(settings):
    settings.DEBUG = True
    call_command("seed_demo")
    User = get_user_model()
    assert User.objects.get(username="supervisor").get_full_name() == "王芳"
    assert all(CJK.search(str(u)) for u in User.objects.all())
    assert all(CJK.search(o.name) for o in Office.objects.all())
    assert all(CJK.search(c.name) and CJK.search(c.address) for c in Customer.objects.all())
    for complaint in Complaint.objects.all():
        assert CJK.search(complaint.subject) and CJK.search(complaint.description), complaint.subject
        assert CJK.search(complaint.incident_place), complaint.incident_place
    assert Complaint.objects.filter(subject__contains="漏水").exists()
    assert Complaint.objects.filter(subject__contains="电梯").exists()
    # Simplified, as the zh-hans catalogue: no traditional forms of the words the demo uses
    words = " ".join(Complaint.objects.values_list("subject", flat=True))
    assert not set("電處樓費問題") & set(words)


def test_english_behind_a_flag(settings):
    settings.DEBUG = True
    call_command("seed_demo", english=True)
    User = get_user_model()
    assert User.objects.get(username="supervisor").get_full_name() == "Wang Fang"
    assert Office.objects.get(code="riverside").name == "Riverside Garden office"
    assert Customer.objects.filter(name="City Water Authority").exists()
    texts = [*Complaint.objects.values_list("subject", "description", "incident_place")]
    assert texts and not any(CJK.search(" ".join(row)) for row in texts)
    assert not any(CJK.search(str(u)) for u in User.objects.all())


def test_switching_language_renames_instead_of_doubling(settings):
    settings.DEBUG = True
    call_command("seed_demo", english=True)
    counts = (get_user_model().objects.count(), Office.objects.count(), Customer.objects.count())
    call_command("seed_demo")
    assert (get_user_model().objects.count(), Office.objects.count(), Customer.objects.count()) == counts
    assert Office.objects.get(code="riverside").name == "河畔花园管理处"
    assert Customer.objects.filter(name="市自来水公司").exists()
    assert not Customer.objects.filter(name="City Water Authority").exists()


def test_supervisors_on_duty_department_heads_and_executives(settings):
    settings.DEBUG = True
    call_command("seed_demo")
    User = get_user_model()
    duty = dict(Office.objects.values_list("code", "supervisor_on_duty__username"))
    assert duty == {"riverside": "supervisor", "harbour": "supervisor2", "head": "manager"}
    for office in Office.objects.filter(is_head_office=False):  # the one on duty is a supervisor of that office
        assert office.supervisor_on_duty.office_id == office.pk
        assert office.supervisor_on_duty.has_role(Role.SUPERVISOR)
    heads = dict(Department.objects.exclude(head=None).values_list("name", "head__username"))
    assert heads == {"Engineering and repairs": "handler", "Cleaning": "handler2"}
    for department in Department.objects.exclude(head=None):
        assert department.head.department_id == department.pk
    executives = {u.username: u for u in User.objects.filter(groups__name=Role.EXECUTIVE)}
    assert {name: u.executive_post for name, u in executives.items()} == {
        "division_head": ExecutivePost.DIVISION_HEAD,
        "president": ExecutivePost.PRESIDENT,
    }
    assert all(u.check_password("helpdesk-demo") for u in executives.values())
    assert all(u.has_perm("complaints.view_all_offices") for u in executives.values())
    assert set(User.objects.values_list("language", flat=True)) == {""}  # the site's language


def test_an_admins_choices_are_kept(settings):
    settings.DEBUG = True
    call_command("seed_demo")
    riverside = Office.objects.get(code="riverside")
    other = get_user_model().objects.get(username="agent")
    Office.objects.filter(pk=riverside.pk).update(supervisor_on_duty=other)
    Department.objects.filter(name="Cleaning").update(head=other)
    call_command("seed_demo")
    assert Office.objects.get(pk=riverside.pk).supervisor_on_duty == other
    assert Department.objects.get(name="Cleaning").head == other
