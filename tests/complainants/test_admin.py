"""The complainant's records in the admin: readable, never editable, no token shown."""

import pytest
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("model", ["complainantaccess", "accesstoken", "inboundemail"])
def test_read_only_lists_and_pages(client, submit, model):
    submitted = submit()
    admin = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin)

    listing = client.get(reverse(f"admin:complainants_{model}_changelist"))
    assert listing.status_code == 200
    assert submitted.token not in listing.content.decode()
    assert client.get(reverse(f"admin:complainants_{model}_add")).status_code == 403
    if model != "inboundemail":
        row = listing.context["cl"].result_list[0]
        page = client.get(reverse(f"admin:complainants_{model}_change", args=[row.pk]))
        assert page.status_code == 200
        assert submitted.token not in page.content.decode()
        assert (
            client.post(reverse(f"admin:complainants_{model}_delete", args=[row.pk]), {"post": "yes"}).status_code
            == 403
        )
