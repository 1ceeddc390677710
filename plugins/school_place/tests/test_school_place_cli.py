"""``jifen school-place …`` through typer's CliRunner on ``jifen.cli.app`` (JF-SCN-3, JF-DUE-2,
JF-DUE-4, JF-API-3). The commands run on the test's platform, so that its clock can be moved
between them (the ``jifen`` command itself runs on the wall clock)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
import typer
from rich.console import Console
from typer.testing import CliRunner, Result

import jifen_school_place
from jifen.cli import app
from jifen.testing import ClaimsCity

from .conftest import SLOT, clock, family

ROUND_FILE = """\
school_year: "2024"
name: 康巴什区2024年品德积分助力学位升级名单
opens_at: 2024-07-01T08:00:00+08:00
closes_at: 2024-07-10T08:00:00+08:00
upgrades:
  - {school: 第一小学, from: 2-A, to: 1-A, places: 2}
"""


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, town: ClaimsCity) -> list[str]:
    monkeypatch.setattr("jifen_school_place.cli.open_platform", lambda database: town.platform)
    monkeypatch.setattr("jifen_school_place.cli.console", Console(width=200))
    if "school-place" not in {group.name for group in app.registered_groups}:
        jifen_school_place.register_commands(app=app)
    return ["--tenant", town.tenant.code]


def run(*args: str) -> Result:
    return CliRunner().invoke(app, ["school-place", *args])


def test_jf_scn_3_cli_opens_applies_draws_publishes_objects_decides_and_closes(
        cli: list[str], town: ClaimsCity, tmp_path: Path) -> None:
    p = town.platform
    file = tmp_path / "round.yaml"
    file.write_text(ROUND_FILE, encoding="utf-8")
    wu = family(town, "武小朵", 2112, guardian="武先生", consent=False)
    others = [family(town, name, tenths) for name, tenths in (("赵同学", 1500), ("钱同学", 900))]
    clock(p).set(datetime(2024, 7, 1, 2, 0, tzinfo=UTC))
    opened = run("open-round", str(file), *cli, "--opened-by", town.reviewer.code
                 if town.reviewer else "")
    assert opened.exit_code == 0, opened.output
    round_id = re.search(r"round (\S+) opened", opened.stdout).group(1)  # type: ignore[union-attr]
    assert "2 place(s) in 1 slot(s)" in opened.stdout
    applied = run("apply", round_id, *cli, "--slot", SLOT, "--child", wu[1].code, "--guardian",
                  wu[0].code, "--consent")
    assert applied.exit_code == 0 and "application " in applied.stdout, applied.output
    for guardian, child in others:
        assert run("apply", round_id, *cli, "--slot", SLOT, "--child", child.code,
                   "--guardian", guardian.code).exit_code == 0
    refused = run("apply", round_id, *cli, "--slot", SLOT, "--child", wu[1].code,
                  "--guardian", wu[1].code)
    assert getattr(refused.exception, "code", "") == "school_place.guardian_applies"

    clock(p).set(datetime(2024, 7, 10, 2, 0, tzinfo=UTC))
    drawn = run("draw", round_id, *cli)
    assert "drawn: 2 selected, 3 ranked, 3 applied" in drawn.stdout, drawn.output
    assert town.reviewer is not None and town.street_reviewer is not None
    published = run("publish", round_id, *cli, "--publisher", town.reviewer.code)
    assert published.exit_code == 0, published.output
    assert "武**" in published.stdout and "211.2" in published.stdout
    assert "武小朵" not in published.stdout and wu[1].code not in published.stdout
    listed = run("list", round_id, *cli)
    assert "2024-07-10 to 2024-07-17" in listed.stdout and "武**" in listed.stdout
    objected = run("object", round_id, *cli, "--slot", SLOT, "--rank", "2",
                   "--grounds", "记录不实")
    objection = re.search(r"objection (\S+) to rank 2", objected.stdout).group(1)  # type: ignore[union-attr]
    decided = run("decide", objection, *cli, "--decider", town.street_reviewer.code,
                  "--uphold", "--reason", "核实无误")
    assert f"objection {objection} upheld" in decided.stdout, decided.output

    clock(p).set(datetime(2024, 7, 18, 2, 0, tzinfo=UTC))
    closed = run("close", round_id, *cli)
    assert closed.exit_code == 0 and "final list" in closed.stdout, closed.output
    assert "武**" in closed.stdout and "钱*" in closed.stdout and "赵*" not in closed.stdout


def test_jf_api_3_cli_refuses_a_bad_round_file_with_its_code(cli: list[str],
                                                             tmp_path: Path) -> None:
    file = tmp_path / "bad.yaml"
    file.write_text(ROUND_FILE.replace("places: 2", "places: 0"), encoding="utf-8")
    bad = run("open-round", str(file), *cli)
    assert getattr(bad.exception, "code", "") == "school_place.invalid_round"
    assert "bad.yaml: upgrades.0.places" in str(bad.exception)
    usage = run("draw", "not-an-id", *cli)
    assert usage.exit_code == 2 and "expected an id" in usage.output


def test_the_plugin_registers_its_group_through_the_hook() -> None:
    root = typer.Typer()
    jifen_school_place.register_commands(app=root)
    assert [group.name for group in root.registered_groups] == ["school-place"]
