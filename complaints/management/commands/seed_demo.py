"""Demo data: one user per role, offices, departments with their heads, A/B/C customers and
complaints in every state. In Simplified Chinese by default (the people who try the helpdesk
work in Chinese, and the zh-hans catalogue is Simplified); `--english` loads the same set in
English. Idempotent; refused unless DEBUG or --force."""

from datetime import timedelta
from typing import NamedTuple

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from accounts.models import ExecutivePost, Office, Role
from complaints.choices import CallbackMethod, Channel, EscalationCause
from complaints.models import Category, Complaint, Department
from customers.models import Customer

DEMO_PASSWORD = "helpdesk-demo"
ZH, EN = "zh", "en"

# The departments seeded by complaints/migrations/0002 (stored in English, shown translated).
REPAIRS, CLEANING = "Engineering and repairs", "Cleaning"


class DemoUser(NamedTuple):
    username: str
    role: str
    # Chinese names go whole into first_name, so get_full_name() reads 王芳 (not "芳 王" or "王 芳")
    name_zh: str
    first_en: str
    last_en: str
    is_staff: bool
    office: str
    department: str | None = None
    executive_post: str = ""


USERS = [
    DemoUser("agent", Role.AGENT, "李娜", "Li", "Na", False, "riverside"),
    DemoUser("supervisor", Role.SUPERVISOR, "王芳", "Wang", "Fang", True, "riverside"),
    DemoUser("handler", Role.DEPARTMENT_HANDLER, "张伟", "Zhang", "Wei", False, "riverside", REPAIRS),
    DemoUser("handler2", Role.DEPARTMENT_HANDLER, "孙丽", "Sun", "Li", False, "riverside", CLEANING),
    DemoUser("manager", Role.MANAGER, "陈静", "Chen", "Jing", True, "head"),
    DemoUser("info", Role.CUSTOMER_INFO, "刘洋", "Liu", "Yang", False, "riverside"),
    DemoUser("agent2", Role.AGENT, "赵磊", "Zhao", "Lei", False, "harbour"),
    DemoUser("supervisor2", Role.SUPERVISOR, "黄敏", "Huang", "Min", True, "harbour"),  # every office has one (R-T1)
    # the executives of R-CU3's senior visits (分管领导 / 总裁): read-only dashboards across offices
    DemoUser(
        "division_head", Role.EXECUTIVE, "周建国", "Zhou", "Jianguo", False, "head", None, ExecutivePost.DIVISION_HEAD
    ),
    DemoUser("president", Role.EXECUTIVE, "郑志远", "Zheng", "Zhiyuan", False, "head", None, ExecutivePost.PRESIDENT),
]
# the department each handler heads (R-C8 level 2); a head set in the admin is kept
DEPARTMENT_HEADS = {REPAIRS: "handler", CLEANING: "handler2"}
# each office's supervisor on duty (R-T1's receiver at level 1); the head office has no
# supervisor, its manager takes that place. One set in the admin is kept.
ON_DUTY = {"riverside": "supervisor", "harbour": "supervisor2", "head": "manager"}
OFFICES = {
    # code: (Chinese name, English name, head office)
    "head": ("总部客户服务中心", "Head-office customer service centre", True),
    "riverside": ("河畔花园管理处", "Riverside Garden office", False),
    "harbour": ("海景苑管理处", "Harbour View office", False),
}


class DemoCustomer(NamedTuple):
    tier: str
    name: dict[str, str]
    reason: dict[str, str]
    contact: dict[str, str]
    address: dict[str, str]


