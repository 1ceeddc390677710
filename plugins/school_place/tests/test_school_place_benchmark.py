"""The school-place benchmark keeps running (a tiny N; the figures live in benchmarks/README.md)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_scenarios_benchmark_runs_and_prints_the_n_log_n_ratios(repo_root: Path,
                                                                  tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(repo_root / "benchmarks" / "scenarios.py"), "--sizes", "60",
         "--rank-sizes", "200,2000", "--checks", "5", "--check-sizes", "80",
         "--backend", "sqlite"],
        cwd=tmp_path, capture_output=True, text=True, check=False, timeout=300,
        env={**os.environ, "JIFEN_TEST_POSTGRES_URL": ""})
    assert result.returncode == 0, result.stderr
    assert "µs/nlogn" in result.stdout and "in-memory rank" in result.stdout
    assert "checks/s" in result.stdout and "SQL/app" in result.stdout
    assert "(checks only)" in result.stdout
