"""The merchant-redemption plugin's part of `jifen demo`: two weeks at two partner merchants.

赵敏, who earned 1,600 material points answering surveys, pays part of a 38.00 yuan dinner
with points (30 % cap: 1,140 points, JF-RED-2), spends the rest on 120.00 yuan of groceries
(20 % cap, but only 460 points left), returns 30.00 yuan of them (a proportional refund,
JF-RED-4), and a settlement run bills each pool per merchant (JF-FUND-2). It starts at the demo
clock's current time and only moves the clock forward (`seed_demo`).
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from rich.console import Console
from rich.table import Table

from jifen import subjects
from jifen.clock import MovableClock
from jifen.platform import Platform

from .models import Redemption
from .rules import yuan
from .service import MerchantRedemption

SHOPS = (("demo:merchant-noodles", "团结社区面馆 noodle house", "catering"),
         ("demo:merchant-grocer", "哈巴格希便民超市 grocer", "retail"))
G1 = "ordos.kbs.hbgx.tuanjie.g01"


def seed(platform: Platform, tenant_id: uuid.UUID, clock: MovableClock, console: Console) -> None:
    """Two redemptions, a partial refund and the month's settlement; print the settlement."""
    svc = MerchantRedemption(platform)
    start = clock.now()
    noodles, grocer = (svc.add_merchant(tenant_id, name, G1, category=category, external_ref=ref)
                       for ref, name, category in SHOPS)
    dinner = _redeem(svc, platform, tenant_id, noodles.id, 3800, "dinner")
    groceries = _redeem(svc, platform, tenant_id, grocer.id, 12000, "groceries")
    console.print(f"赵敏 paid a {yuan(dinner.bill_fen)} yuan dinner with {dinner.points} points "
                  f"(−{yuan(dinner.value_fen)} yuan, cap {dinner.cap_percent} %) and used "
                  f"{groceries.points} points on {yuan(groceries.bill_fen)} yuan of groceries")
    clock.set(start + timedelta(days=2))
    refund = svc.refund(tenant_id, groceries.id, 3000, idempotency_key="demo:refund:zhao")
    console.print(f"赵敏 returned {yuan(3000)} yuan of groceries: {refund.points} points back")
    clock.set(start + timedelta(days=14))
    report = svc.settle(tenant_id)
    table = Table("pool", "merchant", "points", "yuan owed",
                  title=f"settlement of {clock.now().date()} (JF-FUND-2)")
    names = {noodles.id: SHOPS[0][1], grocer.id: SHOPS[1][1]}
    for line in report.lines:
        table.add_row(line.pool, names.get(line.merchant_id, str(line.merchant_id)),
                      str(line.points), yuan(line.fen_owed))
    console.print(table)


def _redeem(svc: MerchantRedemption, platform: Platform, tenant_id: uuid.UUID,
            merchant_id: uuid.UUID, bill_fen: int, what: str) -> Redemption:
    with platform.db.read() as conn:
        who = subjects.find_by_external_ref(conn, tenant_id, "demo:赵敏")
    assert who is not None
    code = platform.codes.issue(tenant_id, who.id, "pay")  # shown as a QR code on her phone
    return svc.redeem(tenant_id, merchant_id, bill_fen, code.token, f"demo:redeem:{what}")
