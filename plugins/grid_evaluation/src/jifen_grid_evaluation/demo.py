"""The plugin's part of ``jifen demo``: six grid workers of Kangbashi evaluated for July 2024.

Called once through ``seed_demo`` when the demo city is made; safe to call again (workers are
found by their external references, metrics are not re-recorded once evaluated, and the
evaluation is idempotent).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from rich.console import Console

from jifen import subjects
from jifen.clock import MovableClock
from jifen.platform import Platform
from jifen_grid_evaluation.cli import ranking_table
from jifen_grid_evaluation.model import Metrics
from jifen_grid_evaluation.service import GridEvaluation

MONTH = "2024-07"
EVALUATED_AT = datetime(2024, 8, 2, 2, 0, tzinfo=UTC)  # 10:00 in Ordos, 2 August

# name, grid, July's metrics: orders, ratings (count, sum), responses (count, minutes),
# inspections
WORKERS: tuple[tuple[str, str, Metrics], ...] = (
    ("网格员 乌兰", "ordos.kbs.hbgx.tuanjie.g01",
     Metrics(orders_done=24, ratings_count=40, ratings_sum=192, responses_count=30,
             response_minutes=600, inspections=32)),
    ("网格员 巴特尔", "ordos.kbs.hbgx.tuanjie.g02",
     Metrics(orders_done=18, ratings_count=25, ratings_sum=110, responses_count=20,
             response_minutes=700, inspections=26)),
    ("网格员 张丽", "ordos.kbs.hbgx.youyi.g01",
     Metrics(orders_done=17, ratings_count=30, ratings_sum=126, responses_count=24,
             response_minutes=600, inspections=30)),
    ("网格员 刘洋", "ordos.kbs.hbgx.shuxiang.g01",
     Metrics(orders_done=9, ratings_count=12, ratings_sum=42, responses_count=15,
             response_minutes=1500, inspections=14)),
    ("网格员 高娃", "ordos.kbs.qcs.qingchun.g01",
     Metrics(orders_done=21, ratings_count=35, ratings_sum=161, responses_count=28,
             response_minutes=784, inspections=30)),
    ("网格员 王磊", "ordos.kbs.qcs.yangguang.g02",
     Metrics(orders_done=16, ratings_count=20, ratings_sum=80, responses_count=18,
             response_minutes=900, inspections=20)),
)


def seed(platform: Platform, tenant_id: uuid.UUID, clock: MovableClock,
         console: Console) -> None:
    """Create the workers, record July, move the clock into August, evaluate and rank."""
    grid = GridEvaluation(platform)
    evaluated = {e.worker_id for e in grid.evaluations(tenant_id, MONTH)}
    for index, (name, unit, metrics) in enumerate(WORKERS, start=1):
        worker_id = _worker(grid, tenant_id, index, name, unit)
        if worker_id not in evaluated:
            grid.record_metrics(tenant_id, worker_id, MONTH, metrics, recorded_by="demo")
    if clock.now() < EVALUATED_AT:
        clock.set(EVALUATED_AT)
    report = grid.evaluate(tenant_id, MONTH, evaluated_by="demo")
    if report.evaluated:
        grades = ", ".join(f"{grade} {count}" for grade, count in report.grades.items())
        console.print(f"grid evaluation {MONTH}: {len(report.evaluated)} grid worker(s) "
                      f"evaluated ({grades}), {report.points} material points issued (JF-GRID-1)")
    else:
        console.print(f"grid evaluation {MONTH}: evaluated already; no one rewarded twice "
                      "(JF-GRID-2)")
    for group in grid.ranking(tenant_id, MONTH, "street"):
        console.print(ranking_table(group, MONTH))


def _worker(grid: GridEvaluation, tenant_id: uuid.UUID, index: int, name: str,
            unit: str) -> uuid.UUID:
    ref = f"demo:grid-worker-{index}"
    with grid.platform.db.read() as conn:
        existing = subjects.find_by_external_ref(conn, tenant_id, ref)
    if existing is not None:
        return existing.id
    return grid.add_worker(tenant_id, name, unit, external_ref=ref).id
