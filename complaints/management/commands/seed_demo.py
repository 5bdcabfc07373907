"""Demo data: one user per role, offices, departments, A/B/C customers and complaints in
every state. Idempotent; refused unless DEBUG or --force."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from accounts.models import Office, Role
from complaints.choices import CallbackMethod, Channel, EscalationCause
from complaints.models import Category, Complaint, Department
from customers.models import Customer

DEMO_PASSWORD = "helpdesk-demo"

USERS = [
    # username, role, first name, last name, is_staff, office code
    ("agent", Role.AGENT, "Li", "Na", False, "riverside"),
    ("supervisor", Role.SUPERVISOR, "Wang", "Fang", True, "riverside"),
    ("handler", Role.DEPARTMENT_HANDLER, "Zhang", "Wei", False, "riverside"),
    ("manager", Role.MANAGER, "Chen", "Jing", True, "head"),
    ("info", Role.CUSTOMER_INFO, "Liu", "Yang", False, "riverside"),
    ("agent2", Role.AGENT, "Zhao", "Lei", False, "harbour"),
    ("supervisor2", Role.SUPERVISOR, "Huang", "Min", True, "harbour"),  # every office has one (R-T1)
]
OFFICES = [
    ("head", "Head-office customer service centre", True),
    ("riverside", "Riverside Garden office", False),
    ("harbour", "Harbour View office", False),
]
CUSTOMERS = [
    ("City Water Authority", "A", "Government unit"),
    ("Eastern Dyeing Works", "A", "Scale 25,000 t"),
    ("Greenfield Foods", "B", "Second-contract potential, 15,000 t"),
    ("Mr Huang, Building 3-1202", "C", "Ordinary customer"),
    ("Ms Sun, Building 5-0801", "C", "Ordinary customer"),
]


class Command(BaseCommand):
    help = "Load demo users (password 'helpdesk-demo'), offices, customers and complaints."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Run even when DEBUG is off.")

    def handle(self, *args, force=False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_demo creates users with a known password; it runs only with DEBUG on or with --force."
            )
        with transaction.atomic():
            offices = {
                code: Office.objects.update_or_create(code=code, defaults={"name": name, "is_head_office": head})[0]
                for code, name, head in OFFICES
            }
            users = {}
            for username, role, first, last, staff, office in USERS:
                user, created = get_user_model().objects.get_or_create(
                    username=username,
                    defaults={
                        "first_name": first,
                        "last_name": last,
                        "is_staff": staff,
                        "office": offices[office],
                        "email": f"{username}@example.com",
                    },
                )
                if created:
                    user.set_password(DEMO_PASSWORD)
                    user.save()
                user.groups.add(Group.objects.get(name=role))
                users[username] = user
            handler = users["handler"]
            handler.department = Department.objects.get(name="Engineering and repairs")
            handler.save(update_fields=["department"])
            customers = [
                Customer.objects.get_or_create(name=n, defaults={"tier": t, "tier_reason": r, "phone": "13800138000"})[
                    0
                ]
                for n, t, r in CUSTOMERS
            ]
            # the agent is the demo customers' account manager; their visits are planned (R-CU3)
            Customer.objects.filter(pk__in=[c.pk for c in customers], account_manager__isnull=True).update(
                account_manager=users["agent"]
            )
            from followups.planning import plan_visits  # the demo seeds every app; followups builds on complaints

            plan_visits()
            if Complaint.objects.filter(office=offices["riverside"]).exists():
                self.stdout.write("Demo complaints already present; users and lists refreshed.")
                return
            self._complaints(users, offices, customers)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data loaded: users {', '.join(u[0] for u in USERS)} with password '{DEMO_PASSWORD}'."
            )
        )

    def _complaints(self, users, offices, customers):
        agent, supervisor, handler = users["agent"], users["supervisor"], users["handler"]
        cat = {c.code: c for c in Category.objects.all()}
        repairs = Department.objects.get(name="Engineering and repairs")
        now = timezone.now()

        def log(subject, category, channel=Channel.PHONE, actor=agent, office=offices["riverside"], **extra):
            fields = {
                "complainant_name": "Mr Huang",
                "contact_phone": "13912345678",
                "incident_place": "Building 3",
                "incident_at": now - timedelta(hours=3),
                "subject": subject,
                "category": cat[category],
                "description": f"{subject}. The complainant asks for it to be fixed quickly.",
            }
            fields.update(extra)
            return Complaint.log(actor=actor, office=office, channel=channel, **fields)

        log("Water leaking from the ceiling in the corridor", "repairs")  # received
        c = log("Garbage not collected for two days", "cleaning", channel=Channel.WALK_IN)
        c.agree_reply_time(actor=agent, reply_due_at=now + timedelta(hours=20))  # in progress
        c = log(
            "Guard was rude at the north gate",
            "service-attitude",
            channel=Channel.WALK_IN,
            is_emotional=True,
            persons_involved="Night-shift guard",
        )
        c.move_up(
            actor=agent, cause=EscalationCause.EMOTIONAL, to_user=supervisor, note="Still agitated after five minutes."
        )
        c = log("Management fee charged twice in October", "fees", customer=customers[3])
        c.propose_solution(actor=agent, solution="Refund the duplicate charge with the next bill.")  # proposed
        c = log("Lift stops between floors", "repairs", customer=customers[4])
        c.assign_department(actor=agent, department=repairs)
        c.record_findings(actor=handler, findings="Door sensor worn; part ordered.")
        c.propose_solution(actor=handler, solution="Replace the door sensor within three days.")
        c.record_answer(actor=agent, accepted=True)
        c.commit_completion(
            actor=handler, completion_at=now + timedelta(days=2), note="Part arrives tomorrow; told the customer."
        )  # handling
        c = log("Street light broken by the playground", "security")
        c.agree_reply_time(actor=agent, reply_due_at=now + timedelta(hours=12))
        c.propose_solution(actor=agent, solution="Electrician replaces the lamp today.")
        c.record_answer(actor=agent, accepted=True)
        c.mark_handled(actor=agent, note="Lamp replaced at 16:00.")  # resolved
        c = log("Parcel left outside in the rain", "delivery", customer=customers[2], channel=Channel.ONLINE)
        c.propose_solution(actor=agent, solution="Compensate the damaged goods.")
        c.record_answer(actor=agent, accepted=True)
        c.mark_handled(actor=agent, note="Compensation paid.")
        c.decline_callback(actor=agent, note="Customer says no need to call back.")  # callback declined
        c = log("Noise from renovation after 22:00", "noise", channel=Channel.WALK_IN)
        c.resolve_on_the_spot(
            actor=agent,
            resolution="Explained the renovation hours rule; spoke to the neighbour at once.",
            signoff_name="Mr Huang",
            satisfied=True,
        )  # closed on the spot
        c = log("Drinking water tastes of chlorine", "product-quality", customer=customers[0])
        c.propose_solution(actor=agent, solution="Flush the tank and test the water.")
        c.record_answer(actor=agent, accepted=False, note="Wants a lab test first.", to_user=supervisor)
        c.propose_solution(actor=supervisor, solution="Independent lab test, results shared within 48 h.")
        c.record_answer(actor=supervisor, accepted=True)
        c.mark_handled(actor=supervisor, note="Lab test passed; tank flushed.")
        c.record_callback(
            actor=supervisor,
            method=CallbackMethod.PHONE,
            satisfied=True,
            answers={"about_result": "Satisfied with the test."},
        )  # closed after call-back
        c = log(
            "Anonymous letter about dirty stairwell",
            "cleaning",
            channel=Channel.LETTER,
            complainant_name="",
            is_anonymous=True,
            contact_phone="",
        )
        c.propose_solution(actor=agent, solution="Extra cleaning round on Fridays.")
        c.record_answer(actor=agent, accepted=True)
        c.mark_handled(actor=agent, note="Extra round scheduled.")  # closed, no call-back needed
        log("Parking barrier broken", "security", actor=users["agent2"], office=offices["harbour"])
