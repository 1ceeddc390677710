"""Refunds within the window, in full or in proportion (JF-RED-4), and settlement runs per pool
and merchant (JF-FUND-2)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from jifen.errors import JifenError
from jifen.ledger import subject_account
from jifen.platform import Platform
from jifen_merchant_redemption.redemption import settlement_account
from jifen_merchant_redemption.settlement import settled_account
from jifen_merchant_redemption.testing import Shop, make_shop


def _lots(shop: Shop) -> list[int]:
    return [lot.remaining for lot in shop.platform.ledger.lots(
        shop.tenant_id, subject_account(shop.resident.id, "material"))]


def _settlement_balance(shop: Shop) -> int:
    return shop.platform.ledger.balance(shop.tenant_id, settlement_account(shop.merchant.id))


def test_jf_red_4_full_refund_reverses_the_redemption(shop: Shop) -> None:
    shop.fund(5000)
    done = shop.redeem(5800)
    refund = shop.service.refund(shop.tenant_id, done.id, idempotency_key="r1")
    assert (refund.refund_fen, refund.points) == (5800, 1740)
    assert shop.balance() == 5000 and _lots(shop) == [5000]
    assert _settlement_balance(shop) == 0
    assert refund.transaction_id is not None
    assert shop.platform.ledger.transaction(
        shop.tenant_id, refund.transaction_id).reverses_id == done.transaction_id
    again = shop.service.refund(shop.tenant_id, done.id, idempotency_key="r1")
    assert again == refund  # JF-LED-3
    with pytest.raises(JifenError) as refused:
        shop.service.refund(shop.tenant_id, done.id, idempotency_key="r2")
    assert refused.value.code == "redemption.fully_refunded"
    assert shop.platform.audit(shop.tenant_id).ok


def test_jf_red_4_partial_refunds_return_points_in_proportion_to_their_lots(shop: Shop) -> None:
    shop.fund(1000, pool="test-pool")
    shop.platform.clock.advance(timedelta(days=365))  # type: ignore[attr-defined]
    shop.fund(5000, pool="sponsor-pool")
    done = shop.redeem(5800)  # 1000 from test-pool's lot, 740 from sponsor-pool's
    first = shop.service.refund(shop.tenant_id, done.id, 1001, idempotency_key="p1")
    assert first.points == 301  # ceil(1740 × 1001 / 5800) = ceil(300.3)
    assert _lots(shop) == [0, 4260 + 301]  # back to the latest-consumed lot first
    second = shop.service.refund(shop.tenant_id, done.id, 4000, idempotency_key="p2")
    assert second.points == 1200  # ceil(1740 × 4000 / 5800) = 1200
    assert _lots(shop) == [761, 5000]
    with pytest.raises(JifenError) as too_much:
        shop.service.refund(shop.tenant_id, done.id, 800, idempotency_key="p3")
    assert too_much.value.code == "redemption.invalid_amount"  # only 799 fen left
    rest = shop.service.refund(shop.tenant_id, done.id, idempotency_key="p4")
    assert (rest.refund_fen, rest.points) == (799, 239)
    assert shop.balance() == 6000 and _lots(shop) == [1000, 5000]
    assert _settlement_balance(shop) == 0
    assert shop.service.redemption(shop.tenant_id, done.id).refunded_points == 1740
    assert shop.platform.audit(shop.tenant_id).ok
    assert len(shop.platform.audit_log(shop.tenant_id, action="redemption.refunded")) == 3


def test_jf_red_4_refund_after_the_window_is_refused(shop: Shop) -> None:
    shop.fund(5000)
    done = shop.redeem(5800)
    shop.platform.clock.advance(timedelta(days=7, seconds=1))  # type: ignore[attr-defined]
    with pytest.raises(JifenError) as refused:
        shop.service.refund(shop.tenant_id, done.id, idempotency_key="late")
    assert refused.value.code == "redemption.refund_window_closed"
    assert shop.balance() == 5000 - 1740


def test_jf_red_4_refund_window_is_per_merchant(shop: Shop) -> None:
    shop.fund(5000)
    strict = shop.service.add_merchant(shop.tenant_id, "快餐 fast food", "community",
                                       category="catering", refund_window_days=1)
    done = shop.service.redeem(shop.tenant_id, strict.id, 1000, shop.pay_code(), "k")
    shop.platform.clock.advance(timedelta(days=2))  # type: ignore[attr-defined]
    with pytest.raises(JifenError) as refused:
        shop.service.refund(shop.tenant_id, done.id, idempotency_key="late")
    assert refused.value.code == "redemption.refund_window_closed"


def test_jf_red_4_unknown_redemption(shop: Shop) -> None:
    with pytest.raises(JifenError) as refused:
        shop.service.refund(shop.tenant_id, uuid.uuid4(), idempotency_key="x")
    assert refused.value.code == "redemption.not_found"


def test_jf_fund_2_settlement_totals_equal_redeemed_minus_refunded(shop: Shop) -> None:
    shop.fund(1000, pool="test-pool")
    shop.fund(9000, pool="sponsor-pool")
    second_merchant = shop.service.add_merchant(shop.tenant_id, "超市 market", "community",
                                                category="retail")
    a = shop.redeem(5800)  # 1740: 1000 test-pool (same expiry: earned first), 740 sponsor
    b = shop.service.redeem(shop.tenant_id, second_merchant.id, 10000, shop.pay_code(), "b")
    c = shop.redeem(1000)
    shop.service.refund(shop.tenant_id, a.id, 2900, idempotency_key="half")  # 870 back
    shop.service.refund(shop.tenant_id, c.id, idempotency_key="all")
    redeemed = a.points + b.points + c.points
    refunded = 870 + c.points
    report = shop.service.settle(shop.tenant_id)
    assert report.redemptions == 3
    assert report.points == redeemed - refunded == report.fen_owed
    by_line = {(line.pool, line.merchant_id): line.points for line in report.lines}
    assert sum(v for (_, m), v in by_line.items() if m == shop.merchant.id) == 1740 - 870
    assert by_line[("sponsor-pool", second_merchant.id)] == 2000
    assert _settlement_balance(shop) == 0
    settled = sum(shop.platform.ledger.balance(shop.tenant_id, settled_account(pool))
                  for pool in ("test-pool", "sponsor-pool"))
    assert settled == redeemed - refunded
    assert shop.service.settle(shop.tenant_id).run_id is None  # idempotent
    with pytest.raises(JifenError) as refused:
        shop.service.refund(shop.tenant_id, a.id, 100, idempotency_key="after")
    assert refused.value.code == "redemption.settled"
    lines = shop.service.report(shop.tenant_id)
    assert sum(line.redeemed_points for line in lines) == redeemed
    assert sum(line.refunded_points for line in lines) == refunded
    assert sum(line.settled_points for line in lines) == redeemed - refunded
    assert all(line.unsettled_points == 0 for line in lines)
    assert shop.platform.audit(shop.tenant_id).ok


def test_jf_fund_2_a_later_run_settles_only_what_is_new(shop: Shop) -> None:
    shop.fund(9000)
    first = shop.redeem(1000)
    run1 = shop.service.settle(shop.tenant_id)
    second = shop.redeem(2000)
    run2 = shop.service.settle(shop.tenant_id)
    assert (run1.points, run2.points) == (first.points, second.points)
    assert shop.service.settle(shop.tenant_id).lines == []
    (entry, _) = shop.platform.audit_log(shop.tenant_id, action="redemption.settlement_run")
    assert entry.entity_id == run1.run_id


def test_jf_fund_2_until_leaves_later_redemptions_unsettled(shop: Shop) -> None:
    shop.fund(9000)
    shop.redeem(1000)
    cut = shop.platform.clock.now()
    shop.platform.clock.advance(timedelta(hours=1))  # type: ignore[attr-defined]
    later = shop.redeem(2000)
    assert shop.service.settle(shop.tenant_id, until=cut).points == 300
    assert shop.service.redemption(shop.tenant_id, later.id).settled_at is None


def test_jf_fund_2_fractions_of_a_fen_are_carried_to_the_next_run(platform: Platform) -> None:
    shop = make_shop(platform, material_rate_points_per_yuan=150)  # 1 point = 2/3 fen
    shop.fund(9000)
    shop.redeem(1000, points=1)
    assert shop.service.settle(shop.tenant_id).fen_owed == 0  # 0.67 fen carried
    shop.redeem(1000, points=1)
    assert shop.service.settle(shop.tenant_id).fen_owed == 1  # 1.33: one fen, 0.33 carried
    shop.redeem(1000, points=1)
    assert shop.service.settle(shop.tenant_id).fen_owed == 1  # 2.00 in all: exact again
    assert sum(line.settled_fen for line in shop.service.report(shop.tenant_id)) == 2
