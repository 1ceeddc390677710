"""The grab benchmark keeps running (tiny sizes; the figures live in benchmarks/README.md)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_jf_ord_2_the_grab_benchmark_runs_and_prints_the_ratio(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "order_grabbing.py"), "--threads", "4",
         "--orders", "5", "--backend", "sqlite"],
        cwd=tmp_path, capture_output=True, text=True, check=False, timeout=300,
        env={**os.environ, "JIFEN_TEST_POSTGRES_URL": ""})
    assert result.returncode == 0, result.stderr
    assert "grabs/s" in result.stdout and "sqlite" in result.stdout
