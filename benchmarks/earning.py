"""Closing notices and scoring at city scale, each against a raw-SQL baseline in the same process.

1. **Close.** N claims of N residents sit in one ended notice batch; ``claims.close_notices``
   posts each award to the ledger and makes the claim final. Baseline: the same rows (one
   transaction and two postings per claim, the claim's state set to final) written with DB-API
   ``executemany`` into a second tenant prepared the same way.
2. **Score.** ``scorer.score_many`` computes the score with its full explanation (per category,
   per posting) for the same N residents. Baseline: one ``SUM(amount) GROUP BY account`` over
   the same postings — a score without any explanation.

    uv run --frozen --no-sync python benchmarks/earning.py [--n 100000] [--backend sqlite|postgresql|both]

Residents and claims are set up with raw inserts (not timed); PostgreSQL comes from
``JIFEN_TEST_POSTGRES_URL`` as for ``ledger.py``.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime

from _common import RawSQL, postgres_url, sqlite_url
from sqlalchemy import func, select

from jifen.ledger import subject_account, system_account
from jifen.model import new_id
from jifen.model.claims import ClaimState
from jifen.platform import Platform
from jifen.store import tables as t
from jifen.store.migrate import upgrade
from jifen.testing import ClaimsCity, make_claims_city, make_platform

AMOUNT = 20  # 2.0 moral points: 2 volunteer hours
START = datetime(2024, 3, 1, 2, 0, tzinfo=UTC)
CLOSE_AT = datetime(2024, 3, 20, 2, 0, tzinfo=UTC)


@dataclass
class Result:
    backend: str
    n: int
    close_seconds: float
    close_raw_seconds: float
    score_seconds: float
    score_raw_seconds: float

    def row(self) -> str:
        close, close_raw = self.n / self.close_seconds, self.n / self.close_raw_seconds
        score, score_raw = self.n / self.score_seconds, self.n / self.score_raw_seconds
        return (f"{self.backend:<12}{self.n:>9}{close:>12,.0f}{close_raw:>12,.0f}"
                f"{close / close_raw:>8.2f}{score:>12,.0f}{score_raw:>12,.0f}"
                f"{score / score_raw:>8.2f}")


def prepare(platform: Platform, n: int) -> tuple[ClaimsCity, list[uuid.UUID]]:
    """A configured tenant with ``n`` residents, each with one approved claim in a notice batch
    that ended on 2024-03-08 (inserted directly: setup, not timed)."""
    platform.clock.set(START)  # type: ignore[attr-defined]
    city = make_claims_city(platform)
    raw = RawSQL(platform.db.is_sqlite)
    tenant, now = raw.uid(city.id), raw.ts(START)
    with platform.db.read() as conn:
        grid = conn.execute(select(t.org_units.c.id).where(
            t.org_units.c.tenant_id == city.id, t.org_units.c.code == "grid-1")).scalar_one()
    residents = [new_id() for _ in range(n)]
    batch_id = new_id()
    with platform.db.engine.begin() as conn:
        conn.exec_driver_sql(raw.insert(
            "subjects", "tenant_id, id, type, name, org_unit_id, code, created_at"),
            [(tenant, raw.uid(r), "resident", f"居民{i}", raw.uid(grid), f"B{i:012d}", now)
             for i, r in enumerate(residents)])
        conn.exec_driver_sql(raw.insert(
            "notice_batches", "tenant_id, id, org_unit_id, published_by, published_at, "
                              "starts_on, ends_on"),
            [(tenant, raw.uid(batch_id), raw.uid(grid), raw.uid(city.reviewer_id), now,
              date(2024, 3, 1), date(2024, 3, 8))])
        conn.exec_driver_sql(raw.insert(
            "claims", "tenant_id, id, idempotency_key, request_hash, subject_id, item_code, "
                      "item_version, category, kind, deed_date, units, requested, amount, "
                      "evidence, evidence_fingerprint, deed_key, state, submitted_at, "
                      "reviewed_by, reviewed_at, notice_batch_id, notice_ends_on"),
            [(tenant, raw.uid(new_id()), f"bench:{i}", "0" * 64, raw.uid(r), "volunteer.hour",
              date(2024, 1, 1), "volunteering", "moral", date(2024, 2, 28), 2, AMOUNT, AMOUNT,
              '{"photo": "p"}', "f" * 64, hashlib.sha256(r.bytes).hexdigest(),
              ClaimState.IN_NOTICE.value, now, raw.uid(city.reviewer_id), now,
              raw.uid(batch_id), date(2024, 3, 8)) for i, r in enumerate(residents)])
    platform.clock.set(CLOSE_AT)  # type: ignore[attr-defined]
    return city, residents


def close_run(platform: Platform, n: int) -> tuple[float, ClaimsCity, list[uuid.UUID]]:
    city, residents = prepare(platform, n)
    start = time.perf_counter()
    report = platform.claims.close_notices(city.id, batch_size=1000)
    elapsed = time.perf_counter() - start
    assert report.finalised == n and not report.failed, report
    assert platform.ledger.balance(city.id, system_account("issuance", "moral")) == -AMOUNT * n
    return elapsed, city, residents


def close_raw_run(platform: Platform, n: int) -> float:
    """The rows closing writes, with executemany: per claim one transaction, two postings and
    the claim's new state, in database transactions of 1000 claims. No reads, no locks, no
    balances, no audit log: a ceiling."""
    city, residents = prepare(platform, n)
    raw = RawSQL(platform.db.is_sqlite)
    tenant, now = raw.uid(city.id), raw.ts(CLOSE_AT)
    issuance, accounts = new_id(), [new_id() for _ in residents]
    with platform.db.engine.begin() as conn:
        conn.exec_driver_sql(raw.insert(
            "accounts", "tenant_id, id, code, type, kind, subject_id, balance"),
            [(tenant, raw.uid(issuance), system_account("issuance", "moral"), "issuance",
              "moral", None, 0)] + [
            (tenant, raw.uid(a), subject_account(r, "moral"), "subject", "moral", raw.uid(r), 0)
            for a, r in zip(accounts, residents, strict=True)])
        claim_ids = [row[0] for row in conn.execute(select(t.claims.c.id).where(
            t.claims.c.tenant_id == city.id).order_by(t.claims.c.subject_id))]
    by_resident = sorted(zip(residents, accounts, strict=True), key=lambda pair: pair[0])
    insert_tx = raw.insert("transactions", "tenant_id, id, seq, idempotency_key, body_hash, "
                                           "memo, meta, reverses_id, created_at, prev_hash, hash")
    insert_posting = raw.insert("postings", "tenant_id, id, transaction_id, account_id, kind, "
                                            "amount, lot_id")
    mark = raw.mark
    set_final = (f"UPDATE claims SET state = {mark}, transaction_id = {mark}, decided_at = {mark} "
                 f"WHERE tenant_id = {mark} AND id = {mark}")
    start = time.perf_counter()
    for offset in range(0, n, 1000):
        txs, posts, finals = [], [], []
        for i in range(offset, min(offset + 1000, n)):
            tx, account = new_id(), by_resident[i][1]
            digest = tx.hex * 2
            txs.append((tenant, raw.uid(tx), i + 1, f"claim:{i}", digest, "bench", "{}", None,
                        now, digest, digest))
            posts.append((tenant, raw.uid(new_id()), raw.uid(tx), raw.uid(issuance), "moral",
                          -AMOUNT, None))
            posts.append((tenant, raw.uid(new_id()), raw.uid(tx), raw.uid(account), "moral",
                          AMOUNT, None))
            finals.append((ClaimState.FINAL.value, raw.uid(tx), now, tenant,
                           raw.uid(claim_ids[i])))
        with platform.db.engine.begin() as conn:
            conn.exec_driver_sql(insert_tx, txs)
            conn.exec_driver_sql(insert_posting, posts)
            conn.exec_driver_sql(set_final, finals)
    return time.perf_counter() - start


def score_run(platform: Platform, city: ClaimsCity, residents: list[uuid.UUID]) -> float:
    start = time.perf_counter()
    scores = platform.scorer.score_many(city.id, residents, CLOSE_AT)
    elapsed = time.perf_counter() - start
    assert len(scores) == len(residents)
    assert all(score.value == 2 and len(score.lines) == 1 for score in scores.values())
    return elapsed


def score_raw_run(platform: Platform, city: ClaimsCity, residents: list[uuid.UUID]) -> float:
    start = time.perf_counter()
    with platform.db.read() as conn:
        sums = conn.execute(
            select(t.postings.c.account_id, func.sum(t.postings.c.amount))
            .where(t.postings.c.tenant_id == city.id, t.postings.c.kind == "moral",
                   t.postings.c.amount > 0)
            .group_by(t.postings.c.account_id)).all()
    elapsed = time.perf_counter() - start
    assert len(sums) == len(residents)
    return elapsed


def bench(backend: str, url: str, n: int) -> Result:
    upgrade(url)
    platform = make_platform(url)
    try:
        close_seconds, city, residents = close_run(platform, n)
        print(f"  {backend}: close {n} claims in {close_seconds:.2f} s", file=sys.stderr)
        close_raw = close_raw_run(platform, n)
        print(f"  {backend}: raw close {n} in {close_raw:.2f} s", file=sys.stderr)
        score_seconds = score_run(platform, city, residents)
        print(f"  {backend}: score {n} residents in {score_seconds:.2f} s", file=sys.stderr)
        score_raw = score_raw_run(platform, city, residents)
        print(f"  {backend}: raw sums in {score_raw:.2f} s", file=sys.stderr)
    finally:
        platform.db.dispose()
    return Result(backend, n, close_seconds, close_raw, score_seconds, score_raw)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100_000, help="claims and residents")
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    args = parser.parse_args(argv)
    results = []
    if args.backend in ("sqlite", "both"):
        with sqlite_url() as url:
            results.append(bench("sqlite", url, args.n))
    if args.backend in ("postgresql", "both"):
        base = os.environ.get("JIFEN_TEST_POSTGRES_URL")
        if not base:
            print("JIFEN_TEST_POSTGRES_URL is not set: skipping PostgreSQL", file=sys.stderr)
        else:
            with postgres_url(base) as url:
                results.append(bench("postgresql", url, args.n))
    print(f"{'backend':<12}{'N':>9}{'close/s':>12}{'raw/s':>12}{'ratio':>8}"
          f"{'score/s':>12}{'raw/s':>12}{'ratio':>8}")
    for result in results:
        print(result.row())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
