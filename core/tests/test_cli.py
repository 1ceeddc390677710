"""The command line: the demo, db upgrade, and errors as one line with a stable code."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def jifen(*args: str, cwd: Path, env: dict[str, str] | None = None
          ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "jifen", *args], cwd=cwd, text=True,
                          capture_output=True, env={**os.environ, **(env or {})}, check=False)


def test_demo_runs_twice_with_the_same_balances_and_a_verified_audit(tmp_path: Path) -> None:
    env = {"JIFEN_DATABASE_URL": f"sqlite:///{tmp_path / 'demo.db'}"}
    first = jifen("demo", cwd=tmp_path, env=env)
    assert first.returncode == 0, first.stderr
    assert "211.2" in first.stdout and "verified" in first.stdout
    second = jifen("demo", cwd=tmp_path, env=env)
    assert second.returncode == 0, second.stderr
    table = lambda out: out.split("household code")[0]  # noqa: E731
    assert table(second.stdout) == table(first.stdout)  # JF-LED-3: nothing posted twice
    assert "audit: 8 transactions" in second.stdout
    assert (tmp_path / ".jifen" / "master.key").stat().st_mode & 0o077 == 0


def test_errors_print_their_code_and_exit_2(tmp_path: Path) -> None:
    env = {"JIFEN_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}
    assert jifen("db", "upgrade", cwd=tmp_path, env=env).returncode == 0
    result = jifen("audit", "verify", "--tenant", "nowhere", cwd=tmp_path, env=env)
    assert result.returncode == 2
    assert result.stderr.strip() == "error[not_found]: no tenant 'nowhere'"
