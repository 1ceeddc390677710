"""July 2024 in the demo city (康巴什区): the problem list at work (JF-ORD-1..4).

Four district departments with their remits; the 团结社区 community posts ten problems, from
inspections and from residents' photo reports (随手拍); departments grab them, complete them
with evidence and are rewarded from the district's pool once verified. One completion is sent
back, one order lapses and is reopened for another department, one reporter confirms and is
rewarded, another stays silent past their days. The month ends with the assessment ranking.
The month is July 2024, unless a plugin seeded before this one has moved the demo's clock
past its start: then it starts at the next midnight (the clock never goes back).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.table import Table

from jifen import subjects
from jifen.clock import MovableClock
from jifen.model import Subject, SubjectCreate
from jifen.platform import Platform
from jifen_order_grabbing.models import Order, OrderPost
from jifen_order_grabbing.ranking import ranking_table
from jifen_order_grabbing.service import Orders

COMMUNITY = "ordos.kbs.hbgx.tuanjie"
G1, G2 = f"{COMMUNITY}.g01", f"{COMMUNITY}.g02"
DISTRICT = "ordos.kbs"
REVIEWER = "demo:社区审核员 高洁"
DEPARTMENTS = (
    ("demo:dept-1", "区城市管理综合执法局 city management", ("sanitation", "greenery")),
    ("demo:dept-2", "区住房和城乡建设局 housing and construction", ("facility", "road")),
    ("demo:dept-3", "区市场监督管理局 market supervision", ("sanitation", "food_safety")),
    ("demo:dept-4", "公安分局交警大队 traffic police", ("traffic", "road")),
)
STAFF = (("demo:staff-1", "城管队员 乔峰", 20), ("demo:staff-2", "城管队员 段誉", 15))
# (key, grid, category, description, reward, reporter, days allowed)
PROBLEMS = (
    ("o1", G1, "sanitation", "3号楼垃圾站满溢 overflowing bins at block 3", 300, "李娜", 3),
    ("o2", G2, "facility", "小区路灯不亮 street lamp out", 200, None, 5),
    ("o3", G1, "road", "人行道地砖松动 loose paving stones", 400, None, 4),
    ("o4", G2, "greenery", "绿地枯树存在倒伏隐患 dead tree may fall", 500, None, 5),
    ("o5", G1, "traffic", "学校门口违停 illegal parking at the school gate", 250, None, 2),
    ("o6", G2, "food_safety", "早市摊点无证经营 unlicensed stall", 350, "王强", 5),
    ("o7", G1, "sanitation", "楼道堆放杂物 clutter in a stairwell", 150, None, 3),
    ("o8", G2, "facility", "健身器材损坏 broken fitness equipment", 300, None, 6),
    ("o9", G1, "road", "井盖缺失 missing manhole cover", 600, None, 2),
    ("o10", G2, "greenery", "草坪被踩出小路 trampled lawn", 100, None, 7),
)


BEIJING = ZoneInfo("Asia/Shanghai")
JULY = datetime(2024, 7, 1, tzinfo=BEIJING)


def month_start(now: datetime) -> datetime:
    """Where the story's month starts: 1 July 2024, or — when a plugin seeded before us has
    moved the clock past it — the next midnight (Beijing time), since the clock never goes
    back."""
    if now <= JULY:
        return JULY
    return datetime.combine(now.astimezone(BEIJING).date() + timedelta(days=1), time(),
                            BEIJING)


@dataclass
class _Story:
    platform: Platform
    orders: Orders
    tenant_id: uuid.UUID
    clock: MovableClock
    departments: dict[str, Subject]
    reviewer: Subject
    posted: dict[str, Order]
    start: datetime

    def dept(self, ref: str) -> uuid.UUID:
        return self.departments[f"demo:dept-{ref}"].id

    def order(self, key: str) -> uuid.UUID:
        return self.posted[key].id

    def at(self, day: int, hour: int = 9) -> None:
        """Move the clock to ``hour`` o'clock (Beijing) of the month's ``day``."""
        moment = self.start + timedelta(days=day - 1, hours=hour)
        self.clock.set(max(self.clock.now(), moment.astimezone(UTC)))


def run_july(platform: Platform, tenant_id: uuid.UUID, clock: MovableClock,
             console: Console) -> None:
    """Seed the month and print what happened and the ranking (the ``seed_demo`` hook)."""
    start = month_start(clock.now())
    story = _Story(platform, Orders(platform), tenant_id, clock, {},
                   _find(platform, tenant_id, REVIEWER), {}, start)
    story.at(1, 8)
    story.departments = _departments(platform, tenant_id)
    _first_week(story)
    _second_half(story)
    story.at(31, 18)
    story.orders.reopen_overdue(tenant_id)
    _print(story, console)


def _find(platform: Platform, tenant_id: uuid.UUID, ref: str) -> Subject:
    with platform.db.read() as conn:
        found = subjects.find_by_external_ref(conn, tenant_id, ref)
    assert found is not None, ref
    return found


def _subject(platform: Platform, tenant_id: uuid.UUID, request: SubjectCreate) -> Subject:
    assert request.external_ref is not None
    with platform.db.read() as conn:
        existing = subjects.find_by_external_ref(conn, tenant_id, request.external_ref)
    return existing or platform.create_subject(tenant_id, request)


def _departments(platform: Platform, tenant_id: uuid.UUID) -> dict[str, Subject]:
    orders, made = Orders(platform), {}
    for ref, name, categories in DEPARTMENTS:
        made[ref] = _subject(platform, tenant_id, SubjectCreate(
            type="department", name=name, org_unit_code=DISTRICT, external_ref=ref))
        orders.set_remit(tenant_id, made[ref].id, categories, actor="demo")
    staff = {_subject(platform, tenant_id, SubjectCreate(
        type="resident", name=name, org_unit_code=G1, external_ref=ref)).id: share
        for ref, name, share in STAFF}
    orders.set_staff(tenant_id, made["demo:dept-1"].id, staff, actor="demo")
    return made


def _post(story: _Story, *keys: str) -> None:
    for key, grid, category, text, reward, reporter, days in PROBLEMS:
        if key not in keys:
            continue
        reporter_id = _find(story.platform, story.tenant_id, f"demo:{reporter}").id \
            if reporter else None
        story.posted[key] = story.orders.post(story.tenant_id, OrderPost(
            idempotency_key=f"demo:{key}", community=COMMUNITY, grid=grid, category=category,
            description=text, reward=reward, reporter_id=reporter_id,
            deadline=story.clock.now() + timedelta(days=days)), story.reviewer.id)


def _done(story: _Story, key: str, dept: str, evidence: str) -> None:
    story.orders.complete(story.tenant_id, story.order(key), story.dept(dept), evidence)


def _verify(story: _Story, key: str) -> None:
    story.orders.verify(story.tenant_id, story.order(key), story.reviewer.id)


def _first_week(story: _Story) -> None:
    o, t = story.orders, story.tenant_id
    _post(story, "o1", "o2", "o3", "o4", "o5", "o6")
    story.at(1, 10)
    for key, dept in (("o1", "1"), ("o2", "2"), ("o3", "4"), ("o4", "1"), ("o5", "4"),
                      ("o6", "3")):
        o.grab(t, story.order(key), story.dept(dept))
    story.at(2, 15)
    _done(story, "o1", "1", "photo:sha256:5d1e…清运后照片")
    _done(story, "o2", "2", "工单 ZJ-2024-0702-11")
    _done(story, "o4", "1", "photo:枯树已扶正")
    _done(story, "o5", "4", "违停车辆已拖离, 增设禁停标志")
    story.at(3, 9)
    o.confirm(t, story.order("o1"), _find(story.platform, t, "demo:李娜").id)
    for key in ("o1", "o2", "o5"):
        _verify(story, key)
    o.send_back(t, story.order("o4"), story.reviewer.id, "枯树应移除而非扶正 remove the dead tree")
    story.at(4, 11)
    _done(story, "o4", "1", "photo:枯树已移除, 补种新苗")
    _done(story, "o6", "3", "执法文书 SJ-0704-02")
    story.at(5, 9)
    _verify(story, "o4")
    story.at(6, 9)
    o.reopen_overdue(t)  # o3: the traffic police let it lapse; housing takes it over
    o.grab(t, story.order("o3"), story.dept("2"))
    story.at(7, 10)
    _done(story, "o3", "2", "photo:地砖已重新铺设")
    _verify(story, "o3")
    story.at(9, 10)
    _verify(story, "o6")  # 王强 stayed silent past his 3 days: verified


def _second_half(story: _Story) -> None:
    o, t = story.orders, story.tenant_id
    story.at(15, 9)
    _post(story, "o7", "o8", "o9", "o10")
    story.at(15, 9)
    for key, dept in (("o7", "3"), ("o8", "2"), ("o9", "2"), ("o10", "1")):
        o.grab(t, story.order(key), story.dept(dept))
    story.at(16, 14)
    for key, dept, evidence in (("o7", "3", "photo:楼道已清理"), ("o8", "2", "工单 ZJ-0716-03"),
                                ("o9", "2", "photo:井盖已补装")):
        _done(story, key, dept, evidence)
    story.at(17, 9)
    for key in ("o7", "o8", "o9"):
        _verify(story, key)
    story.at(20, 10)
    _done(story, "o10", "1", "photo:草坪已补种, 设置围栏")
    story.at(21, 9)
    _verify(story, "o10")


def _print(story: _Story, console: Console) -> None:
    table = Table("order", "category", "state", "reward", "source", "sent back", "reopened",
                  title=f"团结社区 problem list from {story.start.date()} (网格下单、全员抢单)")
    for order in story.orders.list_orders(story.tenant_id):
        table.add_row(str(order.id)[-8:], order.category, order.state.value, str(order.reward),
                      order.source, str(order.send_backs), str(order.reopened))
    console.print(table)
    reporter = story.posted["o1"].reporter_id
    if reporter is not None:
        console.print(f"李娜, who reported o1, holds "
                      f"{story.platform.balance(story.tenant_id, reporter, 'material')} "
                      "material points")
    since = story.start.date()
    until = since + timedelta(days=30)
    console.print(ranking_table(story.orders.ranking(story.tenant_id, since, until), since, until))
