"""Ledger write throughput against a raw-SQL baseline, on SQLite and PostgreSQL.

Posts N awards (issuance → resident, material points) through ``platform.ledger.post_many`` in
batches, then inserts the same rows (1 transaction, 2 postings, 1 lot per award) with plain
DB-API ``executemany`` into a second tenant of the same database, and prints both rates and
their ratio.

    uv run --frozen --no-sync python benchmarks/ledger.py [--n 100000] [--batch 1000]
        [--backend sqlite|postgresql|both] [--residents 1000] [--warmup 5] [--without-hashes]

PostgreSQL comes from ``JIFEN_TEST_POSTGRES_URL`` (skipped with a message when unset); a fresh
database ``jifen_bench_<random>`` is created on it and dropped afterwards.

Before either timed run, a warm-up tenant posts ``--warmup`` batches through the ledger and, on
PostgreSQL, the database is analysed, as autovacuum does within a minute of a new database's
first writes: a city's database is never empty, and timing a database whose tables have no
statistics yet measures the planner's cold start (see benchmarks/README.md), not the ledger.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from _common import RawSQL, postgres_url, sqlite_url
from sqlalchemy import select

from jifen.ledger import subject_account, system_account
from jifen.model import Leg, TransactionRequest, new_id
from jifen.platform import Platform
from jifen.store import tables as t
from jifen.store.migrate import upgrade
from jifen.testing import make_platform, make_tenant

AMOUNT = 100
KIND = "material"
WARMUP_BATCHES = 5


@dataclass
class Result:
    backend: str
    n: int
    batch: int
    warmup: int
    ledger_seconds: float
    raw_seconds: float

    @property
    def ledger_rate(self) -> float:
        return self.n / self.ledger_seconds

    @property
    def raw_rate(self) -> float:
        return self.n / self.raw_seconds

    @property
    def ratio(self) -> float:
        return self.ledger_rate / self.raw_rate


# --- the two runs ------------------------------------------------------------------------

def make_residents(platform: Platform, count: int) -> tuple[uuid.UUID, list[uuid.UUID]]:
    city = make_tenant(platform)
    ids = [city.resident(name=f"居民{i}", grid="grid-1").id for i in range(count)]
    return city.id, ids


def awards(subject_ids: list[uuid.UUID], n: int, prefix: str) -> list[TransactionRequest]:
    """N awards of AMOUNT, issuance → resident (round-robin), keys ``<prefix>:<i>``."""
    issuance = system_account("issuance", KIND)
    accounts = [subject_account(s, KIND) for s in subject_ids]
    return [TransactionRequest(
        idempotency_key=f"{prefix}:{i}",
        legs=(Leg(account=issuance, amount=-AMOUNT),
              Leg(account=accounts[i % len(accounts)], amount=AMOUNT)),
        memo=prefix) for i in range(n)]


def warm_up(platform: Platform, batches: int, batch: int, residents: int) -> None:
    """Give the database a history before timing: ``batches`` batches of awards in a tenant of
    their own, then (PostgreSQL) ``ANALYZE``, which autovacuum would run within its first minute.

    Without it, the first statements of a new database are planned while its tables look empty;
    PostgreSQL keeps those plans (the foreign-key checks' among them) until the tables are next
    analysed, and a check planned on an empty table may scan every row of the tenant instead of
    its primary key (benchmarks/README.md, "cold statistics").
    """
    if batches <= 0:
        return
    tenant_id, subject_ids = make_residents(platform, residents)
    requests = awards(subject_ids, batches * batch, "warmup")
    for offset in range(0, len(requests), batch):
        platform.ledger.post_many(tenant_id, requests[offset:offset + batch])
    if not platform.db.is_sqlite:
        with platform.db.engine.connect().execution_options(
                isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ANALYZE")


def ledger_run(platform: Platform, n: int, batch: int, residents: int) -> float:
    tenant_id, subject_ids = make_residents(platform, residents)
    issuance = system_account("issuance", KIND)
    # The callers' requests are built before the clock starts: we time the ledger, not pydantic
    # construction of the inputs.
    requests = awards(subject_ids, n, "bench")
    post_many = platform.ledger.post_many
    start = time.perf_counter()
    for offset in range(0, n, batch):
        post_many(tenant_id, requests[offset:offset + batch])
    elapsed = time.perf_counter() - start
    check_counts(platform, tenant_id, n)
    balance = platform.ledger.balance(tenant_id, issuance)
    assert balance == -AMOUNT * n, balance
    return elapsed


def raw_run(platform: Platform, n: int, batch: int, residents: int) -> float:
    """The same rows as the ledger run writes, inserted with DB-API executemany.

    A fresh tenant with its own residents and accounts (inserted once, before timing). Per award:
    one transaction row, two postings (issuance debit, resident credit carrying the lot id) and
    one lot. No account balances, chain head or reads: this is the cost of the inserts alone.
    """
    engine = platform.db.engine
    raw = RawSQL(platform.db.is_sqlite)
    uid, ts, sql = raw.uid, raw.ts, raw.insert
    tenant_id, subject_ids = make_residents(platform, residents)
    now = platform.clock.now()
    expires = datetime(now.year + 2, 1, 1, tzinfo=UTC)

    insert_account = sql("accounts", "tenant_id, id, code, type, kind, subject_id, balance")
    insert_tx = sql("transactions", "tenant_id, id, seq, idempotency_key, body_hash, memo, meta, "
                                    "reverses_id, created_at, prev_hash, hash")
    insert_posting = sql("postings", "tenant_id, id, transaction_id, account_id, kind, amount, "
                                     "lot_id")
    insert_lot = sql("lots", "tenant_id, id, account_id, transaction_id, kind, amount, remaining, "
                             "earned_at, expires_at")

    tenant = uid(tenant_id)
    issuance_id = new_id()
    resident_ids = [new_id() for _ in subject_ids]
    with engine.begin() as conn:
        conn.exec_driver_sql(insert_account, [
            (tenant, uid(issuance_id), system_account("issuance", KIND), "issuance", KIND, None,
             0)] + [
            (tenant, uid(a), subject_account(s, KIND), "subject", KIND, uid(s), 0)
            for a, s in zip(resident_ids, subject_ids, strict=True)])
    issuance = uid(issuance_id)
    residents_u = [uid(a) for a in resident_ids]
    created, expires_at = ts(now), ts(expires)
    prev = "0" * 64

    start = time.perf_counter()
    for offset in range(0, n, batch):
        txs, posts, lots = [], [], []
        for i in range(offset, min(offset + batch, n)):
            tx_id, debit_id, credit_id, lot_id = new_id(), new_id(), new_id(), new_id()
            tx, lot, account = uid(tx_id), uid(lot_id), residents_u[i % residents]
            digest = tx_id.hex + lot_id.hex
            txs.append((tenant, tx, i + 1, f"raw:{i}", digest, "bench", "{}", None, created,
                        prev, digest))
            prev = digest
            posts.append((tenant, uid(debit_id), tx, issuance, KIND, -AMOUNT, None))
            posts.append((tenant, uid(credit_id), tx, account, KIND, AMOUNT, lot))
            lots.append((tenant, lot, account, tx, KIND, AMOUNT, AMOUNT, created, expires_at))
        with engine.begin() as conn:
            conn.exec_driver_sql(insert_tx, txs)
            conn.exec_driver_sql(insert_posting, posts)
            conn.exec_driver_sql(insert_lot, lots)
    elapsed = time.perf_counter() - start
    check_counts(platform, tenant_id, n)
    return elapsed


def check_counts(platform: Platform, tenant_id: uuid.UUID, n: int) -> None:
    """Both runs must have written the same rows: n transactions, 2n postings, n lots."""
    from sqlalchemy import func

    with platform.db.read() as conn:
        got = {table.name: conn.execute(select(func.count()).select_from(table).where(
            table.c.tenant_id == tenant_id)).scalar_one()
            for table in (t.transactions, t.postings, t.lots)}
    expected = {"transactions": n, "postings": 2 * n, "lots": n}
    assert got == expected, (got, expected)


def bench(backend: str, url: str, n: int, batch: int, residents: int, warmup: int) -> Result:
    upgrade(url)
    platform = make_platform(url)
    try:
        warm_up(platform, warmup, batch, residents)
        ledger_seconds = ledger_run(platform, n, batch, residents)
        print(f"  {backend}: ledger {n} tx in {ledger_seconds:.2f} s", file=sys.stderr)
        raw_seconds = raw_run(platform, n, batch, residents)
        print(f"  {backend}: raw    {n} tx in {raw_seconds:.2f} s", file=sys.stderr)
    finally:
        platform.db.dispose()
    return Result(backend, n, batch, warmup, ledger_seconds, raw_seconds)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100_000, help="transactions per run")
    parser.add_argument("--batch", type=int, default=1000, help="transactions per post_many")
    parser.add_argument("--residents", type=int, default=1000, help="award recipients")
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--warmup", type=int, default=WARMUP_BATCHES,
                        help="batches posted (and, on PostgreSQL, analysed) before timing; "
                             "0: time a cold, empty database")
    parser.add_argument("--without-hashes", action="store_true",
                        help="diagnostic only: replace the request's body hash (JF-LED-3) and "
                             "the chain hash (JF-LED-6) by constants, to show their share; the "
                             "rows written are then not a valid ledger")
    args = parser.parse_args(argv)
    if args.without_hashes:
        import jifen.ledger

        jifen.ledger.body_hash = lambda request: "0" * 64
        jifen.ledger._chain_hash = lambda *_: "0" * 64

    results = []
    if args.backend in ("sqlite", "both"):
        with sqlite_url() as url:
            results.append(bench("sqlite", url, args.n, args.batch, args.residents,
                                 args.warmup))
    if args.backend in ("postgresql", "both"):
        base = os.environ.get("JIFEN_TEST_POSTGRES_URL")
        if not base:
            print("JIFEN_TEST_POSTGRES_URL is not set: skipping PostgreSQL "
                  '(eval "$(.ci/start-postgres)" to get one)', file=sys.stderr)
        else:
            with postgres_url(base) as url:
                results.append(bench("postgresql", url, args.n, args.batch, args.residents,
                                     args.warmup))

    print(f"{'backend':<12}{'N':>9}{'batch':>7}{'warmup':>8}{'ledger tx/s':>14}{'raw tx/s':>12}"
          f"{'ratio':>8}")
    for r in results:
        print(f"{r.backend:<12}{r.n:>9}{r.batch:>7}{r.warmup:>8}{r.ledger_rate:>14,.0f}"
              f"{r.raw_rate:>12,.0f}{r.ratio:>8.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
