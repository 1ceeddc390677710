"""Merchant redemptions per second against a raw-SQL baseline, on SQLite and PostgreSQL.

Two workloads, each in a fresh database per backend:

- **many accounts**: N redemptions, one thread, each by another resident (round-robin over
  ``--residents``) at one of ``--merchants`` merchants;
- **one account**: N redemptions by a single resident at one merchant from ``--threads``
  threads at once (row-lock contention on the resident's account, lot and the merchant's
  settlement account).

Each redemption goes through ``MerchantRedemption.redeem``: pay-code check and consumption, the
quote (settings, unexpired lots), the ledger posting, the redemption with its lots and pools,
and the audit entry, in one transaction. Pay codes are issued before the clock starts. The
baseline, in the same process and on the same engine, writes the equivalent rows with DB-API
``execute`` in one transaction per redemption: the used code, the ledger transaction, two
postings, the two balance updates and the lot update, the redemption, its lot and pool rows and
the audit entry — no reads, no checks.

    uv run --frozen --no-sync python benchmarks/redemption.py [--n 1000] [--threads 8]
        [--residents 200] [--merchants 10] [--backend sqlite|postgresql|both]

PostgreSQL comes from ``JIFEN_TEST_POSTGRES_URL`` (skipped with a message when unset).
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta

from _common import RawSQL, postgres_url, sqlite_url
from sqlalchemy import select

from jifen.funding import Issue
from jifen.ledger import subject_account
from jifen.model import new_id
from jifen.platform import Platform
from jifen.store import tables as t
from jifen.store.migrate import upgrade
from jifen.testing import make_platform
from jifen_merchant_redemption.redemption import settlement_account
from jifen_merchant_redemption.testing import Shop, make_shop

BILL_FEN = 1000  # 10 yuan at 30 %: 300 points per redemption
POINTS = 300


@dataclass
class Result:
    backend: str
    workload: str
    n: int
    threads: int
    seconds: float
    raw_seconds: float

    @property
    def rate(self) -> float:
        return self.n / self.seconds

    @property
    def raw_rate(self) -> float:
        return self.n / self.raw_seconds

    @property
    def ratio(self) -> float:
        return self.rate / self.raw_rate


@dataclass
class Setup:
    shop: Shop
    merchants: list[uuid.UUID]
    residents: list[uuid.UUID]


def prepare(platform: Platform, residents: int, merchants: int, points_each: int) -> Setup:
    """A shop with ``merchants`` merchants and ``residents`` funded residents (not timed)."""
    shop = make_shop(platform)
    ids = [shop.merchant.id] + [shop.service.add_merchant(
        shop.tenant_id, f"商户{i}", "community", category="catering").id
        for i in range(merchants - 1)]
    people = [shop.resident.id] + [shop.city.resident(f"居民{i}").id
                                   for i in range(residents - 1)]
    platform.funding.issue_many(shop.tenant_id, [
        Issue("test-pool", who, points_each, f"fund:{who}", "bench", {}) for who in people])
    return Setup(shop, ids, people)


# --- the plugin's runs -------------------------------------------------------------------------

def run_redemptions(setup: Setup, n: int, threads: int) -> float:
    shop, tenant_id = setup.shop, setup.shop.tenant_id
    jobs = [(setup.merchants[i % len(setup.merchants)], setup.residents[i % len(setup.residents)])
            for i in range(n)]
    codes = [shop.platform.codes.issue(tenant_id, who, "pay", lifetime=timedelta(hours=1)).token
             for _, who in jobs]

    def redeem(i: int) -> None:
        done = shop.service.redeem(tenant_id, jobs[i][0], BILL_FEN, codes[i], f"bench:{i}")
        assert done.points == POINTS, done

    return _timed(redeem, n, threads)


def _timed(work: Callable[[int], None], n: int, threads: int) -> float:
    start = time.perf_counter()
    if threads == 1:
        for i in range(n):
            work(i)
    else:
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(work, range(n)))
    return time.perf_counter() - start


# --- the raw baseline --------------------------------------------------------------------------

class RawRedemptions:
    """Writes one redemption's rows with DB-API ``execute``, in one transaction."""

    def __init__(self, platform: Platform, setup: Setup) -> None:
        self.platform, self.setup = platform, setup
        self.raw = RawSQL(platform.db.is_sqlite)
        self.tenant = self.raw.uid(setup.shop.tenant_id)
        self.accounts, self.lots = self._ids()
        self.seq = itertools.count(10_000_000)
        self.lock = threading.Lock()
        sql = self.raw.insert
        m = self.raw.mark
        self.sql = {
            "code": sql("used_codes", "tenant_id, code_id, purpose, subject_id, used_at, "
                                      "expires_at"),
            "tx": sql("transactions", "tenant_id, id, seq, idempotency_key, body_hash, memo, "
                                      "meta, reverses_id, created_at, prev_hash, hash"),
            "posting": sql("postings", "tenant_id, id, transaction_id, account_id, kind, amount, "
                                       "lot_id"),
            "redemption": sql("redemptions", "tenant_id, id, merchant_id, resident_id, "
                              "idempotency_key, request_hash, code_id, bill_fen, cap_percent, "
                              "rate, cap_fen, points, value_fen, refund_window_days, "
                              "refunded_fen, refunded_points, transaction_id, created_at"),
            "lot_row": sql("redemption_lots", "tenant_id, redemption_id, lot_id, seq, pool, "
                                              "points, refunded_points"),
            "pool_row": sql("redemption_pools", "tenant_id, redemption_id, pool, points, "
                                                "refunded_points"),
            "audit": sql("audit_log", "tenant_id, id, at, actor_id, actor, action, entity, "
                                      "entity_id, reason, data"),
            "balance": f"UPDATE accounts SET balance = balance + {m} WHERE tenant_id = {m} "
                       f"AND id = {m}",
            "lot": f"UPDATE lots SET remaining = remaining - {m} WHERE tenant_id = {m} "
                   f"AND id = {m}",
        }

    def _ids(self) -> tuple[dict[str, uuid.UUID], dict[uuid.UUID, uuid.UUID]]:
        """Account ids by code, and each resident's lot (made by the untimed funding)."""
        shop = self.setup.shop
        with self.platform.db.read() as conn:
            accounts = {row.code: row.id for row in conn.execute(select(
                t.accounts.c.code, t.accounts.c.id).where(
                t.accounts.c.tenant_id == shop.tenant_id))}
            lots = {row.subject_id: row.id for row in conn.execute(
                select(t.lots.c.id, t.accounts.c.subject_id).join(
                    t.accounts, (t.accounts.c.tenant_id == t.lots.c.tenant_id)
                    & (t.accounts.c.id == t.lots.c.account_id))
                .where(t.lots.c.tenant_id == shop.tenant_id))}
        return accounts, lots

    def open_settlement_accounts(self) -> None:
        """Redemptions open each merchant's settlement account; do it before timing."""
        self.platform.ledger.open_accounts(self.setup.shop.tenant_id, [
            settlement_account(m) for m in self.setup.merchants])
        self.accounts, self.lots = self._ids()

    def write(self, i: int, merchant: uuid.UUID, resident: uuid.UUID) -> None:
        uid, ts, sql, tenant = self.raw.uid, self.raw.ts, self.sql, self.tenant
        now = ts(self.platform.clock.now())
        code, tx, redemption, lot = new_id(), new_id(), new_id(), self.lots[resident]
        debit = self.accounts[subject_account(resident, "material")]
        credit = self.accounts[settlement_account(merchant)]
        with self.lock:
            seq = next(self.seq)
        digest = tx.hex + code.hex
        with self.platform.db.engine.begin() as conn:
            run = conn.exec_driver_sql
            run(sql["code"], (tenant, uid(code), "pay", uid(resident), now, now))
            run(sql["tx"], (tenant, uid(tx), seq, f"raw:{i}", digest, "redemption", "{}", None,
                            now, digest, digest))
            run(sql["posting"], [(tenant, uid(new_id()), uid(tx), uid(debit), "material",
                                  -POINTS, uid(lot)),
                                 (tenant, uid(new_id()), uid(tx), uid(credit), "material",
                                  POINTS, None)])
            for _code, account, amount in sorted([
                    (subject_account(resident, "material"), debit, -POINTS),
                    (settlement_account(merchant), credit, POINTS)]):  # the ledger's lock order
                run(sql["balance"], (amount, tenant, uid(account)))
            run(sql["lot"], (POINTS, tenant, uid(lot)))
            run(sql["redemption"], (tenant, uid(redemption), uid(merchant), uid(resident),
                                    f"raw:{i}", digest, uid(code), BILL_FEN, 30, 100, 300,
                                    POINTS, POINTS, 7, 0, 0, uid(tx), now))
            run(sql["lot_row"], (tenant, uid(redemption), uid(lot), 0, "test-pool", POINTS, 0))
            run(sql["pool_row"], (tenant, uid(redemption), "test-pool", POINTS, 0))
            run(sql["audit"], (tenant, uid(new_id()), now, uid(merchant), f"subject:{merchant}",
                               "redemption.redeemed", "redemption", uid(redemption), "", "{}"))


