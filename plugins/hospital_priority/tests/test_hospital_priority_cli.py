"""``jifen hospital …`` (the group the plugin adds through ``register_commands``) and the
plugin's part of ``jifen demo``. The commands run on the wall clock, like the real ``jifen``."""

from __future__ import annotations

import base64
import os
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import typer
from rich.console import Console
from typer.testing import CliRunner, Result

import jifen_hospital_priority
from jifen.cli import app
from jifen.clock import MovableClock
from jifen.model import Points, Subject
from jifen.platform import Platform
from jifen.testing import ClaimsCity, demo_output, make_claims_city
from jifen_hospital_priority import HospitalPriority

CARDIOLOGY, EYES, CHILDREN = "市中心医院:心内科", "市中心医院:眼科", "市中心医院:儿科"


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, database_url: str) -> Iterator[list[str]]:
    """``jifen.cli.app`` with the hospital group registered (as ``jifen`` does at start-up)."""
    monkeypatch.setenv("JIFEN_MASTER_KEY", base64.b64encode(os.urandom(32)).decode())
    monkeypatch.setattr("jifen.cli.console", Console(width=200))
    monkeypatch.setattr("jifen_hospital_priority.cli.console", Console(width=200))
    if "hospital" not in {group.name for group in app.registered_groups}:
        jifen_hospital_priority.register_commands(app=app)
    yield ["--database", database_url]


@pytest.fixture
def live_town(platform: Platform) -> ClaimsCity:
    """A tenant on the wall clock: the commands open their own platform on the system clock."""
    assert isinstance(platform.clock, MovableClock)
    platform.clock.set(datetime.now(UTC) - timedelta(minutes=5))
    return make_claims_city(platform)


def run(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def resident(town: ClaimsCity, name: str) -> Subject:
    who = town.resident(name)
    town.platform.award(town.id, who.id, Points(kind="moral", minor=800),
                        idempotency_key=f"award:{who.id}")
    HospitalPriority(town.platform).grant_consent(town.id, who.id)
    return who


def next_month() -> date:
    """The first day of next month in the tenant's zone: always ahead, three days in a month."""
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    return (today.replace(day=1) + timedelta(days=32)).replace(day=1)


def booking_id(result: Result) -> str:
    found = re.search(r"booking ([0-9a-f-]{36})", result.output)
    assert found, result.output
    return found.group(1)


def test_jf_scn_4_jf_code_2_cli_books_exports_keys_verifies_offline_and_cancels(
        cli: list[str], live_town: ClaimsCity, tmp_path: Path) -> None:
    tenant, who = ["--tenant", live_town.tenant.code], resident(live_town, "张三")
    first = next_month()
    days = [str(first + timedelta(days=n)) for n in range(3)]
    svg = tmp_path / "slot.svg"
    booked = run("hospital", "book", *tenant, "--subject", who.code, "--department", CARDIOLOGY,
                 "--day", days[0], "--qr", str(svg), *cli)
    assert booked.exit_code == 0, booked.output
    token = booked.stdout.strip()
    assert token.count(".") == 1 and "<svg" in svg.read_text(encoding="utf-8")
    assert f"booked {CARDIOLOGY} on {days[0]}" in booked.output

    keys = tmp_path / "keys.json"
    exported = run("hospital", "keys", "export", *tenant, "--out", str(keys), *cli)
    assert exported.exit_code == 0, exported.output
    # the hospital: the code and the public keys file, nothing else (no --database)
    verified = run("hospital", "verify", token, "--public-keys", str(keys),
                   "--hospital", "市中心医院")
    assert verified.exit_code == 0, verified.output
    assert verified.stdout.strip() == \
        f"Priority appointment · {CARDIOLOGY}: valid until {days[0]}"
    later = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    expired = run("hospital", "verify", token, "--public-keys", str(keys), "--now", later)
    assert getattr(expired.exception, "code", "") == "code.expired"
    head, signature = token.split(".")
    forged_token = f"{head}.{'B' if signature[0] == 'A' else 'A'}{signature[1:]}"
    forged = run("hospital", "verify", forged_token, "--public-keys", str(keys))
    assert getattr(forged.exception, "code", "") == "code.invalid"
    other = run("hospital", "verify", token, "--public-keys", str(keys), "--hospital", "人民医院")
    assert getattr(other.exception, "code", "") == "hospital.other_hospital"

    second = run("hospital", "book", *tenant, "--subject", who.code, "--department", EYES,
                 "--day", days[1], *cli)
    assert second.exit_code == 0, second.output
    third = run("hospital", "book", *tenant, "--subject", who.code, "--department", CHILDREN,
                "--day", days[2], *cli)
    assert getattr(third.exception, "code", "") == "scenario.monthly_limit"
    cancelled = run("hospital", "cancel", booking_id(booked), *tenant, "--reason", "改期", *cli)
    assert cancelled.exit_code == 0, cancelled.output
    assert f"cancelled: {CARDIOLOGY} on {days[0]} is free again" in cancelled.stdout
    again = run("hospital", "book", *tenant, "--subject", who.code, "--department", CHILDREN,
                "--day", days[2], *cli)
    assert again.exit_code == 0, again.output


def test_cli_usage_errors_exit_2_without_a_traceback(cli: list[str],
                                                     live_town: ClaimsCity) -> None:
    tenant = ["--tenant", live_town.tenant.code]
    bad_day = run("hospital", "book", *tenant, "--subject", "x", "--department", CARDIOLOGY,
                  "--day", "tomorrow", *cli)
    assert bad_day.exit_code == 2 and "expected YYYY-MM-DD" in bad_day.output
    bad_id = run("hospital", "cancel", "nope", *tenant, *cli)
    assert bad_id.exit_code == 2 and "is not an id" in bad_id.output


def test_the_plugin_registers_its_group_through_the_hook() -> None:
    root = typer.Typer()
    jifen_hospital_priority.register_commands(app=root)
    assert [group.name for group in root.registered_groups] == ["hospital"]


def test_jf_scn_4_the_demo_books_refuses_by_the_monthly_limit_and_verifies_offline(
        tmp_path: Path) -> None:
    out = demo_output(tmp_path, "hospital_priority")
    assert "武先生 booked a priority slot: 市中心医院:心内科" in out
    assert "武小朵 booked a priority slot: 市中心医院:儿科" in out
    assert "武先生 refused 市中心医院:骨科" in out and "(scenario.monthly_limit)" in out
    learned = re.findall(r"the hospital's offline check learns only: (.*) \(JF-CODE-2\)", out)
    assert len(learned) == 3
    assert all(re.fullmatch(r"Priority appointment · 市中心医院:\S+: valid until \d{4}-\d\d-\d\d",
                            line) for line in learned)
