"""The rows `seed_bench` writes: complaints with their events, customers, visits and
notifications, generated deterministically from a seed (times count back from `now`).

Everything here is plain Python producing tuples of column values; the command streams them
into PostgreSQL with COPY. A complaint's story decides its columns and its events together, so
every row satisfies the model's constraints and reads as the lifecycle would have left it:

- received over `months` months before `now`, in time order (ids follow received_at, so the
  table is physically in time order, as a live system writes it);
- most complaints closed (satisfied at call-back, handled without call-back, on the spot,
  auto-closed after a declined call-back, a few merged duplicates), the recent ones still open;
- about one in ten moved up (level 1, 2, a few 3), with the events the lifecycle writes;
- exactly `due` complaints due for each periodic rule R-T1 … R-T4 at `now`, the other open
  ones not due (their guards set or their deadlines ahead);
- Chinese subjects and descriptions from a small corpus (so searches mean something):
  data.SEARCH_2CHAR in about 3 %, data.SEARCH_4CHAR in about 1 %, data.SEARCH_LATIN in about
  0.5 %, data.SEARCH_2CHAR_NO_MATCH never; data.PHONE_WITH_FOUR on exactly four complaints.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from . import data

HOUR = 3600.0
DAY = 24 * HOUR

# (category name as seeded by complaints/migrations/0002, department name, subjects)
TOPICS: list[tuple[str, str, list[str]]] = [
    (
        "Repairs",
        "Engineering and repairs",
        [
            "厨房天花板漏水",
            "卫生间漏水影响楼下",
            "电梯故障困人",
            "电梯故障停运两天",
            "楼道灯坏了一周没人修",
            "外墙瓷砖脱落",
            "门禁系统失灵",
            "地下车库排水不畅",
            "空调外机支架松动",
            "阳台漏水渗到卧室",
        ],
    ),
    ("Cleaning", "Cleaning", ["垃圾清运不及时", "楼道卫生差", "电梯轿厢有异味", "绿化带有积水蚊虫多"]),
    ("Security", "Security", ["外来人员随意进出", "夜间巡逻不到位", "车辆被刮无人处理", "快递被盗"]),
    ("Fees and billing", "Finance and fees", ["物业费收费标准有疑问", "停车费重复扣费", "发票迟迟未开"]),
    ("Service attitude", "Customer service centre", ["前台服务态度差", "电话多次无人接听", "维修人员态度恶劣"]),
    ("Delivery", "Logistics and delivery", ["送货延误三天", "货物破损", "配送人员未按约定时间上门"]),
    ("Product quality", "Engineering and repairs", ["新装热水器漏水", "门锁质量问题", "WiFi 信号差网络经常断线"]),
    ("Noise and neighbours", "Security", ["楼上装修噪音扰民", "广场舞噪音太大", "邻居占用公共走道"]),
    ("Other", "Customer service centre", ["小区 WiFi 无法连接", "公告栏信息未更新", "建议增加儿童游乐设施"]),
]
# Sentences of a description; each ends with its punctuation so that two joined never form a
# word across them (data.SEARCH_2CHAR_NO_MATCH must not occur anywhere).
SENTENCES = [
    "已经反映过两次，一直没有处理。",
    "希望管理处尽快派人来看看。",
    "家里老人孩子都受到影响。",
    "昨晚开始出现，今天早上更严重了。",
    "邻居也有同样的问题。",
    "请给一个明确的处理时间。",
    "如果再不处理，我们将向业委会反映。",
    "上次维修后没过多久又出现同样情况。",
    "物业人员来看过，但没有后续。",
    "要求赔偿损失并书面道歉。",
    "天花板已经开始发霉。",
    "晚上十点以后仍然很吵。",
    "电话打了很多次都说在处理。",
    "希望加强日常巡查。",
    "已经拍照留存，可以提供。",
]
LEAK_SENTENCE = "墙角一直漏水，地板都泡坏了。"
LIFT_SENTENCE = "最近电梯故障频繁，出行非常不便。"
WIFI_SENTENCE = "公共区域的 WiFi 经常连不上。"
PLACES = [
    "{b} 号楼 {f}{r:02d} 室",
    "{b} 号楼电梯厅",
    "地下车库 B{f} 层",
    "小区东门",
    "小区南门岗亭",
    "{b} 号楼楼道",
    "中心花园",
    "会所前台",
    "商业街 {r} 号铺",
]
SURNAMES = (
    "王李张刘陈杨黄赵周吴徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
TITLES = ["先生", "女士", "阿姨", "师傅"]
COMPANY_WORDS = ["华润", "东方", "绿野", "恒信", "新世纪", "远航", "金桥", "瑞丰", "宏达", "天元", "海川", "锦程"]
COMPANY_KINDS = ["食品有限公司", "印染厂", "物流有限公司", "科技有限公司", "餐饮管理有限公司", "贸易有限公司"]
CHANNELS = [("phone", 40), ("walk_in", 25), ("online", 20), ("letter", 5), ("field_visit", 10)]
CAUSES = ["emotional", "beyond_authority", "solution_rejected", "deadline_missed", "callback_unsatisfied"]
CALLBACK_METHODS = ["phone", "door_visit", "online_reply", "questionnaire"]
NOTE_REPLY = "已联系投诉人，说明处理安排。"
NOTE_PROGRESS = "维修人员已上门查看，正在安排材料。"
NOTE_HANDLED = "已处理完毕，现场恢复正常。"
NOTE_CALLBACK = "回访：投诉人表示满意。"


def ts(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


@dataclass
class People:
    """The staff and departments the rows refer to (ids from the database)."""

    offices: list[int]  # the offices complaints are received at
    office_weights: list[float]
    agents: dict[int, list[int]]  # office id → agent ids
    supervisors: dict[int, list[int]]  # office id → supervisor ids
    handlers: list[int]
    categories: dict[str, int]  # name → id
    departments: dict[str, int]  # name → id
    department_heads: dict[int, int]  # department id → head user id
    staff: list[int] = field(default_factory=list)  # every member of staff (notifications)


@dataclass
class CustomerRow:
    pk: int
    name: str
    tier: str
    phone: str
    email: str
    office_weight: float = 1.0


@dataclass
class Story:
    """One complaint's columns and events."""

    row: dict[str, object]
    events: list[tuple[float, str, str, str, int | None, int | None, str, dict[str, object], int | None]]


