"""``jifen surveys …``: the command group the plugin adds through ``register_commands``."""

from __future__ import annotations

import base64
import csv
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from rich.console import Console
from typer.testing import CliRunner, Result

import jifen_surveys
from jifen.cli import app
from jifen.testing import ClaimsCity

QUIZ_FILE = """\
code: sorting-quiz
title: 垃圾分类知识问答 waste sorting quiz
kind: quiz
organiser: 康巴什区城管局 city management
pool: test-pool
reward: 30
max_rewarded: 100
pass_mark: 2
opens_at: 2024-01-01T00:00:00+08:00
closes_at: 2099-12-31T00:00:00+08:00   # the CLI runs on the wall clock
questions:
  - id: q1
    text: 可回收物投放哪个桶? Recyclables go in …
    choices: [blue, red]
    correct: blue
  - id: q2
    text: 有害垃圾投放哪个桶? Hazardous waste goes in …
    choices: [blue, red]
    correct: red
"""


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, database_url: str) -> Iterator[list[str]]:
    """``jifen.cli.app`` with the surveys group registered (as ``jifen`` does at start-up)."""
    monkeypatch.setenv("JIFEN_MASTER_KEY", base64.b64encode(os.urandom(32)).decode())
    monkeypatch.setattr("jifen.cli.console", Console(width=200))
    monkeypatch.setattr("jifen_surveys.cli.console", Console(width=200))
    if "surveys" not in {group.name for group in app.registered_groups}:
        jifen_surveys.register_commands(app=app)
    yield ["--database", database_url]


def run(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def test_jf_eng_1_cli_creates_lists_answers_and_reports(cli: list[str], town: ClaimsCity,
                                                        tmp_path: Path) -> None:
    tenant, file = ["--tenant", town.tenant.code], tmp_path / "quiz.yaml"
    file.write_text(QUIZ_FILE, encoding="utf-8")
    created = run("surveys", "create", str(file), *tenant, *cli)
    assert created.exit_code == 0, created.output
    assert "quiz sorting-quiz created: 2 question(s), reward 30 from pool test-pool" in created.stdout
    listed = run("surveys", "list", *tenant, *cli)
    assert "sorting-quiz" in listed.stdout and "open" in listed.stdout

    good, poor = town.resident("甲"), town.resident("乙")
    answered = run("surveys", "respond", "sorting-quiz", *tenant, "--subject", good.code,
                   "--answer", "q1=blue", "--answer", "q2=red", *cli)
    assert "rewarded 30 material points" in answered.stdout, answered.output
    failed = run("surveys", "respond", "sorting-quiz", *tenant, "--subject", poor.code,
                 "--answer", "q1=red", "--answer", "q2=blue", *cli)
    assert "not rewarded: the quiz was not passed" in failed.stdout, failed.output
    assert town.platform.balance(town.id, good.id, "material").minor == 30

    results = run("surveys", "results", "sorting-quiz", *tenant, *cli)
    assert "2 response(s), 1 rewarded" in results.stdout and "pass rate 50%" in results.stdout


def test_jf_priv_2_cli_export_writes_pseudonyms_only(cli: list[str], town: ClaimsCity,
                                                     tmp_path: Path) -> None:
    tenant, file, out = ["--tenant", town.tenant.code], tmp_path / "q.yaml", tmp_path / "q.csv"
    file.write_text(QUIZ_FILE, encoding="utf-8")
    run("surveys", "create", str(file), *tenant, *cli)
    resident = town.resident("王小明")
    run("surveys", "respond", "sorting-quiz", *tenant, "--subject", resident.code,
        "--answer", "q1=blue", "--answer", "q2=blue", *cli)
    exported = run("surveys", "export", "sorting-quiz", *tenant, "--out", str(out), *cli)
    assert exported.exit_code == 0, exported.output
    text = out.read_text(encoding="utf-8")
    assert resident.name not in text and resident.code not in text and str(resident.id) not in text
    (row,) = csv.DictReader(text.splitlines())
    assert list(row) == ["respondent", "answer:q1", "answer:q2", "correct", "passed", "rewarded",
                         "not_rewarded"]
    assert (row["correct"], row["passed"], row["rewarded"]) == ("1", "no", "no")


def test_jf_api_3_cli_errors_carry_their_code(cli: list[str], town: ClaimsCity,
                                              tmp_path: Path) -> None:
    tenant, file = ["--tenant", town.tenant.code], tmp_path / "bad.yaml"
    file.write_text(QUIZ_FILE.replace("pass_mark: 2", "pass_mark: 3"), encoding="utf-8")
    bad = run("surveys", "create", str(file), *tenant, *cli)
    assert getattr(bad.exception, "code", "") == "survey.invalid_definition"
    assert "bad.yaml: " in str(bad.exception) and "pass_mark" in str(bad.exception)
    usage = run("surveys", "respond", "x", *tenant, "--subject", "s", "--answer", "q1", *cli)
    assert usage.exit_code == 2 and "expected QUESTION=CHOICE" in usage.output
    assert isinstance(usage.exception, SystemExit)  # a usage error, no traceback


def test_the_plugin_registers_its_group_through_the_hook() -> None:
    root = typer.Typer()
    jifen_surveys.register_commands(app=root)
    assert [group.name for group in root.registered_groups] == ["surveys"]
