"""JF-LED-4: a material balance never goes negative, also under concurrent spenders."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from jifen.errors import InsufficientBalance
from jifen.ledger import subject_account, system_account
from jifen.model import Leg, Points, TransactionRequest
from jifen.testing import TenantFixture

SPENDERS = 12


def test_jf_led_4_concurrent_spenders_never_overdraw(city: TenantFixture) -> None:
    p, resident = city.platform, city.resident()
    p.award(city.id, resident.id, Points.of("material", 1000), idempotency_key="a")

    def spend(i: int) -> bool:
        try:
            p.ledger.post(city.id, TransactionRequest(idempotency_key=f"s{i}", legs=(
                Leg(account=subject_account(resident.id, "material"), amount=-150),
                Leg(account=system_account("settlement", "material", f"m{i % 3}"),
                    amount=150))))
            return True
        except InsufficientBalance:
            return False

    with ThreadPoolExecutor(SPENDERS) as pool:
        outcomes = list(pool.map(spend, range(SPENDERS * 2)))
    assert outcomes.count(True) == 6  # 6 × 150 = 900 ≤ 1000 < 7 × 150
    assert p.balance(city.id, resident.id, "material").minor == 100
    (lot,) = p.ledger.lots(city.id, subject_account(resident.id, "material"))
    assert lot.remaining == 100
    assert p.audit(city.id).ok


def test_jf_led_3_concurrent_retries_with_one_key_post_once(city: TenantFixture) -> None:
    p, resident = city.platform, city.resident()

    def award(_: int) -> str:
        try:
            return str(p.award(city.id, resident.id, Points.of("material", 10),
                               idempotency_key="once").id)
        except Exception as exc:  # the loser of the insert race is told to retry
            return getattr(exc, "code", repr(exc))

    with ThreadPoolExecutor(8) as pool:
        results = set(pool.map(award, range(16)))
    assert p.balance(city.id, resident.id, "material").minor == 10
    assert results - {"ledger.idempotency_conflict"} and len(
        results - {"ledger.idempotency_conflict"}) == 1
    assert p.audit(city.id).ok