class Generator:
    def __init__(
        self,
        *,
        seed: int,
        complaints: int,
        first_id: int,
        now: datetime,
        months: int,
        people: People,
        customers: Sequence[CustomerRow],
        due: int,
    ) -> None:
        self.rnd = random.Random(seed)
        self.n = complaints
        self.first_id = first_id
        self.now = now.timestamp()
        self.start = self.now - months * 30.44 * DAY
        self.people = people
        self.customers = customers
        self.due = due
        # the complaints that are due for each rule: drawn among the last 90 days' complaints
        window_start = max(self.start, self.now - 90 * DAY)
        times = sorted(self.rnd.uniform(self.start, self.now - 600) for _ in range(complaints))
        self.times = times
        first_in_window = next((i for i, t in enumerate(times) if t >= window_start), len(times))
        window = list(range(first_in_window, len(times)))
        # the complaints received in the last 3 days are not drawn: their stories are fresh
        window = [i for i in window if times[i] < self.now - 3 * DAY] or window
        picked = self.rnd.sample(window, min(len(window), 4 * due))
        self.due_rule: dict[int, str] = {}
        for k, index in enumerate(picked):
            self.due_rule[index] = ("reply", "progress", "completion", "autoclose")[k % 4]
        self.phone_four = {complaints // 5, 2 * complaints // 5, 3 * complaints // 5, 4 * complaints // 5}
        # repeat complainants: a pool of phones about a third the size of the complaints
        pool = max(10, complaints // 3)
        self.phones = [
            f"1{self.rnd.choice('3589')}{self.rnd.randrange(1, 10)}{self.rnd.randrange(10**8):08d}" for _ in range(pool)
        ]
        self.channels = [c for c, _ in CHANNELS]
        self.channel_weights = [w for _, w in CHANNELS]
        self.tier_weighted = [c for c in customers for _ in range({"A": 8, "B": 3, "C": 1}[c.tier])]

    # -------------------------------------------------------------------- texts
    def _person(self) -> str:
        return self.rnd.choice(SURNAMES) + self.rnd.choice(TITLES)

    def _place(self) -> str:
        return self.rnd.choice(PLACES).format(
            b=self.rnd.randrange(1, 30), f=self.rnd.randrange(1, 33), r=self.rnd.randrange(1, 9)
        )

    def _texts(self) -> tuple[str, str, str, str]:
        """(category name, department name, subject, description)."""
        category, department, subjects = self.rnd.choice(TOPICS)
        subject = self.rnd.choice(subjects)
        sentences = self.rnd.sample(SENTENCES, self.rnd.randrange(2, 5))
        roll = self.rnd.random()
        if roll < 0.015:
            sentences.insert(0, LEAK_SENTENCE)
        elif roll < 0.022:
            sentences.insert(0, LIFT_SENTENCE)
        elif roll < 0.025:
            sentences.insert(0, WIFI_SENTENCE)
        return category, department, subject, "".join(sentences)

    # -------------------------------------------------------------------- one story
    def stories(self) -> Iterator[Story]:
        for index in range(self.n):
            yield self.story(index)

    def story(self, index: int) -> Story:  # noqa: C901, PLR0912, PLR0915 — one complaint's whole life
        rnd, people = self.rnd, self.people
        pk = self.first_id + index
        t0 = self.times[index]
        age = self.now - t0
        office = rnd.choices(people.offices, people.office_weights)[0]
        agents = people.agents[office]
        channel = rnd.choices(self.channels, self.channel_weights)[0]
        category, department_name, subject, description = self._texts()
        receiver = rnd.choice(agents)
        row: dict[str, object] = {
            "id": pk,
            "channel": channel,
            "received_at": t0,
            "office_id": office,
            "received_by_id": receiver,
            "category_id": people.categories[category],
            "subject": subject,
            "description": description,
            "incident_place": self._place(),
            "incident_at": t0 - rnd.uniform(0.2 * HOUR, 30 * HOUR),
            "status": "closed",
            "close_reason": "",
            "escalation_level": 0,
            "reply_due_at": t0 + rnd.choice((2, 4, 8, 24)) * HOUR,
        }
        anonymous = rnd.random() < 0.02
        customer = None
        if anonymous:
            row["is_anonymous"] = True
        elif rnd.random() < 0.4 and self.tier_weighted:
            customer = rnd.choice(self.tier_weighted)
            row["customer_id"] = customer.pk
            row["contact_phone"] = customer.phone
            row["complainant_name"] = self._person()
            row["contact_email"] = customer.email if rnd.random() < 0.5 else ""
        else:
            row["complainant_name"] = self._person()
            row["contact_phone"] = rnd.choice(self.phones)
            if rnd.random() < 0.1:
                row["contact_email"] = f"user{rnd.randrange(10**6)}@example.com"
            if rnd.random() < 0.05:
                row["contact_wechat"] = f"wx_{rnd.randrange(10**7)}"
        if index in self.phone_four:
            row["contact_phone"] = data.PHONE_WITH_FOUR
            row.pop("customer_id", None)
            row["is_anonymous"] = False
            row["complainant_name"] = row.get("complainant_name") or self._person()
        row["is_emotional"] = rnd.random() < 0.06
        row["is_sensitive"] = rnd.random() < 0.02
        events: list = []

        def event(at, kind, frm="", to="", from_level=None, to_level=None, note="", payload=None, actor=receiver):
            events.append((at, kind, frm, to, from_level, to_level, note, payload or {}, actor))

        event(t0, "received", "", "received", payload={"channel": channel})
        department = people.departments.get(department_name)
        handler_head = people.department_heads.get(department) if department else None

        due = self.due_rule.get(index)
        if due is not None:
            self._due_story(row, due, t0, event, receiver, department)
            return Story(row, events)

        # escalations: about one in ten complaints moved up, before or while handling
        level = 0
        roll = rnd.random()
        target_level = 3 if roll < 0.005 else 2 if roll < 0.03 else 1 if roll < 0.10 else 0
        t = t0
        if target_level:
            for lvl in range(1, target_level + 1):
                t += rnd.uniform(0.5 * HOUR, 20 * HOUR)
                cause = rnd.choice(CAUSES)
                to_user = rnd.choice(people.supervisors[office]) if lvl == 1 else handler_head or receiver
                event(
                    t,
                    "moved_up",
                    "received" if lvl == 1 else "in_progress",
                    "received" if lvl == 1 else "in_progress",
                    lvl - 1,
                    lvl,
                    payload={"escalation_cause": cause, "to_user": to_user},
                )
                level = lvl
                receiver_after = to_user
            row["assignee_id"] = receiver_after
        row["escalation_level"] = level

        on_the_spot = channel == "walk_in" and not target_level and rnd.random() < 0.35
        if on_the_spot:
            closed = t0 + rnd.uniform(600, 3 * HOUR)
            row.update(
                first_replied_at=closed,
                resolved_at=None,
                closed_at=closed,
                close_reason="on_the_spot",
                signoff_name=row.get("complainant_name") or "签收人",
                signed_off_at=closed,
                resolution="现场处理完毕，投诉人签字确认。",
                apologised=True,
            )
            event(
                closed,
                "resolved_on_the_spot",
                "received",
                "closed",
                level,
                level,
                "现场处理完毕。",
                {"signoff_name": row["signoff_name"], "apologised": True, "satisfied": True},
            )
            return Story(row, events)

        replied = max(t + 600, t0 + rnd.uniform(0.3 * HOUR, 20 * HOUR))
        if age < 3 * DAY and rnd.random() < 0.5:
            # fresh, not replied yet: its reply time is ahead (or already marked overdue)
            row["status"] = "received"
            row["reply_due_at"] = min(max(t0 + 24 * HOUR, self.now + 2 * HOUR), t0 + 24 * HOUR)
            if row["reply_due_at"] <= self.now:  # type: ignore[operator]
                row["reply_overdue_at"] = row["reply_due_at"]
            row["progress_due_at"] = self.now + rnd.uniform(1, 20) * HOUR
            return Story(row, events)
        row["first_replied_at"] = replied
        event(replied, "replied", "received", "in_progress", level, level, NOTE_REPLY)
        if department and rnd.random() < 0.5:
            row["department_id"] = department
            event(
                replied + 600,
                "department_assigned",
                "in_progress",
                "in_progress",
                level,
                level,
                payload={"department": department, "department_name": department_name},
            )
        progress = replied + rnd.uniform(2 * HOUR, 30 * HOUR)
        if rnd.random() < 0.6:
            event(progress, "progress_reported", "in_progress", "in_progress", level, level, NOTE_PROGRESS)
            row["last_progress_at"] = progress
        handled = progress + rnd.uniform(1 * HOUR, 72 * HOUR)

        open_roll = rnd.random()
        still_open = (age < 14 * DAY and open_roll < 0.5) or (age < 60 * DAY and open_roll < 0.08) or open_roll < 0.002
        if still_open or handled > self.now:
            # open and not due: working with its progress report flagged already, or resolved
            if rnd.random() < 0.6:
                row["status"] = "in_progress"
                row["progress_due_at"] = progress + 24 * HOUR
                row["progress_flagged_at"] = progress + 24 * HOUR
                if row["progress_due_at"] > self.now:  # type: ignore[operator]
                    row.pop("progress_flagged_at")
                return Story(row, events)
            resolved = min(handled, self.now - 60)
            row.update(status="resolved", resolved_at=resolved, resolution=NOTE_HANDLED)
            event(resolved, "handled", "in_progress", "resolved", level, level, NOTE_HANDLED, {"needs_callback": True})
            return Story(row, events)

        close_roll = rnd.random()
        if close_roll < 0.01 and index > 0:
            row.update(
                close_reason="merged", closed_at=replied + 900, merged_into_id=pk - rnd.randrange(1, min(index, 50) + 1)
            )
            event(
                replied + 900, "merged", "in_progress", "closed", level, level, payload={"into": row["merged_into_id"]}
            )
            return Story(row, events)
        row.update(resolved_at=handled, resolution=NOTE_HANDLED)
        if close_roll < 0.18 or row.get("is_anonymous") or row.get("is_sensitive"):
            row.update(close_reason="no_callback_needed", closed_at=handled, resolved_at=None)
            event(handled, "handled", "in_progress", "closed", level, level, NOTE_HANDLED, {"needs_callback": False})
            return Story(row, events)
        event(handled, "handled", "in_progress", "resolved", level, level, NOTE_HANDLED, {"needs_callback": True})
        callback = handled + rnd.uniform(2 * HOUR, 48 * HOUR)
        if close_roll < 0.27:
            declined_due = callback + 7 * DAY
            row.update(callback_declined_at=callback, auto_close_due_at=declined_due)
            event(callback, "callback_declined", "resolved", "callback_declined", level, level)
            if declined_due > self.now:
                row["status"] = "callback_declined"
                return Story(row, events)
            row.update(close_reason="auto_closed", closed_at=declined_due)
            event(declined_due, "auto_closed", "callback_declined", "closed", level, level, actor=None)
            return Story(row, events)
        rating = rnd.choices((5, 4, 3, 2, 1), (55, 30, 9, 4, 2))[0]
        payload: dict[str, object] = {
            "method": rnd.choice(CALLBACK_METHODS),
            "satisfied": True,
            "answers": {},
            "rating": rating,
        }
        if rnd.random() < 0.15:
            payload["via"] = "web"
        row.update(close_reason="callback_satisfied", closed_at=callback)
        event(callback, "callback_recorded", "resolved", "closed", level, level, NOTE_CALLBACK, payload)
        return Story(row, events)

    def _due_story(self, row, rule, t0, event, receiver, department) -> None:
        """An open complaint due for `rule` at now (and due for no other rule)."""
        rnd, now = self.rnd, self.now
        replied = t0 + rnd.uniform(0.3 * HOUR, 20 * HOUR)
        if rule == "reply":  # R-T1: received, no reply, past its reply time
            row.update(status="received", reply_due_at=t0 + 24 * HOUR, progress_due_at=now + 20 * HOUR)
            return
        row["first_replied_at"] = replied
        event(replied, "replied", "received", "in_progress", 0, 0, NOTE_REPLY)
        if rule == "progress":  # R-T2: no progress report within the window
            row.update(status="in_progress", progress_due_at=now - rnd.uniform(60, 20 * HOUR))
            return
        if rule == "completion":  # R-T3: handling past the committed completion date
            committed = now - rnd.uniform(60, 48 * HOUR)
            row.update(
                status="handling",
                department_id=department,
                committed_completion_at=committed,
                progress_due_at=now + 20 * HOUR,
            )
            event(
                replied + HOUR,
                "completion_committed",
                "in_progress",
                "handling",
                0,
                0,
                payload={"committed_completion_at": ts(committed).isoformat()},
            )
            return
        # R-T4: call-back declined more than 7 days ago
        declined = now - rnd.uniform(7.05 * DAY, 12 * DAY)
        handled = min(replied + HOUR, declined - HOUR)
        row.update(
            status="callback_declined",
            resolved_at=handled,
            resolution=NOTE_HANDLED,
            callback_declined_at=declined,
            auto_close_due_at=declined + 7 * DAY,
        )
        event(handled, "handled", "in_progress", "resolved", 0, 0, NOTE_HANDLED, {"needs_callback": True})
        event(declined, "callback_declined", "resolved", "callback_declined", 0, 0)


def company_or_person(rnd: random.Random, tier: str) -> str:
    if tier == "C":
        flat = f"{rnd.randrange(1, 30)} 号楼 {rnd.randrange(1, 33)}{rnd.randrange(1, 9):02d} 室"
        return f"{rnd.choice(SURNAMES)}{rnd.choice(TITLES)}（{flat}）"
    return f"{rnd.choice(COMPANY_WORDS)}{rnd.choice(COMPANY_KINDS)}"


def customers(rnd: random.Random, count: int, first_id: int) -> list[CustomerRow]:
    rows = []
    for i in range(count):
        roll = rnd.random()
        tier = "A" if roll < 0.05 else "B" if roll < 0.25 else "C"
        phone = f"137{i:08d}"
        rows.append(CustomerRow(first_id + i, company_or_person(rnd, tier), tier, phone, f"customer{i}@example.com"))
    return rows


def dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
