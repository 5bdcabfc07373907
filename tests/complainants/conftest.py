"""Fixtures of the complainant's side: an office with its staff, and an online complaint made
through the public form's service (the one intake method)."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.utils import timezone

from complainants import services
from complainants.models import Source
from complaints.models import Category


@pytest.fixture(autouse=True)
def _fresh_limits():
    """Rate-limit counters live in the cache: each test starts with none."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def category(db):
    return Category.objects.filter(is_active=True, is_public=True).order_by("id").first()


def online_fields(category, **overrides):
    fields = {
        "complainant_name": "王小明",
        "contact_phone": "13912345678",
        "contact_email": "wang@example.com",
        "incident_place": "3号楼1202室",
        "incident_at": timezone.now() - timezone.timedelta(hours=2),
        "category": category,
        "subject": "楼上漏水",
        "description": "卫生间天花板漏水三天了，物业没人来看。",
    }
    fields.update(overrides)
    return fields


@pytest.fixture
def submit(office, category):
    """submit(**fields) -> Submitted: an online complaint as the public form makes it."""

    def make(**overrides):
        return services.submit_online(
            office=office,
            fields=online_fields(category, **overrides),
            via=Source.WEB,
            language="zh-hans",
            consented=True,
        )

    return make
