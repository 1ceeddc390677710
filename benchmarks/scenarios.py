"""A school-place round at city scale (JF-SCN-3) and eligibility checks, on SQLite and PostgreSQL.

1. **Round.** N children apply to one round of the ``school-place-upgrade`` scenario (plugin
   ``jifen-school-place``), each through a guardian whose moral points the child uses
   (``child_score: best_of_guardians``, JF-SUB-2). Scores are drawn from a small range so that
   many tie: by the date the score was reached (four award instants) and, within an instant, by
   the lottery. Timed: ``draw`` (gathering every applicant's inputs in bulk, ranking, recording
   the draw and N ``round_entry`` decisions), the pure ranking alone (``jifen.scenarios.rank``
   on the recorded inputs) and ``publish`` + ``public_list`` (the masked list). The SQL
   statements the draw runs are counted, to show whether any step queries per applicant.
2. **Ranking in memory.** ``jifen.scenarios.rank`` on synthetic inputs of 10k, 100k and 1M
   applicants (no database), printed with time / (n log2 n), which stays flat for n log n.
3. **Eligibility checks.** ``platform.scenarios.check`` (one recorded decision each) for K
   children spread over the tenant, per second: after each round, and with ``--check-sizes``
   in tenants of those sizes where no round is drawn (to measure checks at a million families
   without the draw's 20 minutes).

    uv run --frozen --no-sync python benchmarks/scenarios.py [--sizes 10000,100000]
        [--rank-sizes 10000,100000,1000000] [--checks 1000] [--check-sizes 1000000]
        [--backend sqlite|postgresql|both]

Households, guardians, children, their moral awards (accounts, transactions, postings),
consents and applications are set up with raw inserts (not timed); the ledger rows of the setup
are not hash-chained (scores do not read the chain). PostgreSQL comes from
``JIFEN_TEST_POSTGRES_URL`` as for ``ledger.py``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from _common import RawSQL, postgres_url, sqlite_url
from sqlalchemy import event, select

from jifen.clock import MovableClock
from jifen.ledger import subject_account, system_account
from jifen.model import new_id
from jifen.platform import Platform
from jifen.scenarios import ResolvedRule, rank
from jifen.store import tables as t
from jifen.store.migrate import upgrade
from jifen.testing import ClaimsCity, make_claims_city, make_config, make_platform
from jifen_school_place import SCENARIO, SchoolPlaces, SchoolRound

SLOT = "第一小学:2-A→1-A"
AWARDED = [datetime(2024, 5, d, 2, 0, tzinfo=UTC) for d in (1, 2, 3, 4)]
OPENS = datetime(2024, 7, 1, 0, 0, tzinfo=UTC)
CLOSES = datetime(2024, 7, 10, 0, 0, tzinfo=UTC)
QUOTA = 15


def nlogn(n: int) -> float:
    return n * math.log2(n)


# --- setup (not timed) ---------------------------------------------------------------------

def prepare(platform: Platform, n: int, seed: int = 7) -> tuple[ClaimsCity, uuid.UUID,
                                                                   list[uuid.UUID]]:
    """A tenant with ``n`` families (guardian with moral points, child with the guardian's
    consent) and a round they all applied to; the clock stands after the window."""
    clock = platform.clock
    assert isinstance(clock, MovableClock)
    clock.set(datetime(2024, 4, 1, 2, 0, tzinfo=UTC))
    city = make_claims_city(platform, make_config(
        f"bench-{uuid.uuid4().hex[:10]}", settings={"child_score": "best_of_guardians"}))
    raw = RawSQL(platform.db.is_sqlite)
    uid, ts, tenant = raw.uid, raw.ts, raw.uid(city.id)
    with platform.db.read() as conn:
        grid = conn.execute(select(t.org_units.c.id).where(
            t.org_units.c.tenant_id == city.id, t.org_units.c.code == "grid-1")).scalar_one()
    rnd = random.Random(seed)
    homes, guardians, children = ([new_id() for _ in range(n)] for _ in range(3))
    created = ts(AWARDED[0] - timedelta(days=1))
    issuance = new_id()
    subjects_sql = raw.insert("subjects", "tenant_id, id, type, name, org_unit_id, code, "
                                          "created_at")
    with platform.db.engine.begin() as conn:
        for kind, ids, prefix in (("household", homes, "H"), ("resident", guardians, "G"),
                                  ("resident", children, "C")):
            conn.exec_driver_sql(subjects_sql, [
                (tenant, uid(s), kind, f"{'张王李赵'[i % 4]}{prefix}{i}", uid(grid),
                 f"{prefix}{i:012d}", created) for i, s in enumerate(ids)])
        conn.exec_driver_sql(raw.insert("household_links", "tenant_id, household_id, member_id, "
                                                           "role"),
                             [(tenant, uid(h), uid(m), role) for h, g, c in
                              zip(homes, guardians, children, strict=True)
                              for m, role in ((g, "guardian"), (c, "child"))])
        accounts = [new_id() for _ in guardians]
        conn.exec_driver_sql(raw.insert("accounts", "tenant_id, id, code, type, kind, "
                                                    "subject_id, balance"),
                             [(tenant, uid(issuance), system_account("issuance", "moral"),
                               "issuance", "moral", None, 0)] + [
                              (tenant, uid(a), subject_account(g, "moral"), "subject", "moral",
                               uid(g), 0) for a, g in zip(accounts, guardians, strict=True)])
        txs, posts = [], []
        for i, account in enumerate(accounts):
            tx = new_id()
            tenths = rnd.randint(400, 1200)  # 40.0–120.0: ~800 distinct scores, many ties
            when = AWARDED[rnd.randrange(len(AWARDED))]
            digest = tx.hex * 2
            txs.append((tenant, uid(tx), i + 1, f"bench:{i}", digest, "bench",
                        json.dumps({"category": "good_deed"}), None, ts(when), digest, digest))
            posts.append((tenant, uid(new_id()), uid(tx), uid(issuance), "moral", -tenths, None))
            posts.append((tenant, uid(new_id()), uid(tx), uid(account), "moral", tenths, None))
        conn.exec_driver_sql(raw.insert("transactions", "tenant_id, id, seq, idempotency_key, "
                                        "body_hash, memo, meta, reverses_id, created_at, "
                                        "prev_hash, hash"), txs)
        conn.exec_driver_sql(raw.insert("postings", "tenant_id, id, transaction_id, account_id, "
                                        "kind, amount, lot_id"), posts)
        conn.exec_driver_sql(raw.insert("scenario_consents", "tenant_id, id, scenario, "
                                        "subject_id, granted, given_by, via, created_at"),
                             [(tenant, uid(new_id()), SCENARIO, uid(c), True, uid(g), "online",
                               created) for g, c in zip(guardians, children, strict=True)])
    clock.set(OPENS + timedelta(hours=1))
    places = SchoolPlaces(platform)
    round_id = places.open_round(city.id, SchoolRound.model_validate({
        "school_year": "2024", "opens_at": OPENS, "closes_at": CLOSES,
        "upgrades": [{"school": "第一小学", "from": "2-A", "to": "1-A", "places": QUOTA}]})).id
    with platform.db.engine.begin() as conn:
        conn.exec_driver_sql(raw.insert("scenario_applications", "tenant_id, id, round_id, "
                                        "applicant_id, slot, applied_by, applied_at"),
                             [(tenant, uid(new_id()), uid(round_id), uid(c), SLOT, uid(g),
                               ts(OPENS + timedelta(hours=2)))
                              for g, c in zip(guardians, children, strict=True)])
    if not platform.db.is_sqlite:
        with platform.db.engine.connect().execution_options(
                isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ANALYZE")
    clock.set(CLOSES + timedelta(hours=2))
    return city, round_id, children


# --- the timed parts ------------------------------------------------------------------------

class Statements:
    """Counts the SQL statements run on an engine while active."""

    def __init__(self, platform: Platform) -> None:
        self.count = 0
        self.engine = platform.db.engine

    def _count(self, *_: Any) -> None:
        self.count += 1

    def __enter__(self) -> Statements:
        event.listen(self.engine, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *_: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._count)


def round_run(backend: str, platform: Platform, n: int) -> dict[str, float]:
    city, round_id, children = prepare(platform, n)
    places = SchoolPlaces(platform)
    with Statements(platform) as statements:
        start = time.perf_counter()
        draw = places.draw(city.id, round_id)
        drawn = time.perf_counter() - start
    entries = draw.result["entries"]
    assert len(entries) == n and sum(e["selected"] for e in entries) == min(QUOTA, n)
    rule = ResolvedRule.model_validate(draw.rule)
    start = time.perf_counter()
    again = rank(rule, draw.inputs)
    ranked = time.perf_counter() - start
    assert again == entries
    start = time.perf_counter()
    places.publish(city.id, round_id, publisher=city.reviewer_id)
    listing = places.public_list(city.id, round_id)
    listed = time.perf_counter() - start
    assert len(listing.entries) == sum(e["rank"] is not None for e in entries)
    print(f"  {backend}: round of {n}: draw {drawn:.2f} s ({statements.count} SQL statements, "
          f"{statements.count / n:.2f} per applicant), rank {ranked:.2f} s, "
          f"publish+list {listed:.2f} s", file=sys.stderr)
    return {"n": n, "draw": drawn, "rank": ranked, "list": listed,
            "statements": statements.count, "city": 0.0, "children": 0.0,
            "_city": city, "_children": children}  # type: ignore[dict-item]


def checks_run(platform: Platform, city: ClaimsCity, children: list[uuid.UUID], k: int) -> float:
    """``scenarios.check`` for ``k`` children spread over the tenant: checks per second."""
    sample = children[::max(len(children) // k, 1)][:k]
    start = time.perf_counter()
    for child in sample:
        decision = platform.scenarios.check(city.id, SCENARIO, child)
        assert decision.score_value is not None
    return len(sample) / (time.perf_counter() - start)


def checks_only(backend: str, platform: Platform, n: int, k: int) -> dict[str, Any]:
    """A tenant of ``n`` families and their applications, then ``k`` checks (no draw)."""
    city, _, children = prepare(platform, n)
    per_s = checks_run(platform, city, children, k)
    print(f"  {backend}: {n} families: {per_s:.0f} checks/s", file=sys.stderr)
    return {"backend": backend, "n": n, "checks_per_s": per_s}


def synthetic_inputs(n: int, seed: int = 11) -> tuple[ResolvedRule, dict[str, Any]]:
    """Recorded-style inputs of ``n`` applicants (as a draw records them), for ``rank``."""
    rnd = random.Random(seed)
    rule = ResolvedRule(scenario=SCENARIO, name="bench", provider="bench", benefit="bench",
                        mode="quota_round", eligibility={"min_score": Decimal("50.0")},
                        use_effect="mark", consume_points=Decimal("50.0"),
                        options={"notice_working_days": None}, rule_version="2024.1")
    reached = [d.isoformat() for d in AWARDED]
    applicants = []
    for _ in range(n):
        value = f"{rnd.randint(400, 1200) / 10:.1f}"
        applicants.append({"application": str(uuid.UUID(int=rnd.getrandbits(128))),
                           "subject": str(uuid.UUID(int=rnd.getrandbits(128))), "slot": SLOT,
                           "consent": True, "residence": ["city"], "effective_score": value,
                           "score": {"value": value, "categories": ["good_deed"],
                                     "reached_at": reached[rnd.randrange(4)]}})
    return rule, {"seed": "BENCH" * 12, "quotas": {SLOT: QUOTA}, "exclusions": [],
                  "applicants": applicants}


def rank_in_memory(n: int) -> float:
    rule, inputs = synthetic_inputs(n)
    start = time.perf_counter()
    entries = rank(rule, inputs)
    elapsed = time.perf_counter() - start
    assert len(entries) == n
    return elapsed


def bench(backend: str, url: str, sizes: list[int], check_sizes: list[int],
          k: int) -> list[dict[str, Any]]:
    upgrade(url)
    platform = make_platform(url)
    rows = []
    try:
        for n in sizes:
            row = round_run(backend, platform, n)
            row["checks_per_s"] = checks_run(platform, row.pop("_city"), row.pop("_children"), k)
            print(f"  {backend}: {row['checks_per_s']:.0f} checks/s", file=sys.stderr)
            rows.append({"backend": backend, **row})
        rows += [checks_only(backend, platform, n, k) for n in check_sizes]
    finally:
        platform.db.dispose()
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000", help="applicants per DB round")
    parser.add_argument("--rank-sizes", default="10000,100000,1000000",
                        help="applicants for the in-memory ranking")
    parser.add_argument("--checks", type=int, default=1000, help="eligibility checks timed")
    parser.add_argument("--check-sizes", default="",
                        help="families of tenants where only the checks are timed (no round)")
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    rank_sizes = [int(s) for s in args.rank_sizes.split(",") if s]
    check_sizes = [int(s) for s in args.check_sizes.split(",") if s]
    rows: list[dict[str, Any]] = []
    if args.backend in ("sqlite", "both"):
        with sqlite_url() as url:
            rows += bench("sqlite", url, sizes, check_sizes, args.checks)
    if args.backend in ("postgresql", "both"):
        base = os.environ.get("JIFEN_TEST_POSTGRES_URL")
        if not base:
            print("JIFEN_TEST_POSTGRES_URL is not set: skipping PostgreSQL "
                  '(eval "$(.ci/start-postgres)" to get one)', file=sys.stderr)
        else:
            with postgres_url(base) as url:
                rows += bench("postgresql", url, sizes, check_sizes, args.checks)
    print(f"{'backend':<12}{'N':>9}{'draw s':>9}{'µs/nlogn':>10}{'SQL/app':>9}{'rank s':>9}"
          f"{'µs/nlogn':>10}{'list s':>8}{'checks/s':>10}")
    for r in rows:
        n = r["n"]
        if "draw" not in r:
            print(f"{r['backend']:<12}{n:>9}{'(checks only)':>64}{r['checks_per_s']:>10.0f}")
            continue
        print(f"{r['backend']:<12}{n:>9}{r['draw']:>9.2f}{r['draw'] / nlogn(n) * 1e6:>10.3f}"
              f"{r['statements'] / n:>9.2f}{r['rank']:>9.2f}{r['rank'] / nlogn(n) * 1e6:>10.3f}"
              f"{r['list']:>8.2f}{r['checks_per_s']:>10.0f}")
    print(f"\n{'in-memory rank':<16}{'N':>9}{'s':>9}{'µs/(n log2 n)':>15}")
    for n in rank_sizes:
        seconds = rank_in_memory(n)
        print(f"{'':<16}{n:>9}{seconds:>9.2f}{seconds / nlogn(n) * 1e6:>15.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