def run_raw(platform: Platform, setup: Setup, n: int, threads: int) -> float:
    raw = RawRedemptions(platform, setup)
    raw.open_settlement_accounts()

    def write(i: int) -> None:
        raw.write(i, setup.merchants[i % len(setup.merchants)],
                  setup.residents[i % len(setup.residents)])

    return _timed(write, n, threads)


# --- per backend -------------------------------------------------------------------------------

def bench(backend: str, url: str, args: argparse.Namespace) -> list[Result]:
    upgrade(url)
    platform = make_platform(url)
    results = []
    try:
        for workload, residents, merchants, threads in (
                ("many accounts", args.residents, args.merchants, 1),
                ("one account", 1, 1, args.threads)):
            each = POINTS * (args.n // residents + 1)
            plugin = run_redemptions(prepare(platform, residents, merchants, each), args.n,
                                     threads)
            raw = run_raw(platform, prepare(platform, residents, merchants, each), args.n,
                          threads)
            result = Result(backend, workload, args.n, threads, plugin, raw)
            print(f"  {backend} {workload}: {result.rate:,.0f}/s, raw {result.raw_rate:,.0f}/s",
                  file=sys.stderr)
            results.append(result)
    finally:
        platform.db.dispose()
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1000, help="redemptions per run")
    parser.add_argument("--threads", type=int, default=8, help="threads on the one account")
    parser.add_argument("--residents", type=int, default=200, help="residents (many accounts)")
    parser.add_argument("--merchants", type=int, default=10, help="merchants (many accounts)")
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    args = parser.parse_args(argv)

    results: list[Result] = []
    if args.backend in ("sqlite", "both"):
        with sqlite_url() as url:
            results += bench("sqlite", url, args)
    if args.backend in ("postgresql", "both"):
        base = os.environ.get("JIFEN_TEST_POSTGRES_URL")
        if not base:
            print("JIFEN_TEST_POSTGRES_URL is not set: skipping PostgreSQL "
                  '(eval "$(.ci/start-postgres)" to get one)', file=sys.stderr)
        else:
            with postgres_url(base) as url:
                results += bench("postgresql", url, args)

    print(f"{'backend':<12}{'workload':<15}{'N':>7}{'threads':>9}{'redemptions/s':>15}"
          f"{'raw/s':>9}{'ratio':>8}")
    for r in results:
        print(f"{r.backend:<12}{r.workload:<15}{r.n:>7}{r.threads:>9}{r.rate:>15,.0f}"
              f"{r.raw_rate:>9,.0f}{r.ratio:>8.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
