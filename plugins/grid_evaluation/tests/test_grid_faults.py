"""Faults (issue #9): the monthly evaluation killed (SIGKILL) in the middle of its batches, then
run again: every worker is evaluated and rewarded exactly once, the pool's issued total is the
sum of the rewards, and the ledger's audit verifies (JF-GRID-1, JF-GRID-2, JF-FUND-1, JF-LED-3,
JF-LED-6), on SQLite and PostgreSQL. docs/reliability.md reports the outcome."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from select import select as wait_readable

import pytest
from sqlalchemy import func, select

from jifen.clock import MovableClock
from jifen.platform import Platform
from jifen.store import Database
from jifen.store import tables as ct
from jifen.testing import TEST_POOL, make_claims_city
from jifen_grid_evaluation import GridEvaluation
from jifen_grid_evaluation import tables as gt
from jifen_grid_evaluation.testing import A_METRICS, B_METRICS, C_METRICS, MONTH

KEY = os.urandom(32)

#: The child (as in core/tests/test_faults.py): the same database, clock and master key; at its
#: PAUSE_AT-th commit, before committing, it says "paused" and waits to be killed.
CHILD = """
import os, sys, time, uuid
from datetime import datetime
from sqlalchemy import Engine, event
from jifen.clock import MovableClock
from jifen.platform import Platform
from jifen.store import Database
from jifen_grid_evaluation import GridEvaluation
commits = 0
@event.listens_for(Engine, "commit")
def pause(conn):
    global commits
    commits += 1
    if commits == int(os.environ["PAUSE_AT"]):
        print("paused", flush=True)
        time.sleep(120)
platform = Platform(Database(sys.argv[1]), clock=MovableClock(datetime.fromisoformat(sys.argv[2])),
                    master_key=bytes.fromhex(sys.argv[3]))
GridEvaluation(platform).evaluate(uuid.UUID(sys.argv[4]), sys.argv[5], batch_size=2)
"""


@pytest.fixture
def keyed(database_url: str) -> Iterator[Platform]:
    p = Platform(Database(database_url), clock=MovableClock(datetime(2024, 3, 1, 8, tzinfo=UTC)),
                 master_key=KEY)
    yield p
    p.db.dispose()


def evaluate_killed_midway(platform: Platform, tenant_id: uuid.UUID, pause_at: int) -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, platform.db.url, platform.clock.now().isoformat(),
         KEY.hex(), str(tenant_id), MONTH],
        env={**os.environ, "PAUSE_AT": str(pause_at)}, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        ready, _, _ = wait_readable([child.stdout], [], [], 120)  # bounded: never hang CI
        line = child.stdout.readline() if ready else "(no pause within 120 s)"
    finally:
        child.send_signal(signal.SIGKILL)
        _, errors = child.communicate(timeout=30)
    assert line == "paused\n", f"the child did not pause: {line}\n{errors}"
    assert child.returncode == -signal.SIGKILL


def evaluation_rows(platform: Platform, tenant_id: uuid.UUID) -> list[uuid.UUID]:
    with platform.db.read() as conn:
        return list(conn.execute(select(gt.grid_evaluations.c.worker_id).where(
            gt.grid_evaluations.c.tenant_id == tenant_id)).scalars())


def test_jf_grid_2_evaluation_killed_midway_rewards_everyone_once_on_rerun(
        keyed: Platform) -> None:
    town = make_claims_city(keyed)
    grid = GridEvaluation(keyed)
    metrics = [A_METRICS, B_METRICS, C_METRICS, A_METRICS, B_METRICS, A_METRICS, C_METRICS]
    workers = [grid.add_worker(town.id, f"网格员{i}", "grid-1") for i in range(len(metrics))]
    for worker, recorded in zip(workers, metrics, strict=True):
        grid.record_metrics(town.id, worker.id, MONTH, recorded)
    rewards = {A_METRICS: 500, B_METRICS: 300, C_METRICS: 0}

    evaluate_killed_midway(keyed, town.id, pause_at=4)
    assert 0 < len(evaluation_rows(keyed, town.id)) < len(workers)
    assert keyed.audit(town.id).ok

    report = grid.evaluate(town.id, MONTH, batch_size=2)
    assert 0 < len(report.evaluated) < len(workers)  # only what the killed run had not done
    assert sorted(evaluation_rows(keyed, town.id)) == sorted(w.id for w in workers)
    assert [keyed.balance(town.id, w.id, "material").minor for w in workers] == \
        [rewards[m] for m in metrics]
    assert keyed.funding.pool(town.id, TEST_POOL["code"]).issued == sum(rewards[m] for m in metrics)
    assert len(keyed.audit_log(town.id, action="grid.evaluated")) == len(workers)
    assert grid.evaluate(town.id, MONTH).evaluated == []
    report_ok = keyed.audit(town.id)
    assert report_ok.ok, report_ok.problems
    with keyed.db.read() as conn:
        doubled = conn.execute(select(ct.transactions.c.idempotency_key).where(
            ct.transactions.c.tenant_id == town.id).group_by(ct.transactions.c.idempotency_key)
            .having(func.count() > 1)).scalars().all()
    assert doubled == []
