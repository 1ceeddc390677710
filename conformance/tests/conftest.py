"""Helpers for the suite's own tests: run the conformance suite in a subprocess and read its
JSON report."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import pytest


def plugin_args() -> list[str]:
    """``-p jifen_conformance.plugin`` until the entry point is installed (``uv sync``)."""
    installed = any(ep.value == "jifen_conformance.plugin"
                    for ep in entry_points(group="pytest11"))
    return [] if installed else ["-p", "jifen_conformance.plugin"]


class SuiteRun:
    def __init__(self, returncode: int, output: str, report: dict[str, Any] | None) -> None:
        self.returncode, self.output, self.report = returncode, output, report

    def clauses(self, status: str) -> set[str]:
        assert self.report is not None, self.output
        return {c["id"] for c in self.report["clauses"] if c["status"] == status}


@pytest.fixture
def run_suite(tmp_path: Path) -> Any:
    def run(*args: str, env: dict[str, str] | None = None) -> SuiteRun:
        report = tmp_path / f"report-{len(list(tmp_path.iterdir()))}.json"
        command = [sys.executable, "-m", "pytest", *plugin_args(), "--pyargs",
                   "jifen_conformance", "-q", "-p", "no:cacheprovider", "-p", "no:xdist",
                   "--jf-report", str(report), *args]
        done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True,
                              env={**os.environ, **(env or {})}, timeout=600)
        loaded = json.loads(report.read_text(encoding="utf-8")) if report.exists() else None
        return SuiteRun(done.returncode, done.stdout + done.stderr, loaded)

    return run
