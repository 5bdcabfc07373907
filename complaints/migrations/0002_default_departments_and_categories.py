"""Sensible default departments and categories (editable in the admin afterwards).
The names are stored in English and shown translated (see Category.__str__)."""
from django.db import migrations
from django.utils.translation import gettext_noop as N_

DEPARTMENTS = [N_("Customer service centre"), N_("Engineering and repairs"), N_("Cleaning"),
               N_("Security"), N_("Finance and fees"), N_("Landscaping"), N_("Logistics and delivery")]
CATEGORIES = [
    ("repairs", N_("Repairs")), ("cleaning", N_("Cleaning")), ("security", N_("Security")),
    ("fees", N_("Fees and billing")), ("service-attitude", N_("Service attitude")),
    ("delivery", N_("Delivery")), ("product-quality", N_("Product quality")),
    ("noise", N_("Noise and neighbours")), ("other", N_("Other")),
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
