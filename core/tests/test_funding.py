"""Funding pools: material points are issued from a funded budget line with a limit (JF-FUND-1).
Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, date, datetime
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select

from jifen import funding
from jifen.clock import MovableClock
from jifen.errors import JifenError
from jifen.funding import Issue
from jifen.model import Points
from jifen.model.claims import ClaimState, ClaimSubmit
from jifen.platform import Platform
from jifen.store import tables as t
from jifen.testing import TEST_POOL, ClaimsCity, make_claims_city, make_config

FRIDAY = datetime(2024, 3, 1, 2, 0, tzinfo=UTC)


def small_pool(limit: int) -> dict[str, Any]:
    return {**TEST_POOL, "limit_points": limit}


@pytest.fixture
def town(platform: Platform) -> ClaimsCity:
    assert isinstance(platform.clock, MovableClock)
    platform.clock.set(FRIDAY)
    return make_claims_city(platform, make_config(f"t-{uuid.uuid4().hex[:12]}",
                                                  pools=[small_pool(120)]))


def issue(town: ClaimsCity, amount: int, key: str | None = None, who: Any = None) -> Any:
    who = who or (town.residents[0] if town.residents else town.resident())
    return town.platform.funding.issue(town.id, Issue(
        "test-pool", who.id, amount, key or uuid.uuid4().hex, "test issue", {"source": "test"}))


def transactions(town: ClaimsCity) -> int:
    with town.platform.db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(t.transactions).where(
            t.transactions.c.tenant_id == town.id)).scalar_one())


def code_of(call: Any) -> str:
    with pytest.raises(JifenError) as caught:
        call()
    return caught.value.code


def test_jf_fund_1_issuance_draws_on_the_pool_until_its_limit(town: ClaimsCity) -> None:
    who = town.resident()
    issue(town, 100, who=who)
    before = transactions(town)
    assert code_of(lambda: issue(town, 21, who=who)) == "funding.pool_exhausted"
    assert transactions(town) == before  # nothing posted
    issue(town, 20, who=who)
    status = town.platform.funding.pool(town.id, "test-pool")
    assert (status.issued, status.remaining) == (120, 0)
    assert town.platform.balance(town.id, who.id, "material") == Points(kind="material", minor=120)


def test_jf_fund_1_a_batch_is_issued_whole_or_not_at_all(town: ClaimsCity) -> None:
    who = town.resident()
    batch = [Issue("test-pool", who.id, 50, f"b{i}", "", {}) for i in range(3)]  # 150 > 120
    assert code_of(lambda: town.platform.funding.issue_many(town.id, batch)) == \
        "funding.pool_exhausted"
    assert town.platform.funding.pool(town.id, "test-pool").issued == 0
    assert transactions(town) == 0


def test_jf_fund_1_a_replay_of_a_posted_issuance_draws_nothing(town: ClaimsCity) -> None:
    who = town.resident()
    first = issue(town, 120, key="k1", who=who)
    assert issue(town, 120, key="k1", who=who).id == first.id  # the pool is full: still a replay
    assert town.platform.funding.pool(town.id, "test-pool").issued == 120


def test_jf_fund_1_a_reversal_gives_the_room_back(town: ClaimsCity) -> None:
    view = issue(town, 120)
    town.platform.ledger.reverse(town.id, view.id, "undo", "issued in error")
    assert town.platform.funding.pool(town.id, "test-pool").issued == 0
    issue(town, 120)


def test_jf_fund_1_unknown_pool_is_refused(town: ClaimsCity) -> None:
    who = town.resident()
    assert code_of(lambda: town.platform.funding.issue(town.id, Issue(
        "no-such-pool", who.id, 1, "x", "", {}))) == "not_found"


def test_jf_fund_1_material_items_need_a_pool() -> None:
    with pytest.raises(ValidationError, match=r"catalogue.4.pool\n.*needs a funding pool"):
        make_config("nopool", pools=[], default_pool=None)
    with pytest.raises(ValidationError, match="no pool 'other'"):
        make_config("badpool", default_pool="other")


def test_jf_fund_1_a_limit_is_raised_by_a_new_configuration_never_below_issued(
        town: ClaimsCity) -> None:
    issue(town, 100)
    code = town.tenant.code
    assert code_of(lambda: town.platform.apply_config(
        make_config(code, pools=[small_pool(99)]), approved_by="委员会")) == \
        "funding.limit_below_issued"
    assert town.platform.funding.pool(town.id, "test-pool").limit_points == 120  # unchanged
    town.platform.apply_config(make_config(code, pools=[small_pool(500)]), approved_by="委员会")
    assert town.platform.funding.pool(town.id, "test-pool").remaining == 400


def test_jf_fund_1_claims_draw_on_their_item_pool(town: ClaimsCity) -> None:
    who = town.resident()
    for day in (27, 28):  # the survey item: 50 material points, auto-awarded
        decision = town.platform.claims.submit(town.id, ClaimSubmit(
            idempotency_key=uuid.uuid4().hex, subject_id=who.id, item="survey",
            deed_date=date(2024, 2, day), evidence={}))
        assert decision.claim.state == ClaimState.FINAL
        view = town.platform.ledger.transaction(town.id, decision.claim.transaction_id)
        assert view.metadata["pool"] == "test-pool"
    assert town.platform.funding.pool(town.id, "test-pool").issued == 100
    third = ClaimSubmit(idempotency_key="third", subject_id=who.id, item="survey",
                        deed_date=date(2024, 2, 29), evidence={})
    assert code_of(lambda: town.platform.claims.submit(town.id, third)) == "funding.pool_exhausted"
    assert town.platform.claims.of_subject(town.id, who.id).__len__() == 2  # nothing half-written


def test_jf_fund_2_lots_remember_the_pool_that_paid_for_them(town: ClaimsCity) -> None:
    view = issue(town, 30)
    lot_ids = {p.lot_id for p in view.postings if p.lot_id is not None}
    with town.platform.db.read() as conn:
        assert funding.lot_pools(conn, town.id, lot_ids) == dict.fromkeys(lot_ids, "test-pool")


@pytest.mark.postgres_only
def test_jf_fund_1_concurrent_issuers_never_pass_the_limit(town: ClaimsCity) -> None:
    residents = [town.resident(name=f"居民{i}") for i in range(8)]
    outcomes: list[str] = []
    start = threading.Barrier(8)

    def worker(i: int) -> None:
        start.wait()
        try:
            town.platform.funding.issue(town.id, Issue(
                "test-pool", residents[i].id, 40, f"c{i}", "", {}))
            outcomes.append("ok")
        except JifenError as exc:
            outcomes.append(exc.code)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["funding.pool_exhausted"] * 5 + ["ok"] * 3
    assert town.platform.funding.pool(town.id, "test-pool").issued == 120


def test_jf_fund_1_cli_lists_pools_with_what_is_left(town: ClaimsCity, database_url: str) -> None:
    import json

    from typer.testing import CliRunner

    from jifen.cli import app

    issue(town, 100)
    runner = CliRunner()
    env = {"JIFEN_DATABASE_URL": database_url, "COLUMNS": "200"}
    shown = runner.invoke(app, ["pools", "--tenant", town.tenant.code], env=env)
    assert shown.exit_code == 0, shown.output
    assert "test-pool" in shown.output and "120" in shown.output and "20" in shown.output
    data = json.loads(runner.invoke(app, ["pools", "--tenant", town.tenant.code, "--json"],
                                    env=env).output)
    assert data == [{"code": "test-pool", "name": TEST_POOL["name"], "owner": TEST_POOL["owner"],
                     "limit_points": 120, "issued": 100, "remaining": 20}]
