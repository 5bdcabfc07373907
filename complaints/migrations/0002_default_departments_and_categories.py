"""Sensible default departments and categories (editable in the admin afterwards).
The names are stored in English and shown translated (see Category.__str__)."""

from django.db import migrations
from django.utils.translation import gettext_noop

DEPARTMENTS = [
    gettext_noop("Customer service centre"),
    gettext_noop("Engineering and repairs"),
    gettext_noop("Cleaning"),
    gettext_noop("Security"),
    gettext_noop("Finance and fees"),
    gettext_noop("Landscaping"),
    gettext_noop("Logistics and delivery"),
]
CATEGORIES = [
    ("repairs", gettext_noop("Repairs")),
    ("cleaning", gettext_noop("Cleaning")),
    ("security", gettext_noop("Security")),
    ("fees", gettext_noop("Fees and billing")),
    ("service-attitude", gettext_noop("Service attitude")),
    ("delivery", gettext_noop("Delivery")),
    ("product-quality", gettext_noop("Product quality")),
    ("noise", gettext_noop("Noise and neighbours")),
    ("other", gettext_noop("Other")),
]


def seed(apps, schema_editor):
    Department = apps.get_model("complaints", "Department")
    Category = apps.get_model("complaints", "Category")
    for name in DEPARTMENTS:
        Department.objects.get_or_create(name=name)
    for code, name in CATEGORIES:
        Category.objects.get_or_create(code=code, defaults={"name": name})


class Migration(migrations.Migration):
    dependencies = [("complaints", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
