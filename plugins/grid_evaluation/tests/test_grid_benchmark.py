"""The grid-evaluation benchmark keeps running (a tiny N; the figures live in
benchmarks/README.md)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

BENCHMARK = Path(__file__).resolve().parents[3] / "benchmarks" / "grid_evaluation.py"


def test_the_benchmark_runs_and_prints_the_ratio(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(BENCHMARK), "--n", "60", "--batch", "25", "--warmup", "10",
         "--backend", "sqlite"],
        cwd=tmp_path, capture_output=True, text=True, check=False, timeout=300,
        env={**os.environ, "JIFEN_TEST_POSTGRES_URL": ""})
    assert result.returncode == 0, result.stderr
    assert "workers/s" in result.stdout and "ratio" in result.stdout and "sqlite" in result.stdout
