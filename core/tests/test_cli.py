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
    # The core's demo alone (no plugins), so that the figures are the core's.
    env = {"JIFEN_DATABASE_URL": f"sqlite:///{tmp_path / 'demo.db'}", "JIFEN_LOAD_PLUGINS": ""}
    first = jifen("demo", cwd=tmp_path, env=env)
    assert first.returncode == 0, first.stderr
    assert "211.2" in first.stdout and "verified" in first.stdout
    second = jifen("demo", cwd=tmp_path, env=env)
    assert second.returncode == 0, second.stderr
    table = lambda out: out[out.index("balances after"):]  # noqa: E731
    assert table(second.stdout) == table(first.stdout)  # nothing posted twice
    assert "武**" in first.stdout  # the public notice masks names (JF-DUE-4)
    assert "audit: 50 transactions" in second.stdout
    assert "add up to 236.20" in first.stdout  # 211.2 points, heroic act weighted 1.5

    from sqlalchemy import create_engine, text

    engine = create_engine(env["JIFEN_DATABASE_URL"])
    with engine.connect() as conn:
        code = conn.execute(text("SELECT code FROM subjects WHERE name = '武小朵'")).scalar_one()
    engine.dispose()
    child = jifen("score", "--tenant", "ordos", "--subject", code, "--scenario", cwd=tmp_path,
                  env={**env, "COLUMNS": "200"})
    assert child.returncode == 0, child.stderr
    assert "contribution score 236.20 (a guardian's score, JF-SUB-2)" in child.stdout
    assert (tmp_path / ".jifen" / "master.key").stat().st_mode & 0o077 == 0


def test_demo_with_the_installed_plugins_adds_their_parts(tmp_path: Path) -> None:
    from jifen.plugins import make_plugin_manager

    pm = make_plugin_manager()
    seeding = {pm.get_name(impl.plugin) for impl in pm.hook.seed_demo.get_hookimpls()}
    env = {"JIFEN_DATABASE_URL": f"sqlite:///{tmp_path / 'demo.db'}", "COLUMNS": "200"}
    first = jifen("demo", cwd=tmp_path, env=env)
    assert first.returncode == 0, first.stderr
    assert "verified" in first.stdout
    marks = {"surveys": "(JF-ENG-1)", "merchant_redemption": "(JF-FUND-2)",
             "grid_evaluation": "(JF-GRID-1)", "order_grabbing": "department ranking"}
    for name, mark in marks.items():
        assert (mark in first.stdout) == (name in seeding), name
    second = jifen("demo", cwd=tmp_path, env=env)
    table = lambda out: out[out.index("balances after"):]  # noqa: E731
    assert second.returncode == 0 and table(second.stdout) == table(first.stdout)


def test_errors_print_their_code_and_exit_2(tmp_path: Path) -> None:
    env = {"JIFEN_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}
    assert jifen("db", "upgrade", cwd=tmp_path, env=env).returncode == 0
    result = jifen("audit", "verify", "--tenant", "nowhere", cwd=tmp_path, env=env)
    assert result.returncode == 2
    assert result.stderr.strip() == "error[not_found]: no tenant 'nowhere'"


def test_tenant_apply_creates_then_finds_nothing_to_change(tmp_path: Path, repo_root: Path) -> None:
    env = {"JIFEN_DATABASE_URL": f"sqlite:///{tmp_path / 'city.db'}", "COLUMNS": "200"}
    example = str(repo_root / "examples" / "kangbashi.yaml")
    first = jifen("tenant", "apply", example, "--approved-by", "监督委员会", cwd=tmp_path, env=env)
    assert first.returncode == 0, first.stderr
    assert "tenant ordos created: configuration version 1" in first.stdout
    again = jifen("tenant", "apply", example, "--approved-by", "监督委员会", cwd=tmp_path, env=env)
    assert "unchanged (configuration version 1)" in again.stdout
    closed = jifen("notices", "close", "--tenant", "ordos", cwd=tmp_path, env=env)
    assert closed.returncode == 0 and "finalised 0 claim(s)" in closed.stdout


def test_tenant_apply_reports_file_line_and_field_and_applies_nothing(tmp_path: Path,
                                                                    repo_root: Path) -> None:
    env = {"JIFEN_DATABASE_URL": f"sqlite:///{tmp_path / 'city.db'}"}
    text = (repo_root / "examples" / "kangbashi.yaml").read_text(encoding="utf-8")
    broken = tmp_path / "city.yaml"
    broken.write_text(text.replace("notice_working_days: 5", "notice_working_days: -1"),
                      encoding="utf-8")
    result = jifen("tenant", "apply", str(broken), "--approved-by", "x", cwd=tmp_path, env=env)
    assert result.returncode == 2
    assert result.stderr.startswith("error[config.invalid]: city.yaml:")
    assert "settings.notice_working_days" in result.stderr
    listed = jifen("audit", "verify", "--tenant", "ordos", cwd=tmp_path, env=env)
    assert listed.stderr.strip() == "error[not_found]: no tenant 'ordos'"


def test_a_missing_option_is_a_usage_error_not_a_traceback(tmp_path: Path) -> None:
    result = jifen("tenant", "apply", "city.yaml", cwd=tmp_path)
    assert result.returncode == 2
    assert "Missing option '--approved-by'" in result.stderr
    assert "Traceback" not in result.stderr


def test_jf_priv_3_jf_priv_5_export_at_a_service_counter(tmp_path: Path) -> None:
    import json

    env = {"JIFEN_DATABASE_URL": f"sqlite:///{tmp_path / 'demo.db'}", "JIFEN_LOAD_PLUGINS": ""}
    assert jifen("demo", cwd=tmp_path, env=env).returncode == 0
    from sqlalchemy import create_engine, text

    engine = create_engine(env["JIFEN_DATABASE_URL"])
    with engine.connect() as conn:
        code = conn.execute(text("SELECT code FROM subjects WHERE name = '武先生'")).scalar_one()
    engine.dispose()
    out = tmp_path / "wu.json"
    done = jifen("export", "--tenant", "ordos", "--subject", code, "--out", str(out),
                 cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["subject"]["name"] == "武先生" and len(data["claims"]) == 33
    moral = next(a for a in data["accounts"] if a["kind"] == "moral")
    assert moral["balance"] == 2112  # 211.2, in tenths
    assert sum(p["amount"] for p in data["postings"] if p["kind"] == "moral") == 2112