CUSTOMERS = [
    DemoCustomer(
        "A",
        {ZH: "市自来水公司", EN: "City Water Authority"},
        {ZH: "政府单位", EN: "Government unit"},
        {ZH: "周科长", EN: "Section chief Zhou"},
        {ZH: "滨江路 18 号", EN: "18 Binjiang Road"},
    ),
    DemoCustomer(
        "A",
        {ZH: "东方印染有限公司", EN: "Eastern Dyeing Works"},
        {ZH: "规模 25,000 吨", EN: "Scale 25,000 t"},
        {ZH: "吴经理", EN: "Mr Wu, plant manager"},
        {ZH: "工业园区纺织路 6 号", EN: "6 Textile Road, Industrial Park"},
    ),
    DemoCustomer(
        "B",
        {ZH: "绿野食品有限公司", EN: "Greenfield Foods"},
        {ZH: "有二次签约潜力，15,000 吨", EN: "Second-contract potential, 15,000 t"},
        {ZH: "马主管", EN: "Ms Ma, purchasing"},
        {ZH: "河畔花园商业街 12 号铺", EN: "Shop 12, Riverside Garden high street"},
    ),
    DemoCustomer(
        "C",
        {ZH: "黄先生（3 号楼 1202 室）", EN: "Mr Huang, Building 3-1202"},
        {ZH: "普通客户", EN: "Ordinary customer"},
        {ZH: "黄先生", EN: "Mr Huang"},
        {ZH: "河畔花园 3 号楼 1202 室", EN: "Riverside Garden, Building 3, flat 1202"},
    ),
    DemoCustomer(
        "C",
        {ZH: "孙女士（5 号楼 801 室）", EN: "Ms Sun, Building 5-0801"},
        {ZH: "普通客户", EN: "Ordinary customer"},
        {ZH: "孙女士", EN: "Ms Sun"},
        {ZH: "河畔花园 5 号楼 801 室", EN: "Riverside Garden, Building 5, flat 801"},
    ),
]

