"""StaffBackend (accounts/backends.py) answers permissions exactly as Django's ModelBackend —
own, through groups, both, superuser, inactive — in one query per request."""

import pytest
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission

from accounts.backends import StaffBackend
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _perm(codename: str) -> Permission:
    return Permission.objects.get(codename=codename)


def _fresh(user):
    return type(user).objects.get(pk=user.pk)  # no cached permissions


@pytest.fixture
def groups():
    agents = Group.objects.create(name="backend-test-agents")
    agents.permissions.add(_perm("view_complaint"), _perm("add_complaint"))
    heads = Group.objects.create(name="backend-test-heads")
    heads.permissions.add(_perm("view_complaint"), _perm("view_customer"))
    return agents, heads


@pytest.mark.parametrize("case", ["own", "groups", "both", "none", "superuser", "inactive"])
def test_the_same_permissions_as_model_backend(groups, case, django_assert_num_queries):
    agents, heads = groups
    user = UserFactory(is_superuser=case == "superuser", is_active=case != "inactive")
    if case in ("own", "both", "inactive"):
        user.user_permissions.add(_perm("change_complaint"), _perm("view_complaint"))
    if case in ("groups", "both", "inactive"):
        user.groups.add(agents, heads)
    expected = ModelBackend().get_all_permissions(_fresh(user))
    user = _fresh(user)
    with django_assert_num_queries(0 if case == "inactive" else 1):
        assert StaffBackend().get_all_permissions(user) == expected
        assert StaffBackend().get_all_permissions(user) == expected  # cached on the user
    if case == "both":
        assert {"complaints.change_complaint", "complaints.add_complaint", "customers.view_customer"} <= expected


@pytest.mark.parametrize("case", ["own", "groups", "none", "superuser", "inactive", "inactive superuser"])
def test_has_any_perm_answers_as_has_perm(groups, case, django_assert_max_num_queries):
    from django.contrib.auth.models import AnonymousUser

    from accounts.access import has_any_perm

    agents, _heads = groups
    user = UserFactory(is_superuser="superuser" in case, is_active="inactive" not in case)
    if case == "own":
        user.user_permissions.add(_perm("change_complaint"))
    if case == "groups":
        user.groups.add(agents)
    user = _fresh(user)
    asked = [
        ("complaints.change_complaint",),
        ("complaints.add_complaint", "customers.view_customer"),
        ("customers.view_customer",),
        (),
    ]
    with django_assert_max_num_queries(1):
        for perms in asked * 3:
            assert has_any_perm(user, perms) == any(user.has_perm(p) for p in perms), perms
    assert not has_any_perm(AnonymousUser(), ("complaints.view_complaint",))
