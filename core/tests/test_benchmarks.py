"""The benchmarks keep running (a tiny N; the figures themselves live in benchmarks/README.md)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.parametrize("diagnostic", [[], ["--without-hashes"]])
def test_ledger_benchmark_runs_and_prints_the_ratio(repo_root: Path, tmp_path: Path,
                                                    diagnostic: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, str(repo_root / "benchmarks" / "ledger.py"), "--n", "300",
         "--batch", "100", "--residents", "20", "--backend", "sqlite", *diagnostic],
        cwd=tmp_path, capture_output=True, text=True, check=False, timeout=300,
        env={**os.environ, "JIFEN_TEST_POSTGRES_URL": ""})
    assert result.returncode == 0, result.stderr
    assert "ratio" in result.stdout and "sqlite" in result.stdout


def test_earning_benchmark_runs_and_prints_both_ratios(repo_root: Path, tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(repo_root / "benchmarks" / "earning.py"), "--n", "200",
         "--backend", "sqlite"],
        cwd=tmp_path, capture_output=True, text=True, check=False, timeout=300,
        env={**os.environ, "JIFEN_TEST_POSTGRES_URL": ""})
    assert result.returncode == 0, result.stderr
    assert "close/s" in result.stdout and "score/s" in result.stdout


def test_codes_benchmark_runs_and_prints_the_rates(repo_root: Path, tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(repo_root / "benchmarks" / "codes.py"), "--n", "50",
         "--backend", "sqlite"],
        cwd=tmp_path, capture_output=True, text=True, check=False, timeout=300,
        env={**os.environ, "JIFEN_TEST_POSTGRES_URL": ""})
    assert result.returncode == 0, result.stderr
    assert "consume/s" in result.stdout and "raw Ed25519" in result.stdout