# The complaints' words; _complaints() walks each through its states with the same calls in
# both languages. Every story: subject, description, place.
TEXTS: dict[str, dict[str, str]] = {
    ZH: {
        "complainant": "黄先生",
        "complainants": "黄先生|陈女士|刘先生|赵女士|周先生|吴女士|徐先生|孙女士|马先生|朱女士",
        "leak": "走廊天花板漏水",
        "leak_text": "3 号楼 12 层走廊天花板漏水，地面积水，业主担心老人小孩滑倒，要求尽快维修。",
        "leak_place": "3 号楼 12 层走廊",
        "garbage": "垃圾两天没有清运",
        "garbage_text": "5 号楼楼下垃圾桶两天没有清运，气味很大，苍蝇多。",
        "garbage_place": "5 号楼垃圾收集点",
        "guard": "北门保安态度恶劣",
        "guard_text": "业主晚上回家忘带门禁卡，北门保安不让进门，说话很不客气。",
        "guard_place": "小区北门岗亭",
        "guard_person": "夜班保安",
        "guard_note": "五分钟后情绪仍然激动，已请主任接待。",
        "fee": "十月物业费重复收取",
        "fee_text": "十月物业费从银行账户扣了两次，要求退还多收的费用。",
        "fee_place": "管理处收费窗口",
        "fee_solution": "下期账单中退还重复收取的物业费。",
        "lift": "电梯在楼层之间停运",
        "lift_text": "5 号楼 2 号电梯运行中突然停在 6 楼和 7 楼之间，困人十分钟。",
        "lift_place": "5 号楼 2 号电梯",
        "lift_findings": "门机感应器磨损，已订购配件。",
        "lift_solution": "三天内更换门机感应器，更换前停用该电梯。",
        "lift_commit": "配件明天到货，已告知业主。",
        "light": "儿童游乐场旁路灯损坏",
        "light_text": "儿童游乐场旁边的路灯一周没亮，晚上很黑，存在安全隐患。",
        "light_place": "中心花园儿童游乐场",
        "light_solution": "电工今天更换灯泡。",
        "light_done": "16:00 已更换灯泡，路灯恢复照明。",
        "parcel": "快递包裹被放在门外淋雨",
        "parcel_text": "快递员把包裹放在单元门外，下雨淋湿，货物受损。",
        "parcel_place": "2 号楼单元门口",
        "parcel_solution": "赔偿受损货物，并通知快递员送到驿站。",
        "parcel_done": "已支付赔偿。",
        "parcel_declined": "客户表示无需回访。",
        "noise": "晚上 22 点后装修噪音扰民",
        "noise_text": "楼上住户晚上 22 点后还在装修，电钻声很大，影响休息。",
        "noise_place": "3 号楼 1302 室",
        "noise_resolution": "说明了小区装修时间规定，并立即上门与邻居沟通，噪音已停止。",
        "water": "饮用水有明显氯味",
        "water_text": "自来水有明显氯味，担心水箱清洗后消毒剂残留。",
        "water_place": "1 号楼二次供水水箱",
        "water_solution": "清洗水箱并检测水质。",
        "water_rejected": "要求先做第三方化验。",
        "water_solution2": "委托第三方机构化验，48 小时内告知结果。",
        "water_done": "水质化验合格，水箱已重新清洗。",
        "water_answer": "对化验结果满意。",
        "stairs": "匿名来信：楼梯间脏乱",
        "stairs_text": "来信反映 4 号楼楼梯间长期无人打扫，堆放杂物，影响消防通道。",
        "stairs_place": "4 号楼楼梯间",
        "stairs_solution": "每周五增加一次保洁，并清理楼梯间杂物。",
        "stairs_done": "已安排增加保洁并清理杂物。",
        "parking": "停车场道闸损坏",
        "parking_text": "地下停车场出口道闸抬不起来，车辆排队无法出场。",
        "parking_place": "地下停车场出口",
    },
    EN: {
        "complainant": "Mr Huang",
        "complainants": "Mr Huang|Ms Chen|Mr Liu|Ms Zhao|Mr Zhou|Ms Wu|Mr Xu|Ms Sun|Mr Ma|Ms Zhu",
        "leak": "Water leaking from the ceiling in the corridor",
        "leak_text": "Water drips from the corridor ceiling on the 12th floor of Building 3 and pools on the "
        "floor; the owner fears the elderly and children will slip and asks for a quick repair.",
        "leak_place": "Building 3, 12th-floor corridor",
        "garbage": "Garbage not collected for two days",
        "garbage_text": "The bins below Building 5 have not been emptied for two days; they smell and draw flies.",
        "garbage_place": "Building 5 bin store",
        "guard": "Guard was rude at the north gate",
        "guard_text": "The owner forgot the access card late at night; the guard at the north gate would not "
        "let them in and spoke rudely.",
        "guard_place": "North gate guardhouse",
        "guard_person": "Night-shift guard",
        "guard_note": "Still agitated after five minutes; the supervisor takes over.",
        "fee": "Management fee charged twice in October",
        "fee_text": "October's management fee was debited twice from the bank account; please refund it.",
        "fee_place": "Office cashier's desk",
        "fee_solution": "Refund the duplicate charge with the next bill.",
        "lift": "Lift stops between floors",
        "lift_text": "Lift 2 of Building 5 stopped between the 6th and 7th floors with people inside for ten minutes.",
        "lift_place": "Building 5, lift 2",
        "lift_findings": "Door sensor worn; part ordered.",
        "lift_solution": "Replace the door sensor within three days; the lift stays off until then.",
        "lift_commit": "Part arrives tomorrow; told the customer.",
        "light": "Street light broken by the playground",
        "light_text": "The street light next to the playground has been out for a week; it is dark and unsafe.",
        "light_place": "Central garden playground",
        "light_solution": "Electrician replaces the lamp today.",
        "light_done": "Lamp replaced at 16:00.",
        "parcel": "Parcel left outside in the rain",
        "parcel_text": "The courier left the parcel outside the building door; it got wet in the rain and the goods "
        "were damaged.",
        "parcel_place": "Building 2 entrance",
        "parcel_solution": "Compensate the damaged goods and tell the courier to use the parcel station.",
        "parcel_done": "Compensation paid.",
        "parcel_declined": "Customer says no need to call back.",
        "noise": "Noise from renovation after 22:00",
        "noise_text": "The flat upstairs renovates after 22:00 with loud drilling; the family cannot sleep.",
        "noise_place": "Building 3, flat 1302",
        "noise_resolution": "Explained the renovation hours rule; spoke to the neighbour at once and the noise "
        "stopped.",
        "water": "Drinking water tastes of chlorine",
        "water_text": "The tap water tastes strongly of chlorine; the owner fears disinfectant left after the tank "
        "was cleaned.",
        "water_place": "Building 1 water tank",
        "water_solution": "Flush the tank and test the water.",
        "water_rejected": "Wants an independent lab test first.",
        "water_solution2": "Independent lab test, results shared within 48 h.",
        "water_done": "Lab test passed; tank flushed again.",
        "water_answer": "Satisfied with the test.",
        "stairs": "Anonymous letter about dirty stairwell",
        "stairs_text": "The letter says the stairwell of Building 4 is never cleaned and clutter blocks the fire "
        "escape.",
        "stairs_place": "Building 4 stairwell",
        "stairs_solution": "Extra cleaning round on Fridays; clear the stairwell.",
        "stairs_done": "Extra round scheduled; stairwell cleared.",
        "parking": "Parking barrier broken",
        "parking_text": "The exit barrier of the underground car park does not lift; cars queue and cannot leave.",
        "parking_place": "Underground car park exit",
    },
}


