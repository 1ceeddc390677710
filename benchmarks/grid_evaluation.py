"""A month's grid-worker evaluation at city scale against a raw-SQL baseline, on SQLite and PostgreSQL.

N grid workers (default 10 000) have July 2024's metrics recorded; ``GridEvaluation.evaluate``
scores, grades and rewards all of them (batches of 1000 workers per ledger transaction: pool
lock and limit check, one reward transaction per worker with its provenance, the evaluation
rows and audit entries). Baseline: the same rows — per worker one transaction, two postings,
one lot, one evaluation row and one audit entry — written with DB-API ``executemany`` into a
second tenant prepared the same way, in transactions of 1000 workers; no reads, locks,
balances, chain or scoring.

    uv run --frozen --no-sync python benchmarks/grid_evaluation.py [--n 10000]
        [--backend sqlite|postgresql|both] [--batch 1000] [--warmup 2000]

Workers and metrics are set up with raw inserts (not timed). Half the workers score an A
(500 points), half a B (300 points), so every worker is rewarded. PostgreSQL comes from
``JIFEN_TEST_POSTGRES_URL`` as for ``ledger.py``; before timing, a warm-up tenant is evaluated
and (PostgreSQL) the database analysed, for the reason given in ``ledger.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from _common import RawSQL, postgres_url, sqlite_url
from sqlalchemy import func, select

from jifen.funding import pool_account
from jifen.ledger import subject_account
from jifen.model import new_id
from jifen.platform import Platform
from jifen.store import tables as t
from jifen.store.migrate import upgrade
from jifen.testing import TEST_POOL, ClaimsCity, make_claims_city, make_config, make_platform
from jifen_grid_evaluation import GridEvaluation, Metrics
from jifen_grid_evaluation.service import reward_key
from jifen_grid_evaluation.testing import A_METRICS, B_METRICS

MONTH = "2024-07"
EVALUATED_AT = datetime(2024, 8, 2, 2, 0, tzinfo=UTC)
KIND = "material"
POOL = {**TEST_POOL, "limit_points": 1_000_000_000}
GRADES = ((A_METRICS, "100.0", 1000, "A", 500), (B_METRICS, "86.3", 863, "B", 300))
"""Per parity of the worker's index: metrics, score, score in tenths, grade, points."""


@dataclass
class Result:
    backend: str
    n: int
    seconds: float
    raw_seconds: float

    def row(self) -> str:
        rate, raw = self.n / self.seconds, self.n / self.raw_seconds
        return f"{self.backend:<12}{self.n:>9}{rate:>14,.0f}{raw:>12,.0f}{rate / raw:>8.2f}"


# --- setup (not timed) ---------------------------------------------------------------------

def prepare(platform: Platform, n: int) -> tuple[ClaimsCity, list[uuid.UUID]]:
    """A tenant with ``n`` grid workers in grid-1 and grid-2, each with July's metrics
    (inserted directly)."""
    city = make_claims_city(platform, make_config(f"bench-{uuid.uuid4().hex[:10]}",
                                                  pools=[POOL]))
    raw = RawSQL(platform.db.is_sqlite)
    tenant, now = raw.uid(city.id), raw.ts(EVALUATED_AT)
    with platform.db.read() as conn:
        grids = list(conn.execute(select(t.org_units.c.id).where(
            t.org_units.c.tenant_id == city.id, t.org_units.c.level == "grid")).scalars())
    workers = [new_id() for _ in range(n)]
    fields = list(Metrics.model_fields)
    with platform.db.engine.begin() as conn:
        conn.exec_driver_sql(raw.insert(
            "subjects", "tenant_id, id, type, name, org_unit_id, code, created_at"),
            [(tenant, raw.uid(w), "grid_worker", f"网格员{i}", raw.uid(grids[i % len(grids)]),
              f"G{i:012d}", now) for i, w in enumerate(workers)])
        conn.exec_driver_sql(raw.insert(
            "grid_metrics", f"tenant_id, worker_id, month, {', '.join(fields)}, recorded_at, "
                            "recorded_by"),
            [(tenant, raw.uid(w), MONTH, *GRADES[i % 2][0].model_dump().values(), now, "bench")
             for i, w in enumerate(workers)])
    return city, workers


