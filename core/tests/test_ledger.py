"""The double-entry ledger on SQLite and PostgreSQL (JF-LED-*, JF-KIND-3, JF-EXP-1, JF-RED-5)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, text

from jifen.clock import MovableClock
from jifen.errors import (
    AlreadyReversed,
    IdempotencyConflict,
    InsufficientBalance,
    InvalidInput,
    KindNotTransferable,
    NotFound,
    UnbalancedTransaction,
)
from jifen.ledger import subject_account, system_account
from jifen.model import Leg, Points, TransactionRequest
from jifen.platform import Platform
from jifen.store import tables as t
from jifen.testing import TenantFixture

ISSUANCE = system_account("issuance", "material")
MERCHANT = system_account("settlement", "material", "noodle-shop")


def spend(subject_id, amount: int, key: str) -> TransactionRequest:  # type: ignore[no-untyped-def]
    return TransactionRequest(idempotency_key=key, legs=(
        Leg(account=subject_account(subject_id, "material"), amount=-amount),
        Leg(account=MERCHANT, amount=amount)))


def count(platform: Platform, table: t.Table, tenant_id) -> int:  # type: ignore[no-untyped-def]
    with platform.db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table).where(
            table.c.tenant_id == tenant_id)).scalar_one())


def clock(platform: Platform) -> MovableClock:
    assert isinstance(platform.clock, MovableClock)
    return platform.clock


def test_jf_led_1_an_award_is_issued_from_the_issuance_account(city: TenantFixture) -> None:
    p, resident = city.platform, city.resident()
    tx = p.award(city.id, resident.id, Points.of("moral", "2.5"), idempotency_key="a1")
    assert sorted(posting.amount for posting in tx.postings) == [-25, 25]
    assert p.balance(city.id, resident.id, "moral") == Points.of("moral", "2.5")
    assert p.ledger.balance(city.id, system_account("issuance", "moral")) == -25


def test_jf_led_1_unbalanced_transactions_are_refused_with_nothing_written(
        city: TenantFixture) -> None:
    p, resident = city.platform, city.resident()
    with pytest.raises(UnbalancedTransaction) as err:
        p.ledger.post(city.id, TransactionRequest(idempotency_key="u", legs=(
            Leg(account=ISSUANCE, amount=-100),
            Leg(account=subject_account(resident.id, "material"), amount=101))))
    assert err.value.code == "ledger.unbalanced"
    assert count(p, t.transactions, city.id) == 0
    assert count(p, t.postings, city.id) == 0


def test_jf_led_1_a_float_amount_is_refused(city: TenantFixture) -> None:
    with pytest.raises(ValueError, match="never a float"):
        Leg(account=ISSUANCE, amount=1.5)  # type: ignore[arg-type]


def test_jf_led_3_a_retry_with_the_same_key_and_body_returns_the_first_result(
        city: TenantFixture) -> None:
    p, resident = city.platform, city.resident()
    first = p.award(city.id, resident.id, Points.of("material", 500), idempotency_key="k")
    again = p.award(city.id, resident.id, Points.of("material", 500), idempotency_key="k")
    assert again == first
    assert p.balance(city.id, resident.id, "material").minor == 500
    assert count(p, t.transactions, city.id) == 1


def test_jf_led_3_the_same_key_with_another_body_is_refused(city: TenantFixture) -> None:
    p, resident = city.platform, city.resident()
    p.award(city.id, resident.id, Points.of("material", 500), idempotency_key="k")
    with pytest.raises(IdempotencyConflict) as err:
        p.award(city.id, resident.id, Points.of("material", 600), idempotency_key="k")
    assert err.value.code == "ledger.idempotency_conflict"
    assert p.balance(city.id, resident.id, "material").minor == 500


def test_jf_led_2_a_transaction_is_reversed_at_most_once(city: TenantFixture) -> None:
    p, resident = city.platform, city.resident()
    award = p.award(city.id, resident.id, Points.of("material", 300), idempotency_key="a")
    reversal = p.ledger.reverse(city.id, award.id, "r1", "awarded in error")
    assert reversal.reverses_id == award.id
    assert p.balance(city.id, resident.id, "material").minor == 0
    with pytest.raises(AlreadyReversed):
        p.ledger.reverse(city.id, award.id, "r2", "again")
    assert p.ledger.reverse(city.id, award.id, "r1", "awarded in error") == reversal
    assert len(p.ledger.history(city.id, subject_account(resident.id, "material"))) == 2


def test_jf_led_2_postings_and_transactions_cannot_be_updated_or_deleted(
        city: TenantFixture) -> None:
    p, resident = city.platform, city.resident()
    p.award(city.id, resident.id, Points.of("material", 300), idempotency_key="a")
    for statement in ("UPDATE postings SET amount = amount * 2", "DELETE FROM postings",
                      "UPDATE transactions SET memo = 'x'", "DELETE FROM transactions"):
        with pytest.raises(Exception, match="append-only"), p.db.write() as conn:
            conn.execute(text(statement))
    assert p.balance(city.id, resident.id, "material").minor == 300
    assert p.audit(city.id).ok


def test_jf_led_4_no_overdraft_and_nothing_written(city: TenantFixture) -> None:
    p, resident = city.platform, city.resident()
    p.award(city.id, resident.id, Points.of("material", 1000), idempotency_key="a")
    with pytest.raises(InsufficientBalance):
        p.ledger.post(city.id, spend(resident.id, 1001, "s"))
    assert p.balance(city.id, resident.id, "material").minor == 1000
    assert count(p, t.transactions, city.id) == 1


def test_jf_led_1_a_batch_is_atomic(city: TenantFixture) -> None:
    p, resident = city.platform, city.resident()
    p.award(city.id, resident.id, Points.of("material", 100), idempotency_key="a")
    with pytest.raises(InsufficientBalance):
        p.ledger.post_many(city.id, [spend(resident.id, 60, "s1"), spend(resident.id, 60, "s2")])
    assert count(p, t.transactions, city.id) == 1
    assert p.balance(city.id, resident.id, "material").minor == 100
    posted = p.ledger.post_many(city.id, [spend(resident.id, 60, "s1"),
                                          spend(resident.id, 40, "s2")])
    assert [tx.seq for tx in posted] == [2, 3]
    assert p.balance(city.id, resident.id, "material").minor == 0


@pytest.mark.parametrize("legs", [
    "subject_to_subject", "subject_to_merchant", "conversion"])
def test_jf_kind_3_moral_points_cannot_be_spent_transferred_or_converted(
        city: TenantFixture, legs: str) -> None:
    p, a, b = city.platform, city.resident("甲"), city.resident("乙")
    p.award(city.id, a.id, Points.of("moral", 10), idempotency_key="m")
    p.award(city.id, a.id, Points.of("material", 10), idempotency_key="n")
    moral_a = subject_account(a.id, "moral")
    options = {
        "subject_to_subject": (Leg(account=moral_a, amount=-10),
                               Leg(account=subject_account(b.id, "moral"), amount=10)),
        "subject_to_merchant": (Leg(account=moral_a, amount=-10),
                                Leg(account=system_account("settlement", "moral", "x"),
                                    amount=10)),
        "conversion": (Leg(account=moral_a, amount=-10),
                       Leg(account=system_account("issuance", "moral"), amount=10),
                       Leg(account=ISSUANCE, amount=-10),
                       Leg(account=subject_account(a.id, "material"), amount=10)),
    }
    with pytest.raises(KindNotTransferable) as err:
        p.ledger.post(city.id, TransactionRequest(idempotency_key="x", legs=options[legs]))
    assert err.value.code == "kind.not_transferable"
    assert p.balance(city.id, a.id, "moral").minor == 100


def test_jf_kind_3_a_moral_deduction_may_take_a_score_below_zero(city: TenantFixture) -> None:
    p, a = city.platform, city.resident()
    p.ledger.post(city.id, TransactionRequest(idempotency_key="d", legs=(
        Leg(account=subject_account(a.id, "moral"), amount=-50),
        Leg(account=system_account("issuance", "moral"), amount=50))))
    assert str(p.balance(city.id, a.id, "moral")) == "-5.0"


def test_jf_exp_1_lots_expire_at_the_end_of_the_next_calendar_year(city: TenantFixture) -> None:
    p, resident = city.platform, city.resident()
    p.award(city.id, resident.id, Points.of("material", 100), idempotency_key="a")
    (lot,) = p.ledger.lots(city.id, subject_account(resident.id, "material"))
    # Earned 2024-03-01 in Asia/Shanghai → expires 2026-01-01 00:00 +08:00.
    assert lot.expires_at == datetime(2025, 12, 31, 16, 0, tzinfo=UTC)


def test_jf_red_5_and_jf_exp_1_soonest_expiring_first_then_expiry_by_posting(
        city: TenantFixture) -> None:
    p, resident = city.platform, city.resident()
    account = subject_account(resident.id, "material")
    p.award(city.id, resident.id, Points.of("material", 100), idempotency_key="2024")
    clock(p).set(datetime(2025, 6, 1, tzinfo=UTC))
    p.award(city.id, resident.id, Points.of("material", 100), idempotency_key="2025")
    spent = p.ledger.post(city.id, spend(resident.id, 150, "s"))
    lots = p.ledger.lots(city.id, account)
    assert [lot.remaining for lot in lots] == [0, 50]
    assert {posting.lot_id for posting in spent.postings if posting.amount < 0} == {
        lot.id for lot in lots}
    clock(p).set(datetime(2027, 1, 1, tzinfo=UTC))
    assert [tx.memo for tx in p.ledger.expire(city.id)] == ["expired lot"]
    assert p.ledger.expire(city.id) == []
    assert p.balance(city.id, resident.id, "material").minor == 0
    assert p.ledger.balance(city.id, system_account("expiry", "material")) == 50
    assert count(p, t.lots, city.id) == 2  # nothing deleted
    assert p.audit(city.id).ok


def test_jf_exp_1_expired_points_cannot_be_spent_before_the_expiry_run(
        city: TenantFixture) -> None:
    p, resident = city.platform, city.resident()
    p.award(city.id, resident.id, Points.of("material", 100), idempotency_key="a")
    clock(p).advance(timedelta(days=3 * 365))
    with pytest.raises(InsufficientBalance):
        p.ledger.post(city.id, spend(resident.id, 10, "s"))


def test_jf_red_4_reversing_a_spend_restores_the_same_lots(city: TenantFixture) -> None:
    p, resident = city.platform, city.resident()
    account = subject_account(resident.id, "material")
    p.award(city.id, resident.id, Points.of("material", 100), idempotency_key="a")
    purchase = p.ledger.post(city.id, spend(resident.id, 70, "s"))
    p.ledger.reverse(city.id, purchase.id, "refund", "goods returned")
    (lot,) = p.ledger.lots(city.id, account)
    assert lot.remaining == 100
    assert p.ledger.balance(city.id, MERCHANT) == 0
    assert p.audit(city.id).ok


def test_jf_org_1_a_tenant_cannot_post_to_another_tenants_subject(
        platform: Platform, city: TenantFixture) -> None:
    from jifen.testing import make_tenant

    other = make_tenant(platform)
    resident = city.resident()
    with pytest.raises(NotFound):
        platform.award(other.id, resident.id, Points.of("material", 5), idempotency_key="x")
    assert platform.ledger.balance(other.id, subject_account(resident.id, "material")) == 0
    assert count(platform, t.transactions, other.id) == 0
    # Idempotency keys are per tenant: the same key in two tenants means two transactions.
    mine = other.resident()
    platform.award(city.id, resident.id, Points.of("material", 5), idempotency_key="same")
    platform.award(other.id, mine.id, Points.of("material", 5), idempotency_key="same")
    assert platform.audit(city.id).ok and platform.audit(other.id).ok


def test_unknown_accounts_and_kinds_are_refused(city: TenantFixture) -> None:
    with pytest.raises(InvalidInput):
        city.platform.ledger.post(city.id, TransactionRequest(idempotency_key="x", legs=(
            Leg(account="nonsense", amount=-1), Leg(account=ISSUANCE, amount=1))))
    with pytest.raises(InvalidInput):
        city.platform.ledger.post(city.id, TransactionRequest(idempotency_key="x", legs=(
            Leg(account="issuance:gold", amount=-1), Leg(account=ISSUANCE, amount=1))))
