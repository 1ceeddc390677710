"""Quotes and redemptions: the cap (JF-RED-1), the points used (JF-RED-2), the pay code
(JF-RED-3), soonest-expiring lots first (JF-RED-5), pool attribution (JF-FUND-2) and
idempotency (JF-LED-3)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from jifen.errors import JifenError
from jifen.ledger import subject_account
from jifen.platform import Platform
from jifen_merchant_redemption import DEFAULT_CAPS
from jifen_merchant_redemption.redemption import settlement_account
from jifen_merchant_redemption.testing import Shop, make_shop


def _code(exc: pytest.ExceptionInfo[JifenError]) -> str:
    return exc.value.code


def test_jf_red_2_58_yuan_at_30_percent_allows_1740_points(shop: Shop) -> None:
    shop.fund(5000)
    quote = shop.service.quote(shop.tenant_id, shop.merchant.id, 5800, shop.resident.id)
    assert (quote.cap_percent, quote.cap_fen, quote.max_points, quote.value_fen) == (
        30, 1740, 1740, 1740)
    done = shop.redeem(5800)
    assert (done.points, done.value_fen, done.due_fen) == (1740, 1740, 4060)
    assert shop.balance() == 5000 - 1740
    assert shop.platform.ledger.balance(shop.tenant_id,
                                        settlement_account(shop.merchant.id)) == 1740
    assert shop.platform.audit(shop.tenant_id).ok


def test_jf_red_2_points_are_limited_by_the_balance(shop: Shop) -> None:
    shop.fund(1000)
    quote = shop.service.quote(shop.tenant_id, shop.merchant.id, 5800, shop.resident.id)
    assert (quote.max_points, quote.value_fen) == (1000, 1000)
    assert shop.redeem(5800).points == 1000
    assert shop.balance() == 0


def test_jf_red_2_fewer_points_on_request_never_more(shop: Shop) -> None:
    shop.fund(5000)
    with pytest.raises(JifenError) as refused:
        shop.redeem(5800, points=1741)
    assert _code(refused) == "redemption.too_many_points"
    assert shop.balance() == 5000
    assert shop.redeem(5800, points=500).points == 500


def test_jf_red_1_default_caps_lie_within_20_to_30_percent() -> None:
    assert all(20 <= cap <= 30 for cap in DEFAULT_CAPS.values())
    assert DEFAULT_CAPS["catering"] == 30 and DEFAULT_CAPS["retail"] == 20


def test_jf_red_1_cap_is_set_per_merchant(shop: Shop) -> None:
    shop.fund(5000)
    shop_by_category = shop.service.add_merchant(shop.tenant_id, "超市 market", "community",
                                                 category="retail")
    own_cap = shop.service.add_merchant(shop.tenant_id, "理发 barber", "community",
                                        category="retail", cap_percent=25)
    assert shop_by_category.cap_percent == 20 and own_cap.cap_percent == 25
    quotes = [shop.service.quote(shop.tenant_id, m.id, 5800).max_points
              for m in (shop_by_category, own_cap)]
    assert quotes == [1160, 1450]
    listed = {m.id: m.cap_percent for m in shop.service.merchants(shop.tenant_id)}
    assert listed[own_cap.id] == 25 and listed[shop.merchant.id] == 30


def test_jf_red_2_rate_other_than_100_rounds_for_the_resident(platform: Platform) -> None:
    shop = make_shop(platform, material_rate_points_per_yuan=150)
    shop.fund(100_000)
    quote = shop.service.quote(shop.tenant_id, shop.merchant.id, 5801, shop.resident.id)
    # cap floor(5801 × 30 %) = 1740 fen; floor(1740 × 1.5) = 2610 points worth exactly 1740 fen
    assert (quote.cap_fen, quote.max_points, quote.value_fen) == (1740, 2610, 1740)
    done = shop.redeem(5801, points=1001)  # 1001 points are worth 667.33 fen: 668 deducted
    assert done.value_fen == 668


@pytest.mark.parametrize("bill", [0, -5])
def test_jf_api_3_a_bill_must_be_positive(shop: Shop, bill: int) -> None:
    shop.fund(5000)
    with pytest.raises(JifenError) as refused:
        shop.redeem(bill)
    assert _code(refused) == "redemption.invalid_amount"


def test_jf_api_3_unknown_merchant_writes_nothing(shop: Shop) -> None:
    shop.fund(5000)
    code = shop.pay_code()
    with pytest.raises(JifenError) as refused:
        shop.service.redeem(shop.tenant_id, uuid.uuid4(), 5800, code, "k")
    assert _code(refused) == "redemption.unknown_merchant"
    assert shop.service.redeem(shop.tenant_id, shop.merchant.id, 5800, code, "k").points == 1740


@pytest.mark.parametrize("bill,funded", [(5800, 0), (3, 5000)])
def test_jf_red_2_nothing_to_redeem_leaves_the_code_unused(shop: Shop, bill: int,
                                                           funded: int) -> None:
    if funded:
        shop.fund(funded)
    code = shop.pay_code()
    with pytest.raises(JifenError) as refused:
        shop.service.redeem(shop.tenant_id, shop.merchant.id, bill, code, "k")
    assert _code(refused) == "redemption.nothing_to_redeem"
    shop.platform.codes.verify(shop.tenant_id, code, "pay")  # still unused: nothing written
    assert shop.platform.audit_log(shop.tenant_id, action="redemption.redeemed") == []


def test_jf_red_3_a_pay_code_is_used_once(shop: Shop) -> None:
    shop.fund(5000)
    code = shop.pay_code()
    shop.service.redeem(shop.tenant_id, shop.merchant.id, 1000, code, "first")
    with pytest.raises(JifenError) as refused:
        shop.service.redeem(shop.tenant_id, shop.merchant.id, 1000, code, "second")
    assert _code(refused) == "code.replayed"
    assert shop.balance() == 5000 - 300


def test_jf_led_3_same_key_same_request_returns_the_first_redemption(shop: Shop) -> None:
    shop.fund(5000)
    code = shop.pay_code()
    first = shop.service.redeem(shop.tenant_id, shop.merchant.id, 5800, code, "once")
    again = shop.service.redeem(shop.tenant_id, shop.merchant.id, 5800, code, "once")
    assert again == first
    assert shop.balance() == 5000 - 1740
    with pytest.raises(JifenError) as refused:
        shop.service.redeem(shop.tenant_id, shop.merchant.id, 5000, code, "once")
    assert _code(refused) == "redemption.idempotency_conflict"
    with pytest.raises(JifenError) as other_code:
        shop.service.redeem(shop.tenant_id, shop.merchant.id, 5800, shop.pay_code(), "once")
    assert _code(other_code) == "redemption.idempotency_conflict"


def test_jf_code_1_bad_pay_codes_are_refused_with_nothing_written(shop: Shop) -> None:
    shop.fund(5000)
    good = shop.pay_code()
    head, _, signature = good.partition(".")
    forged = f"{head}.{signature[:-2]}{'AA' if not signature.endswith('AA') else 'BB'}"
    identify = shop.platform.codes.issue(shop.tenant_id, shop.resident.id, "identify").token
    expired = shop.pay_code()
    shop.platform.clock.advance(timedelta(seconds=61))  # type: ignore[attr-defined]
    cases = {"garbage": ("not-a-code", "code.invalid"), "forged": (forged, "code.invalid"),
             "identify": (identify, "code.wrong_purpose"), "expired": (expired, "code.expired")}
    for name, (token, code) in cases.items():
        with pytest.raises(JifenError) as refused:
            shop.service.redeem(shop.tenant_id, shop.merchant.id, 5800, token, name)
        assert refused.value.code == code, name
    assert shop.balance() == 5000
    assert shop.service.report(shop.tenant_id) == []


def test_jf_red_5_and_jf_fund_2_soonest_expiring_lots_first_and_their_pools(shop: Shop) -> None:
    shop.fund(1000, pool="test-pool")  # 2024: expires at the end of 2025
    shop.platform.clock.advance(timedelta(days=365))  # type: ignore[attr-defined]
    shop.fund(5000, pool="sponsor-pool")  # 2025: expires at the end of 2026
    done = shop.redeem(5800)
    assert done.points == 1740
    assert done.pools == {"sponsor-pool": 740, "test-pool": 1000}
    lots = shop.platform.ledger.lots(shop.tenant_id,
                                     subject_account(shop.resident.id, "material"))
    assert [lot.remaining for lot in lots] == [0, 4260]


def test_jf_due_5_a_redemption_is_in_the_audit_log(shop: Shop) -> None:
    shop.fund(5000)
    done = shop.redeem(5800)
    (entry,) = shop.platform.audit_log(shop.tenant_id, action="redemption.redeemed")
    assert entry.entity_id == done.id and entry.data["points"] == "1740"