def warm_up(platform: Platform, n: int) -> None:
    """Evaluate a warm-up tenant of ``n`` workers, then (PostgreSQL) ``ANALYZE``."""
    if n <= 0:
        return
    city, _ = prepare(platform, n)
    GridEvaluation(platform).evaluate(city.id, MONTH)
    if not platform.db.is_sqlite:
        with platform.db.engine.connect().execution_options(
                isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ANALYZE")


# --- the two runs --------------------------------------------------------------------------

def evaluation_run(platform: Platform, n: int, batch: int) -> float:
    city, _ = prepare(platform, n)
    grid = GridEvaluation(platform)
    start = time.perf_counter()
    report = grid.evaluate(city.id, MONTH, batch_size=batch)
    elapsed = time.perf_counter() - start
    assert len(report.evaluated) == n, len(report.evaluated)
    assert report.points == platform.funding.pool(city.id, POOL["code"]).issued
    check_counts(platform, city.id, n)
    return elapsed


def raw_run(platform: Platform, n: int, batch: int) -> float:
    """The same rows as the evaluation writes, inserted with DB-API executemany."""
    city, workers = prepare(platform, n)
    raw = RawSQL(platform.db.is_sqlite)
    uid, ts = raw.uid, raw.ts
    tenant, created = uid(city.id), ts(EVALUATED_AT)
    expires = ts(datetime(2026, 1, 1, tzinfo=UTC))
    pool_id, accounts = new_id(), [new_id() for _ in workers]
    with platform.db.engine.begin() as conn:
        conn.exec_driver_sql(raw.insert(
            "accounts", "tenant_id, id, code, type, kind, subject_id, balance"),
            [(tenant, uid(pool_id), pool_account(POOL["code"]), "pool", KIND, None, 0)] + [
                (tenant, uid(a), subject_account(w, KIND), "subject", KIND, uid(w), 0)
                for a, w in zip(accounts, workers, strict=True)])
    sql = Statements(raw)
    start = time.perf_counter()
    prev = "0" * 64
    for offset in range(0, n, batch):
        rows = Rows()
        for i in range(offset, min(offset + batch, n)):
            prev = rows.add(raw, tenant, i, workers[i], uid(accounts[i]), uid(pool_id), prev,
                            created, expires)
        with platform.db.engine.begin() as conn:
            rows.write(conn, sql)
    elapsed = time.perf_counter() - start
    check_counts(platform, city.id, n)
    return elapsed


class Statements:
    """The baseline's INSERT statements."""

    def __init__(self, raw: RawSQL) -> None:
        self.tx = raw.insert("transactions", "tenant_id, id, seq, idempotency_key, body_hash, "
                                             "memo, meta, reverses_id, created_at, prev_hash, hash")
        self.posting = raw.insert("postings", "tenant_id, id, transaction_id, account_id, kind, "
                                              "amount, lot_id")
        self.lot = raw.insert("lots", "tenant_id, id, account_id, transaction_id, kind, amount, "
                                      "remaining, earned_at, expires_at")
        self.evaluation = raw.insert(
            "grid_evaluations", "tenant_id, id, worker_id, month, revision, state, "
                                "formula_version, metrics, score_tenths, grade, reward, pool, "
                                "transaction_id, evaluated_at, evaluated_by, reason")
        self.audit = raw.insert("audit_log", "tenant_id, id, at, actor_id, actor, action, entity, "
                                             "entity_id, reason, data")


class Rows:
    """One batch of the baseline's rows."""

    def __init__(self) -> None:
        self.txs: list[tuple[object, ...]] = []
        self.postings: list[tuple[object, ...]] = []
        self.lots: list[tuple[object, ...]] = []
        self.evaluations: list[tuple[object, ...]] = []
        self.audit: list[tuple[object, ...]] = []

    def add(self, raw: RawSQL, tenant: object, i: int, worker: uuid.UUID, account: object,
            pool: object, prev: str, created: object, expires: object) -> str:
        """Add worker ``i``'s rows; return the hash the next transaction chains to."""
        metrics, score, tenths, grade, points = GRADES[i % 2]
        tx_id, lot_id, evaluation_id = new_id(), new_id(), new_id()
        tx, lot = raw.uid(tx_id), raw.uid(lot_id)
        meta = json.dumps({"source": "grid-evaluation", "month": MONTH, "formula_version": "0",
                           "score": score, "grade": grade, "revision": "1",
                           "pool": POOL["code"]})
        digest = tx_id.hex + lot_id.hex
        self.txs.append((tenant, tx, i + 1, reward_key(worker, MONTH, 1), digest,
                         f"grid evaluation {MONTH}", meta, None, created, prev, digest))
        self.postings.append((tenant, raw.uid(new_id()), tx, pool, KIND, -points, None))
        self.postings.append((tenant, raw.uid(new_id()), tx, account, KIND, points, lot))
        self.lots.append((tenant, lot, account, tx, KIND, points, points, created, expires))
        self.evaluations.append((tenant, raw.uid(evaluation_id), raw.uid(worker), MONTH, 1,
                                 "current", 0, json.dumps(metrics.model_dump()), tenths, grade,
                                 points, POOL["code"], tx, created, "bench", ""))
        self.audit.append((tenant, raw.uid(new_id()), created, None, "bench", "grid.evaluated",
                           "grid_evaluation", raw.uid(evaluation_id), "",
                           json.dumps({"month": MONTH, "grade": grade})))
        return digest

    def write(self, conn: object, sql: Statements) -> None:
        run = conn.exec_driver_sql  # type: ignore[attr-defined]
        run(sql.tx, self.txs)
        run(sql.posting, self.postings)
        run(sql.lot, self.lots)
        run(sql.evaluation, self.evaluations)
        run(sql.audit, self.audit)


def check_counts(platform: Platform, tenant_id: uuid.UUID, n: int) -> None:
    """Both runs must have written the same rows."""
    from jifen_grid_evaluation.tables import grid_evaluations

    with platform.db.read() as conn:
        got = {table.name: conn.execute(select(func.count()).select_from(table).where(
            table.c.tenant_id == tenant_id)).scalar_one()
            for table in (t.transactions, t.postings, t.lots, grid_evaluations)}
        got["audit_log"] = conn.execute(select(func.count()).where(
            t.audit_log.c.tenant_id == tenant_id,
            t.audit_log.c.action == "grid.evaluated")).scalar_one()
    expected = {"transactions": n, "postings": 2 * n, "lots": n, "grid_evaluations": n,
                "audit_log": n}
    assert got == expected, (got, expected)


def bench(backend: str, url: str, n: int, batch: int, warmup: int) -> Result:
    upgrade(url)
    platform = make_platform(url, start=EVALUATED_AT)
    try:
        warm_up(platform, warmup)
        seconds = evaluation_run(platform, n, batch)
        print(f"  {backend}: evaluated {n} grid workers in {seconds:.2f} s", file=sys.stderr)
        raw_seconds = raw_run(platform, n, batch)
        print(f"  {backend}: raw rows of {n} in {raw_seconds:.2f} s", file=sys.stderr)
    finally:
        platform.db.dispose()
    return Result(backend, n, seconds, raw_seconds)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=10_000, help="grid workers")
    parser.add_argument("--batch", type=int, default=1000, help="workers per ledger transaction")
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--warmup", type=int, default=2000,
                        help="workers of a warm-up tenant evaluated before timing (0: none)")
    args = parser.parse_args(argv)
    results = []
    if args.backend in ("sqlite", "both"):
        with sqlite_url() as url:
            results.append(bench("sqlite", url, args.n, args.batch, args.warmup))
    if args.backend in ("postgresql", "both"):
        base = os.environ.get("JIFEN_TEST_POSTGRES_URL")
        if not base:
            print("JIFEN_TEST_POSTGRES_URL is not set: skipping PostgreSQL "
                  '(eval "$(.ci/start-postgres)" to get one)', file=sys.stderr)
        else:
            with postgres_url(base) as url:
                results.append(bench("postgresql", url, args.n, args.batch, args.warmup))
    print(f"{'backend':<12}{'N':>9}{'workers/s':>14}{'raw/s':>12}{'ratio':>8}")
    for result in results:
        print(result.row())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
