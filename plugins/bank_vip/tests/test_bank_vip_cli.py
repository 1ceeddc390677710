"""``jifen bank-vip …`` (the group the plugin adds through ``register_commands``) and the
plugin's part of ``jifen demo``. The commands run on the wall clock, like the real ``jifen``."""

from __future__ import annotations

import base64
import json
import os
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import typer
from rich.console import Console
from typer.testing import CliRunner, Result

import jifen_bank_vip
from jifen.cli import app
from jifen.clock import MovableClock
from jifen.model import Points, Subject
from jifen.platform import Platform
from jifen.testing import ClaimsCity, demo_output, make_claims_city
from jifen_bank_vip import BankVip


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, database_url: str) -> Iterator[list[str]]:
    """``jifen.cli.app`` with the bank-vip group registered (as ``jifen`` does at start-up)."""
    monkeypatch.setenv("JIFEN_MASTER_KEY", base64.b64encode(os.urandom(32)).decode())
    monkeypatch.setattr("jifen.cli.console", Console(width=200))
    monkeypatch.setattr("jifen_bank_vip.cli.console", Console(width=200))
    if "bank-vip" not in {group.name for group in app.registered_groups}:
        jifen_bank_vip.register_commands(app=app)
    yield ["--database", database_url]


@pytest.fixture
def live_town(platform: Platform) -> ClaimsCity:
    """A tenant on the wall clock: the commands open their own platform on the system clock."""
    assert isinstance(platform.clock, MovableClock)
    platform.clock.set(datetime.now(UTC) - timedelta(minutes=5))
    return make_claims_city(platform)


def run(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def resident(town: ClaimsCity, name: str, tenths: int, *, consent: bool = True) -> Subject:
    who = town.resident(name)
    town.platform.award(town.id, who.id, Points(kind="moral", minor=tenths),
                        idempotency_key=f"award:{who.id}")
    if consent:
        BankVip(town.platform).grant_consent(town.id, who.id)
    return who


def test_jf_scn_2_jf_code_2_cli_issues_a_code_with_qr_and_the_bank_verifies_it_offline(
        cli: list[str], live_town: ClaimsCity, tmp_path: Path) -> None:
    tenant, who = ["--tenant", live_town.tenant.code], resident(live_town, "武先生", 2112)
    svg = tmp_path / "vip.svg"
    issued = run("bank-vip", "code", *tenant, "--subject", who.code, "--qr", str(svg), *cli)
    assert issued.exit_code == 0, issued.output
    token = issued.stdout.strip()
    assert token.count(".") == 1 and "<svg" in svg.read_text(encoding="utf-8")
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    assert f"VIP lane: valid until {today}; the code expires at" in issued.output

    keys = tmp_path / "keys.json"
    exported = run("bank-vip", "keys", "export", *tenant, "--out", str(keys), *cli)
    assert exported.exit_code == 0, exported.output
    document = json.loads(keys.read_text(encoding="utf-8"))
    assert document["tenant"] == live_town.tenant.code and document["keys"]
    printed = run("bank-vip", "keys", "export", *tenant, *cli)
    assert json.loads(printed.stdout) == document
    # the bank: the code and the public keys file, nothing else (no --database)
    verified = run("bank-vip", "verify", token, "--public-keys", str(keys))
    assert verified.exit_code == 0, verified.output
    assert verified.stdout.strip() == f"VIP lane: valid until {today}"
    assert who.name not in verified.output and "211" not in verified.output
    later = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
    expired = run("bank-vip", "verify", token, "--public-keys", str(keys), "--now", later)
    assert getattr(expired.exception, "code", "") == "code.expired"
    head, signature = token.split(".")
    forged = run("bank-vip", "verify", f"{head}.{'B' if signature[0] == 'A' else 'A'}"
                 f"{signature[1:]}", "--public-keys", str(keys))
    assert getattr(forged.exception, "code", "") == "code.invalid"


def test_jf_scn_2_jf_priv_2_cli_refuses_below_the_threshold_and_without_consent(
        cli: list[str], live_town: ClaimsCity) -> None:
    tenant = ["--tenant", live_town.tenant.code]
    poor = resident(live_town, "李娜", 80)
    refused = run("bank-vip", "code", *tenant, "--subject", poor.code, *cli)
    assert getattr(refused.exception, "code", "") == "scenario.not_eligible"
    silent = resident(live_town, "武女士", 2112, consent=False)
    nothing = run("bank-vip", "code", *tenant, "--subject", silent.code, *cli)
    assert getattr(nothing.exception, "code", "") == "scenario.no_consent"
    assert nothing.stdout == ""


def test_cli_usage_errors_exit_2_without_a_traceback(cli: list[str], live_town: ClaimsCity,
                                                     tmp_path: Path) -> None:
    who = resident(live_town, "武先生", 2112)
    bad = run("bank-vip", "code", "--tenant", live_town.tenant.code, "--subject", who.code,
              "--qr", str(tmp_path / "vip.txt"), *cli)
    assert bad.exit_code == 2 and "must end in .svg or .png" in bad.output
    keys = tmp_path / "keys.json"
    keys.write_text("[]", encoding="utf-8")
    unreadable = run("bank-vip", "verify", "x.y", "--public-keys", str(keys))
    assert getattr(unreadable.exception, "code", "") == "input.invalid"
    when = run("bank-vip", "verify", "x.y", "--public-keys", str(keys), "--now", "noon")
    assert when.exit_code == 2 and "expected an ISO instant" in when.output


def test_the_plugin_registers_its_group_through_the_hook() -> None:
    root = typer.Typer()
    jifen_bank_vip.register_commands(app=root)
    assert [group.name for group in root.registered_groups] == ["bank-vip"]


def test_jf_scn_2_the_demo_shows_what_the_bank_learns_from_wu_xianshengs_code(
        tmp_path: Path) -> None:
    out = demo_output(tmp_path, "bank_vip")
    assert "武先生 (score 236.20) shows a VIP-lane code" in out  # 211.2 points, weighted
    learned = re.findall(r"the bank's offline check learns only: (.*) \(JF-CODE-2\)", out)
    assert len(learned) == 1 and re.fullmatch(r"VIP lane: valid until \d{4}-\d\d-\d\d",
                                              learned[0])
    assert "李娜: no code (scenario.not_eligible)" in out
    assert "武女士 has not consented: the bank learns nothing" in out