class Command(BaseCommand):
    help = (
        "Load demo users (password 'helpdesk-demo'), offices, customers and complaints, "
        "in Simplified Chinese (--english for English)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Run even when DEBUG is off.")
        parser.add_argument(
            "--english",
            action="store_true",
            help="English names and complaints instead of Chinese. Run again without it to switch "
            "offices, staff and customers back; complaints are written once, on an empty database.",
        )

    def handle(self, *args, force=False, english=False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_demo creates users with a known password; it runs only with DEBUG on or with --force."
            )
        lang = EN if english else ZH
        with transaction.atomic():
            offices = {}
            for code, (name_zh, name_en, head) in OFFICES.items():
                offices[code] = Office.objects.update_or_create(
                    code=code, defaults={"name": name_en if english else name_zh, "is_head_office": head}
                )[0]
            departments = {d.name: d for d in Department.objects.filter(name__in=[REPAIRS, CLEANING])}
            users = {u.username: self._user(u, offices, departments, english) for u in USERS}
            for name, username in DEPARTMENT_HEADS.items():  # R-C8 level 2
                Department.objects.filter(name=name, head__isnull=True).update(head=users[username])
            for code, username in ON_DUTY.items():  # R-T1 level 1
                Office.objects.filter(code=code, supervisor_on_duty__isnull=True).update(
                    supervisor_on_duty=users[username]
                )
            customers = [self._customer(c, lang) for c in CUSTOMERS]
            # the agent is the demo customers' account manager; their visits are planned (R-CU3)
            Customer.objects.filter(pk__in=[c.pk for c in customers], account_manager__isnull=True).update(
                account_manager=users["agent"]
            )
            from followups.planning import plan_visits  # the demo seeds every app; followups builds on complaints

            plan_visits()
            if Complaint.objects.filter(office=offices["riverside"]).exists():
                self.stdout.write("Demo complaints already present; users and lists refreshed.")
                return
            self._complaints(users, offices, customers, TEXTS[lang])
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data loaded: users {', '.join(u.username for u in USERS)} with password '{DEMO_PASSWORD}'."
            )
        )

    def _user(self, demo: DemoUser, offices, departments, english: bool):
        """Created once with the demo password (a changed password is kept); the names follow
        the language of this run. `language` stays blank: their e-mails use the site's language."""
        first, last = (demo.first_en, demo.last_en) if english else (demo.name_zh, "")
        user, created = get_user_model().objects.get_or_create(
            username=demo.username,
            defaults={
                "first_name": first,
                "last_name": last,
                "is_staff": demo.is_staff,
                "office": offices[demo.office],
                "email": f"{demo.username}@example.com",
                "department": departments.get(demo.department) if demo.department else None,
                "executive_post": demo.executive_post,
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        elif (user.first_name, user.last_name) != (first, last):
            user.first_name, user.last_name = first, last
            user.save(update_fields=["first_name", "last_name"])
        if demo.department and user.department_id is None:
            user.department = departments.get(demo.department)
            user.save(update_fields=["department"])
        if demo.executive_post and not user.executive_post:
            user.executive_post = demo.executive_post
            user.save(update_fields=["executive_post"])
        user.groups.add(Group.objects.get(name=demo.role))
        return user

    def _customer(self, demo: DemoCustomer, lang: str) -> Customer:
        """Found by its name in either language (a database seeded in the other language, or
        before the demo spoke Chinese, is renamed instead of doubled)."""
        values = {
            "name": demo.name[lang],
            "tier_reason": demo.reason[lang],
            "contact_person": demo.contact[lang],
            "address": demo.address[lang],
        }
        customer = Customer.objects.filter(name__in=demo.name.values()).order_by("pk").first()
        if customer is None:
            return Customer.objects.create(tier=demo.tier, phone="13800138000", **values)
        changed = [field for field, value in values.items() if getattr(customer, field) != value]
        if changed:
            for field in changed:
                setattr(customer, field, values[field])
            customer.save(update_fields=changed)
        return customer

    def _complaints(self, users, offices, customers, t: dict[str, str]):
        agent, supervisor, handler = users["agent"], users["supervisor"], users["handler"]
        cat = {c.code: c for c in Category.objects.all()}
        repairs = Department.objects.get(name=REPAIRS)
        now = timezone.now()

        people = iter(zip(t["complainants"].split("|"), range(10), strict=True))

        def log(key, category, channel=Channel.PHONE, actor=agent, office=offices["riverside"], **extra):
            # a different complainant each (the history of one person would list every demo complaint)
            name, n = next(people, (t["complainant"], 0))
            fields = {
                "complainant_name": name,
                "contact_phone": f"1391234{5670 + n}",
                "incident_place": t[f"{key}_place"],
                "incident_at": now - timedelta(hours=3),
                "subject": t[key],
                "category": cat[category],
                "description": t[f"{key}_text"],
            }
            fields.update(extra)
            return Complaint.log(actor=actor, office=office, channel=channel, **fields)

        log("leak", "repairs")  # received
        c = log("garbage", "cleaning", channel=Channel.WALK_IN)
        c.agree_reply_time(actor=agent, reply_due_at=now + timedelta(hours=20))  # in progress
        c = log(
            "guard", "service-attitude", channel=Channel.WALK_IN, is_emotional=True, persons_involved=t["guard_person"]
        )
        c.move_up(actor=agent, cause=EscalationCause.EMOTIONAL, to_user=supervisor, note=t["guard_note"])
        c = log("fee", "fees", customer=customers[3])
        c.propose_solution(actor=agent, solution=t["fee_solution"])  # proposed
        c = log("lift", "repairs", customer=customers[4])
        c.assign_department(actor=agent, department=repairs)
        c.record_findings(actor=handler, findings=t["lift_findings"])
        c.propose_solution(actor=handler, solution=t["lift_solution"])
        c.record_answer(actor=agent, accepted=True)
        c.commit_completion(actor=handler, completion_at=now + timedelta(days=2), note=t["lift_commit"])  # handling
        c = log("light", "security")
        c.agree_reply_time(actor=agent, reply_due_at=now + timedelta(hours=12))
        c.propose_solution(actor=agent, solution=t["light_solution"])
        c.record_answer(actor=agent, accepted=True)
        c.mark_handled(actor=agent, note=t["light_done"])  # resolved
        c = log("parcel", "delivery", customer=customers[2], channel=Channel.ONLINE)
        c.propose_solution(actor=agent, solution=t["parcel_solution"])
        c.record_answer(actor=agent, accepted=True)
        c.mark_handled(actor=agent, note=t["parcel_done"])
        c.decline_callback(actor=agent, note=t["parcel_declined"])  # callback declined
        c = log("noise", "noise", channel=Channel.WALK_IN)
        c.resolve_on_the_spot(
            actor=agent, resolution=t["noise_resolution"], signoff_name=c.complainant_name, satisfied=True
        )  # closed on the spot
        c = log("water", "product-quality", customer=customers[0])
        c.propose_solution(actor=agent, solution=t["water_solution"])
        c.record_answer(actor=agent, accepted=False, note=t["water_rejected"], to_user=supervisor)
        c.propose_solution(actor=supervisor, solution=t["water_solution2"])
        c.record_answer(actor=supervisor, accepted=True)
        c.mark_handled(actor=supervisor, note=t["water_done"])
        c.record_callback(
            actor=supervisor, method=CallbackMethod.PHONE, satisfied=True, answers={"about_result": t["water_answer"]}
        )  # closed after call-back
        c = log("stairs", "cleaning", channel=Channel.LETTER, complainant_name="", is_anonymous=True, contact_phone="")
        c.propose_solution(actor=agent, solution=t["stairs_solution"])
        c.record_answer(actor=agent, accepted=True)
        c.mark_handled(actor=agent, note=t["stairs_done"])  # closed, no call-back needed
        log("parking", "security", actor=users["agent2"], office=offices["harbour"])
