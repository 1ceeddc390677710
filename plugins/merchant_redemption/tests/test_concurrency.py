"""JF-LED-4 under real row-level concurrency (PostgreSQL): redemptions from one account never
overdraw it, and concurrent retries of one request redeem once (JF-LED-3, JF-RED-3)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from jifen.errors import JifenError
from jifen_merchant_redemption.testing import Shop

THREADS = 10


@pytest.mark.postgres_only
def test_jf_led_4_ten_threads_redeeming_from_one_account_never_overdraw(shop: Shop) -> None:
    shop.fund(5000)
    codes = [shop.pay_code() for _ in range(THREADS)]

    def redeem(i: int) -> int | str:
        try:
            return shop.service.redeem(shop.tenant_id, shop.merchant.id, 5800, codes[i],
                                       f"thread-{i}").points
        except JifenError as exc:
            return exc.code

    with ThreadPoolExecutor(THREADS) as pool:
        outcomes = list(pool.map(redeem, range(THREADS)))
    used = [o for o in outcomes if isinstance(o, int)]
    refused = {o for o in outcomes if isinstance(o, str)}
    assert refused <= {"redemption.nothing_to_redeem"}
    assert sum(used) <= 5000 and shop.balance() >= 0
    assert sum(used) + shop.balance() == 5000
    assert sorted(used) == [1520, 1740, 1740]  # every point that could be used, was
    assert shop.service.settle(shop.tenant_id).points == 5000
    assert shop.platform.audit(shop.tenant_id).ok


@pytest.mark.postgres_only
def test_jf_led_3_concurrent_retries_of_one_redemption_redeem_once(shop: Shop) -> None:
    shop.fund(5000)
    code = shop.pay_code()

    def redeem(_: int) -> str:
        try:
            return str(shop.service.redeem(shop.tenant_id, shop.merchant.id, 5800, code,
                                           "one-request").id)
        except JifenError as exc:
            return exc.code

    with ThreadPoolExecutor(THREADS) as pool:
        outcomes = set(pool.map(redeem, range(THREADS)))
    assert len(outcomes) == 1 and "." not in next(iter(outcomes))
    assert shop.balance() == 5000 - 1740
