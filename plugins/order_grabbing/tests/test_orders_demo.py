"""The ``seed_demo`` part: July 2024 of orders in the demo city, and its ranking (JF-ORD-1..4)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from rich.console import Console

from jifen.clock import MovableClock
from jifen.config import load_config
from jifen.demo import REVIEWERS, config_path
from jifen.model import SubjectCreate
from jifen.platform import Platform
from jifen_order_grabbing import Orders, OrderState
from jifen_order_grabbing.demo import month_start, run_july


def test_jf_ord_3_the_demo_runs_a_month_of_orders_and_prints_the_ranking(
        platform: Platform) -> None:
    clock = MovableClock(datetime(2024, 6, 30, 1, 0, tzinfo=UTC))
    demo = Platform(platform.db, clock=clock, pm=platform.pm, master_key=b"k" * 32)
    config = load_config(config_path()).model_copy(update={"code": f"ordos-{uuid.uuid4().hex[:8]}"})
    tenant = demo.apply_config(config, approved_by="test").tenant.id
    name, grid, unit = REVIEWERS[0]
    reviewer = demo.create_subject(tenant, SubjectCreate(
        type="resident", name=name, org_unit_code=grid, external_ref=f"demo:{name}"))
    demo.grant_role(tenant, reviewer.id, "reviewer", unit)
    for resident in ("李娜", "王强"):
        demo.create_subject(tenant, SubjectCreate(type="resident", name=resident, org_unit_code=grid,
                                                  external_ref=f"demo:{resident}"))
    console = Console(record=True, width=160)
    run_july(demo, tenant, clock, console)
    orders = Orders(demo).list_orders(tenant)
    assert len(orders) == 10 and {o.state for o in orders} == {OrderState.VERIFIED}
    assert sum(o.send_backs for o in orders) == 1 and sum(o.reopened for o in orders) == 1
    assert len(Orders(demo).lapses(tenant)) == 1
    assert sum(1 for o in orders if o.reporter_claim_id) == 2
    ranking = Orders(demo).ranking(tenant, date(2024, 7, 1), date(2024, 7, 31))
    assert sum(r.points for r in ranking) == sum(o.reward for o in orders)
    assert [r.lapsed for r in ranking if "交警" in r.name] == [1]
    text = console.export_text()
    assert "考核 department ranking 2024-07-01 – 2024-07-31" in text
    assert demo.audit(tenant).ok


def test_the_demo_month_starts_in_july_or_after_an_earlier_plugins_story() -> None:
    assert str(month_start(datetime(2024, 6, 30, 1, 0, tzinfo=UTC))) == "2024-07-01 00:00:00+08:00"
    later = month_start(datetime(2024, 8, 5, 17, 0, tzinfo=UTC))  # 01:00 on 6 August, Beijing
    assert str(later) == "2024-08-07 00:00:00+08:00"
