"""Faults (issue #9): the monthly evaluation killed (SIGKILL) in the middle of its batches, then
run again: every worker is evaluated and rewarded exactly once, the pool's issued total is the
sum of the rewards, and the ledger's audit verifies (JF-GRID-1, JF-GRID-2, JF-FUND-1, JF-LED-3,
JF-LED-6), on SQLite and PostgreSQL. docs/reliability.md reports the outcome."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from jifen.platform import Platform
from jifen.testing import TEST_POOL, assert_books_sound, kill_midway, make_claims_city
from jifen_grid_evaluation import GridEvaluation
from jifen_grid_evaluation import tables as gt
from jifen_grid_evaluation.testing import A_METRICS, B_METRICS, C_METRICS, MONTH


def evaluation_rows(platform: Platform, tenant_id: uuid.UUID) -> list[uuid.UUID]:
    with platform.db.read() as conn:
        return list(conn.execute(select(gt.grid_evaluations.c.worker_id).where(
            gt.grid_evaluations.c.tenant_id == tenant_id)).scalars())


def test_jf_grid_2_evaluation_killed_midway_rewards_everyone_once_on_rerun(
        platform: Platform) -> None:
    town = make_claims_city(platform)
    grid = GridEvaluation(platform)
    metrics = [A_METRICS, B_METRICS, C_METRICS, A_METRICS, B_METRICS, A_METRICS, C_METRICS]
    workers = [grid.add_worker(town.id, f"网格员{i}", "grid-1") for i in range(len(metrics))]
    for worker, recorded in zip(workers, metrics, strict=True):
        grid.record_metrics(town.id, worker.id, MONTH, recorded)
    rewards = {A_METRICS: 500, B_METRICS: 300, C_METRICS: 0}

    kill_midway(platform, town.id, "from jifen_grid_evaluation import GridEvaluation\n"
                f"GridEvaluation(platform).evaluate(tenant_id, {MONTH!r}, batch_size=2)", 4)
    assert 0 < len(evaluation_rows(platform, town.id)) < len(workers)
    assert platform.audit(town.id).ok

    report = grid.evaluate(town.id, MONTH, batch_size=2)
    assert 0 < len(report.evaluated) < len(workers)  # only what the killed run had not done
    assert sorted(evaluation_rows(platform, town.id)) == sorted(w.id for w in workers)
    assert [platform.balance(town.id, w.id, "material").minor for w in workers] == \
        [rewards[m] for m in metrics]
    assert platform.funding.pool(town.id, TEST_POOL["code"]).issued == sum(rewards[m] for m in metrics)
    assert len(platform.audit_log(town.id, action="grid.evaluated")) == len(workers)
    assert grid.evaluate(town.id, MONTH).evaluated == []
    assert_books_sound(platform, town.id)
