"""The monthly complaint summary as a file, for head-office automation (R-C11):

python manage.py monthly_summary 2026-10 --format xlsx -o summary.xlsx [--office CODE]
"""

import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Office
from complaints.choices import Channel
from complaints.models import Department
from complaints.reports import exports
from complaints.reports.figures import monthly_figures, parse_report_month
from customers.models import Tier
from helpdesk.dates import last_complete_month


class Command(BaseCommand):
    help = "Write the monthly complaint summary (the complaint classification record table) of a month as XLSX or CSV."

    def add_arguments(self, parser):
        parser.add_argument("month", nargs="?", help="The month, YYYY-MM (default: the previous month).")
        parser.add_argument(
            "--format", dest="fmt", choices=exports.FORMATS, default="xlsx", help="xlsx (default) or csv."
        )
        parser.add_argument(
            "-o",
            "--output",
            help="The file to write (default: complaint-summary-YYYY-MM.<format> in the current directory).",
        )
        parser.add_argument("--office", help="Only this office (its code).")
        parser.add_argument("--department", help="Only this department (its id or name).")
        parser.add_argument("--channel", choices=Channel.values, help="Only this intake channel.")
        parser.add_argument("--tier", choices=Tier.values, help="Only customers of this tier.")
        parser.add_argument(
            "--language",
            default=settings.LANGUAGE_CODE,
            choices=[code for code, _name in settings.LANGUAGES],
            help="Language of the headings (default: %(default)s).",
        )
        parser.add_argument(
            "--timing",
            action="store_true",
            help="Report on standard error how long the figures took and how many queries they used.",
        )

    def handle(
        self,
        *args,
        month=None,
        fmt="xlsx",
        output=None,
        office=None,
        department=None,
        channel=None,
        tier=None,
        language=None,
        timing=False,
        **options,
    ):
        try:
            month = parse_report_month(month) if month else last_complete_month()
        except ValueError as error:
            raise CommandError(str(error)) from None
        office_obj = None
        if office:
            office_obj = Office.objects.filter(code=office).first()
            if office_obj is None:
                known = ", ".join(Office.objects.order_by("code").values_list("code", flat=True)) or "none"
                raise CommandError(f"No office with the code “{office}” (known: {known}).")
        department_obj = None
        if department:
            lookup = {"pk": int(department)} if department.isdigit() else {"name": department}
            department_obj = Department.objects.filter(**lookup).first()
            if department_obj is None:
                raise CommandError(f"No department “{department}”.")

        path = Path(output or f"complaint-summary-{month:%Y-%m}.{fmt}")
        if path.is_dir() or not path.parent.exists():
            raise CommandError(f"Cannot write “{path}”: give a file in an existing directory.")

        started = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            figures = monthly_figures(
                month=month,
                office=office_obj,
                department=department_obj,
                channel=channel,
                tier=tier,
                include_complaints=fmt == "xlsx",
            )
        elapsed = time.perf_counter() - started
        content = exports.build(figures, fmt, language=language)
        if timing:
            self.stderr.write(
                f"monthly_figures({figures['month_label']}): {elapsed:.3f} s, "
                f"{len(queries.captured_queries)} queries, {figures['current']['received']} complaints"
            )
        try:
            path.write_bytes(content)
        except OSError as error:
            raise CommandError(f"Cannot write “{path}”: {error.strerror or error}.") from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Wrote {path} ({fmt.upper()}, {len(content):,} bytes): {figures['current']['received']} complaints "
                f"received in {figures['month_label']}."
            )
        )
