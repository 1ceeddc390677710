"""Faults (issue #9): a settlement run killed (SIGKILL) with its transaction open, then run
again: every redemption is settled exactly once, the merchants' settlement accounts are empty,
the pools' settled accounts hold what was redeemed, and the ledger's audit verifies
(JF-FUND-2, JF-LED-3, JF-LED-6), on SQLite and PostgreSQL. docs/reliability.md reports it."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import func, select

from jifen.platform import Platform
from jifen.testing import assert_books_sound, kill_midway
from jifen_merchant_redemption import tables as mt
from jifen_merchant_redemption.redemption import settlement_account
from jifen_merchant_redemption.settlement import settled_account
from jifen_merchant_redemption.testing import make_shop


def runs(platform: Platform, tenant_id: uuid.UUID) -> int:
    with platform.db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(mt.settlement_runs).where(
            mt.settlement_runs.c.tenant_id == tenant_id)).scalar_one())


def test_jf_fund_2_settlement_killed_in_flight_settles_everything_once_on_rerun(
        platform: Platform) -> None:
    shop = make_shop(platform)
    other = shop.service.add_merchant(shop.tenant_id, "超市 market", "community",
                                      category="retail")
    shop.fund(20_000)
    first = shop.redeem(1000)
    shop.service.settle(shop.tenant_id)  # the pool's settled account exists from here on
    platform.clock.advance(timedelta(minutes=5))  # type: ignore[attr-defined]
    later = [shop.redeem(2000), shop.redeem(3000),
             shop.service.redeem(shop.tenant_id, other.id, 10_000, shop.pay_code(), "other")]

    kill_midway(platform, shop.tenant_id,  # its one commit is the settlement's own
                "from jifen_merchant_redemption.service import MerchantRedemption\n"
                "MerchantRedemption(platform).settle(tenant_id)", 1)
    assert runs(platform, shop.tenant_id) == 1
    assert all(shop.service.redemption(shop.tenant_id, r.id).settled_at is None for r in later)
    assert platform.audit(shop.tenant_id).ok

    report = shop.service.settle(shop.tenant_id)
    assert report.redemptions == 3 and report.points == sum(r.points for r in later)
    assert shop.service.settle(shop.tenant_id).run_id is None
    assert runs(platform, shop.tenant_id) == 2
    for merchant in (shop.merchant.id, other.id):
        assert platform.ledger.balance(shop.tenant_id, settlement_account(merchant)) == 0
    assert platform.ledger.balance(shop.tenant_id, settled_account("test-pool")) == \
        first.points + sum(r.points for r in later)
    lines = shop.service.report(shop.tenant_id)
    assert sum(line.settled_points for line in lines) == sum(line.redeemed_points for line in lines)
    assert_books_sound(platform, shop.tenant_id)
