"""``jifen orders …``: the command group the plugin adds through ``register_commands``."""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import typer
from rich.console import Console
from typer.testing import CliRunner, Result

import jifen_order_grabbing
from jifen.cli import app
from jifen_order_grabbing import OrderState
from jifen_order_grabbing.testing import Town


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, database_url: str) -> Iterator[list[str]]:
    """``jifen.cli.app`` with the orders group registered (as ``jifen`` does at start-up)."""
    monkeypatch.setenv("JIFEN_MASTER_KEY", base64.b64encode(os.urandom(32)).decode())
    monkeypatch.setattr("jifen.cli.console", Console(width=200))
    monkeypatch.setattr("jifen_order_grabbing.cli.console", Console(width=200))
    if "orders" not in {group.name for group in app.registered_groups}:
        jifen_order_grabbing.register_commands(app=app)
    yield ["--database", database_url]


def run(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def ok(*args: str) -> str:
    result = run(*args)
    assert result.exit_code == 0, (result.output, result.exception)
    return result.stdout


def test_jf_ord_1_to_4_the_whole_workflow_through_the_cli(cli: list[str], town: Town) -> None:
    tenant = ["--tenant", town.city.tenant.code, *cli]
    a = town.department("城管局")
    b = town.department("住建局")
    reviewer = town.city.reviewer
    assert reviewer is not None
    reporter = town.city.resident("李娜")
    assert "covers: greenery, sanitation" in ok("orders", "remit", a.code, "--category",
                                                "sanitation", "--category", "greenery", *tenant)
    ok("orders", "remit", b.code, "--category", "sanitation", *tenant)
    staff = town.city.resident("队员")
    assert "25% shared" in ok("orders", "staff", a.code, "--share", f"{staff.code}=25", *tenant)
    deadline = (datetime.now(UTC) + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%S%z")
    posted = ok("orders", "post", "--actor", reviewer.code, "--community", "community",
                "--grid", "grid-2", "--category", "sanitation", "--description", "垃圾站满溢",
                "--deadline", deadline, "--reward", "200", "--reporter", reporter.code,
                "--reporter-days", "0", *tenant)
    assert "reward 200 from test-pool" in posted
    [order] = town.orders.list_orders(town.id)
    short = str(order.id)[-8:]
    assert short in ok("orders", "list", "--department", b.code, *tenant)
    assert "grabbed" in ok("orders", "grab", short, "--department", a.code, *tenant)
    lost = run("orders", "grab", short, "--department", b.code, *tenant)
    assert getattr(lost.exception, "code", "") == "order.already_grabbed"
    empty = run("orders", "complete", short, "--department", a.code, "--evidence", " ", *tenant)
    assert getattr(empty.exception, "code", "") == "order.evidence_required"
    ok("orders", "complete", short, "--department", a.code, "--evidence", "photo:1", *tenant)
    assert "sent back (1 time(s))" in ok("orders", "send-back", short, "--actor", reviewer.code,
                                         "--reason", "still full", *tenant)
    ok("orders", "complete", short, "--department", a.code, "--evidence", "photo:2", *tenant)
    verified = ok("orders", "verify", str(order.id), "--actor", reviewer.code, *tenant)
    assert "200 points to the department; reporter: claim final" in verified
    assert town.orders.get(town.id, order.id).state == OrderState.VERIFIED
    assert (town.balance(a.id), town.balance(staff.id), town.balance(reporter.id)) == (150, 50, 20)
    assert "0 overdue order(s) reopened" in ok("orders", "reopen-overdue", *tenant)
    today = datetime.now(UTC).date()
    ranking = ok("orders", "ranking", "--from", str(today - timedelta(days=1)),
                 "--to", str(today + timedelta(days=1)), *tenant)
    assert "城管局" in ranking and "200" in ranking
    assert ranking.index("城管局") < ranking.index("住建局")


def test_jf_ord_2_the_reporter_confirms_or_objects_through_the_cli(cli: list[str],
                                                                   town: Town) -> None:
    tenant = ["--tenant", town.city.tenant.code, *cli]
    dept = town.department("城管局", "sanitation")
    reporter = town.city.resident("李娜")
    town.clock.set(datetime.now(UTC))  # the CLI runs on the wall clock
    order = town.post(reporter_id=reporter.id)
    town.orders.grab(town.id, order.id, dept.id)
    town.orders.complete(town.id, order.id, dept.id, "photo")
    objected = run("orders", "confirm", str(order.id), "--reporter", reporter.code,
                   "--object", "还没清理", *tenant)
    assert "the reporter objected" in objected.stdout, objected.output
    assert town.orders.get(town.id, order.id).reporter_response == "objected"


def test_jf_api_3_cli_errors_carry_their_code(cli: list[str], town: Town) -> None:
    tenant = ["--tenant", town.city.tenant.code, *cli]
    missing = run("orders", "grab", "abcdef", "--department", "nobody", *tenant)
    assert getattr(missing.exception, "code", "") == "not_found"
    short = run("orders", "verify", "ab", "--actor", "x", *tenant)
    assert getattr(short.exception, "code", "") == "input.invalid"
    usage = run("orders", "staff", "x", "--share", "nope", *tenant)
    assert usage.exit_code == 2 and "expected CODE=PERCENT" in usage.output


def test_the_plugin_registers_its_group_through_the_hook() -> None:
    root = typer.Typer()
    jifen_order_grabbing.register_commands(app=root)
    assert [group.name for group in root.registered_groups] == ["orders"]
