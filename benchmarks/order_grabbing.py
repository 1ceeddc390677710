"""Grabs per second under contention (JF-ORD-2), against a raw-SQL baseline in the same process.

For each of M open orders, N threads (one per department) are released together by a barrier
and each tries to grab the order; exactly one wins, N − 1 get ``order.already_grabbed``.

1. **jifen.** ``Orders.grab``: in one write transaction, read the order and the department,
   check the remit, the conditional ``UPDATE … WHERE state = 'open'``, an audit-log row on a
   win, then read the order back.
2. **Baseline.** The same conditional ``UPDATE`` alone, through the DB-API cursor
   (``exec_driver_sql``) in its own transaction per attempt, on the same engine, with the same
   threads and barrier, on M other orders of the same tenant.

    uv run --frozen --no-sync python benchmarks/order_grabbing.py [--threads 20] [--orders 200]
        [--backend sqlite|postgresql|both]

PostgreSQL comes from ``JIFEN_TEST_POSTGRES_URL`` as for ``ledger.py``. Rates are grab
attempts per second (N × M attempts over the timed run); ratio = jifen ÷ baseline.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from _common import RawSQL, postgres_url, sqlite_url

from jifen.errors import JifenError
from jifen.platform import Platform
from jifen.store.migrate import upgrade
from jifen.testing import make_claims_city, make_platform
from jifen_order_grabbing import Orders
from jifen_order_grabbing.testing import Town

Attempt = Callable[[int, uuid.UUID], bool]  # (thread, order) -> won?


@dataclass
class Result:
    backend: str
    threads: int
    orders: int
    seconds: float
    raw_seconds: float

    def row(self) -> str:
        attempts = self.threads * self.orders
        rate, raw = attempts / self.seconds, attempts / self.raw_seconds
        return (f"{self.backend:<12}{self.threads:>8}{self.orders:>8}{rate:>12,.0f}"
                f"{raw:>12,.0f}{rate / raw:>8.2f}{self.orders / self.seconds:>10,.1f}")


def race(threads: int, orders: list[uuid.UUID], attempt: Attempt) -> float:
    """Run every order's race (all threads, released together per order); the seconds taken.
    Checks that each order was won exactly once."""
    barrier = threading.Barrier(threads)
    wins = [0] * len(orders)
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker(index: int) -> None:
        try:
            for number, order_id in enumerate(orders):
                barrier.wait()
                if attempt(index, order_id):
                    with lock:
                        wins[number] += 1
        except threading.BrokenBarrierError:
            pass
        except BaseException as exc:
            errors.append(exc)
            barrier.abort()

    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    start = time.perf_counter()
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    elapsed = time.perf_counter() - start
    if errors:
        raise errors[0]
    assert wins == [1] * len(orders), f"not exactly one winner per order: {wins}"
    return elapsed


def prepare(platform: Platform, threads: int, orders: int) -> tuple[Town, list[uuid.UUID]]:
    """A configured tenant with ``threads`` departments covering ``sanitation`` and
    2 × ``orders`` open orders (setup, not timed)."""
    town = Town(make_claims_city(platform), Orders(platform))
    for i in range(threads):
        town.department(f"部门{i:02d}", "sanitation")
    deadline = town.clock.now() + timedelta(days=30)
    return town, [town.post(deadline=deadline).id for _ in range(2 * orders)]


def jifen_attempt(town: Town, departments: list[uuid.UUID]) -> Attempt:
    def attempt(index: int, order_id: uuid.UUID) -> bool:
        try:
            town.orders.grab(town.id, order_id, departments[index])
        except JifenError as exc:
            assert exc.code == "order.already_grabbed", exc
            return False
        return True

    return attempt


def raw_attempt(town: Town, departments: list[uuid.UUID]) -> Attempt:
    raw = RawSQL(town.platform.db.is_sqlite)
    sql = (f"UPDATE problem_orders SET state = 'grabbed', department_id = {raw.mark}, "
           f"grabbed_at = {raw.mark} WHERE tenant_id = {raw.mark} AND id = {raw.mark} "
           "AND state = 'open'")
    engine, tenant = town.platform.db.engine, raw.uid(town.id)

    def attempt(index: int, order_id: uuid.UUID) -> bool:
        with engine.begin() as conn:
            done = conn.exec_driver_sql(sql, (raw.uid(departments[index]),
                                              raw.ts(town.clock.now()), tenant,
                                              raw.uid(order_id)))
            return done.rowcount == 1

    return attempt


def bench(backend: str, url: str, threads: int, orders: int) -> Result:
    upgrade(url)
    platform = make_platform(url)
    try:
        town, ids = prepare(platform, threads, orders)
        departments = [d.id for d in town.departments.values()]
        seconds = race(threads, ids[:orders], jifen_attempt(town, departments))
        print(f"  {backend}: {orders} orders × {threads} threads in {seconds:.2f} s",
              file=sys.stderr)
        raw_seconds = race(threads, ids[orders:], raw_attempt(town, departments))
        print(f"  {backend}: raw in {raw_seconds:.2f} s", file=sys.stderr)
    finally:
        platform.db.dispose()
    return Result(backend, threads, orders, seconds, raw_seconds)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=20, help="departments racing per order")
    parser.add_argument("--orders", type=int, default=200, help="orders raced for")
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    args = parser.parse_args(argv)
    results = []
    if args.backend in ("sqlite", "both"):
        with sqlite_url() as url:
            results.append(bench("sqlite", url, args.threads, args.orders))
    if args.backend in ("postgresql", "both"):
        base = os.environ.get("JIFEN_TEST_POSTGRES_URL")
        if not base:
            print("JIFEN_TEST_POSTGRES_URL is not set: skipping PostgreSQL", file=sys.stderr)
        else:
            with postgres_url(base) as url:
                results.append(bench("postgresql", url, args.threads, args.orders))
    print(f"{'backend':<12}{'threads':>8}{'orders':>8}{'grabs/s':>12}{'raw/s':>12}"
          f"{'ratio':>8}{'orders/s':>10}")
    for result in results:
        print(result.row())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
