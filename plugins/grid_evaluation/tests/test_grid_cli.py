"""``jifen grid …``: the command group the plugin adds through ``register_commands``
(JF-GRID-1, JF-GRID-2). The CLI runs on the wall clock, so February 2024 has long ended."""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from rich.console import Console
from typer.testing import CliRunner, Result

import jifen_grid_evaluation
from jifen.cli import app
from jifen.testing import ClaimsCity
from jifen_grid_evaluation import GridEvaluation
from jifen_grid_evaluation.testing import MONTH


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, database_url: str) -> Iterator[list[str]]:
    """``jifen.cli.app`` with the grid group registered (as ``jifen`` does at start-up)."""
    monkeypatch.setenv("JIFEN_MASTER_KEY", base64.b64encode(os.urandom(32)).decode())
    monkeypatch.setattr("jifen.cli.console", Console(width=200))
    monkeypatch.setattr("jifen_grid_evaluation.cli.console", Console(width=200))
    if "grid" not in {group.name for group in app.registered_groups}:
        jifen_grid_evaluation.register_commands(app=app)
    yield ["--database", database_url]


def run(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def test_jf_grid_1_jf_grid_2_cli_imports_evaluates_once_corrects_and_ranks(
        cli: list[str], town: ClaimsCity, grid: GridEvaluation, tmp_path: Path) -> None:
    tenant = ["--tenant", town.tenant.code]
    a = grid.add_worker(town.id, "乌兰", "grid-1")
    b = grid.add_worker(town.id, "巴特尔", "grid-2")
    csv_file = tmp_path / "july.csv"
    csv_file.write_text(
        "worker,month,orders_done,ratings_count,ratings_sum,responses_count,response_minutes,"
        f"inspections\n{a.code},{MONTH},20,10,50,5,100,30\n{b.code},{MONTH},16,10,45,5,150,24\n",
        encoding="utf-8")
    imported = run("grid", "metrics", "import", str(csv_file), *tenant, *cli)
    assert "recorded the metrics of 2 worker-month(s)" in imported.stdout, imported.output

    first = run("grid", "evaluate", MONTH, *tenant, *cli)
    assert first.exit_code == 0, first.output
    assert "evaluated 2 worker(s) with formula version 0 (A 1, B 1); 800 points issued" \
        in first.stdout
    second = run("grid", "evaluate", MONTH, *tenant, *cli)
    assert "nothing new — 2 worker(s) evaluated already, no one rewarded again" in second.stdout
    assert town.platform.funding.pool(town.id, "test-pool").issued == 800

    corrected = run("grid", "correct", MONTH, *tenant, "--worker", a.code, "--orders-done", "16",
                    "--ratings-sum", "45", "--response-minutes", "150", "--inspections", "24",
                    "--reason", "工单重复统计", "--by", "高洁", *cli)
    assert f"{a.code} {MONTH}: revision 1 → 2, score 100.0 (A, 500 points) → 86.3 (B, 300 " \
        "points)" in corrected.stdout, corrected.output
    assert town.platform.balance(town.id, a.id, "material").minor == 300

    ranked = run("grid", "ranking", MONTH, *tenant, "--level", "street", *cli)
    assert ranked.exit_code == 0, ranked.output
    assert "测试街道 (street)" in ranked.stdout and ranked.stdout.count("86.3") == 2
    assert "no evaluations for 2024-01" in run("grid", "ranking", "2024-01", *tenant, *cli).stdout


def test_jf_grid_1_cli_shows_and_publishes_the_formula(cli: list[str], town: ClaimsCity,
                                                      tmp_path: Path) -> None:
    tenant = ["--tenant", town.tenant.code]
    shown = run("grid", "formula", *tenant, *cli)
    assert "formula version 0 (the plugin's default" in shown.stdout, shown.output
    assert "min(1, done / 20)" in shown.stdout and "500" in shown.stdout
    file = tmp_path / "formula.yaml"
    file.write_text("orders: {weight: 40, target: 25}\ngrades:\n"
                    "  - {grade: A, min_score: '92.5', points: 600}\n"
                    "  - {grade: B, min_score: 75, points: 300}\n"
                    "  - {grade: C, min_score: 0, points: 0}\n", encoding="utf-8")
    published = run("grid", "formula", *tenant, "--publish", str(file), "--by", "区网格中心", *cli)
    assert "formula published: version 1" in published.stdout, published.output
    assert "published" in published.stdout and "区网格中心" in published.stdout
    assert "92.5" in published.stdout and "done / 25" in published.stdout
    again = run("grid", "formula", *tenant, "--publish", str(file), *cli)
    assert "formula unchanged: version 1" in again.stdout


def test_jf_api_3_cli_errors_carry_their_code(cli: list[str], town: ClaimsCity,
                                              tmp_path: Path) -> None:
    tenant = ["--tenant", town.tenant.code]
    early = run("grid", "evaluate", "2099-01", *tenant, *cli)
    assert getattr(early.exception, "code", "") == "grid.month_not_ended"
    bad = tmp_path / "bad.yaml"
    bad.write_text("orders: {weight: 41}\n", encoding="utf-8")
    refused = run("grid", "formula", *tenant, "--publish", str(bad), *cli)
    assert getattr(refused.exception, "code", "") == "grid.invalid_formula"
    unknown = run("grid", "correct", MONTH, *tenant, "--worker", "NOPE", "--reason", "r",
                  "--by", "me", *cli)
    assert getattr(unknown.exception, "code", "") == "not_found"
    level = run("grid", "ranking", MONTH, *tenant, "--level", "grid", *cli)
    assert getattr(level.exception, "code", "") == "grid.invalid_level"


def test_the_plugin_registers_its_group_through_the_hook() -> None:
    root = typer.Typer()
    jifen_grid_evaluation.register_commands(app=root)
    assert [group.name for group in root.registered_groups] == ["grid"]
