"""The plugin's part of the demo: grid workers of Kangbashi evaluated for July 2024 and ranked
per street, safe to run twice (JF-GRID-1, JF-GRID-2)."""

from __future__ import annotations

import io
import uuid
from pathlib import Path

from rich.console import Console

from jifen.clock import MovableClock
from jifen.demo import config_path
from jifen.platform import Platform
from jifen_grid_evaluation import GridEvaluation
from jifen_grid_evaluation.demo import MONTH, WORKERS, seed


def test_jf_grid_1_the_demo_evaluates_july_with_a_spread_of_grades(platform: Platform,
                                                                   tmp_path: Path) -> None:
    # The demo city's own file, under a code of its own so that tests never share a tenant.
    text = config_path().read_text(encoding="utf-8")
    file = tmp_path / "city.yaml"
    file.write_text(text.replace("\ncode: ordos\n", f"\ncode: ordos-{uuid.uuid4().hex[:8]}\n", 1),
                    encoding="utf-8")
    tenant_id = platform.apply_config(file, approved_by="demo").tenant.id
    clock = platform.clock
    assert isinstance(clock, MovableClock)
    out = io.StringIO()
    seed(platform, tenant_id, clock, Console(file=out, width=200))
    grid = GridEvaluation(platform)
    evaluations = grid.evaluations(tenant_id, MONTH)
    assert len(evaluations) == len(WORKERS)
    assert {e.grade for e in evaluations} == {"A", "B", "C"}
    printed = out.getvalue()
    assert "哈巴格希街道 (ordos.kbs.hbgx)" in printed and "青春山街道 (ordos.kbs.qcs)" in printed
    assert f"{len(WORKERS)} grid worker(s) evaluated" in printed

    again = io.StringIO()
    seed(platform, tenant_id, clock, Console(file=again, width=200))  # idempotent-safe
    assert "evaluated already; no one rewarded twice" in again.getvalue()
    assert len(grid.workers(tenant_id)) == len(WORKERS)
    assert platform.audit(tenant_id).ok
