"""The ``jifen merchants`` commands through typer's CliRunner on `jifen.cli.app`."""

from __future__ import annotations

import base64
import os
import re
from datetime import UTC, datetime

import pytest
from typer.testing import CliRunner

import jifen_merchant_redemption
from jifen.cli import app
from jifen.platform import Platform
from jifen_merchant_redemption.testing import make_shop

jifen_merchant_redemption.register_commands(app)


@pytest.fixture
def run(platform: Platform, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("JIFEN_MASTER_KEY", base64.b64encode(os.urandom(32)).decode())
    runner = CliRunner()

    def invoke(*args: str) -> tuple[int, str, str]:
        result = runner.invoke(app, ["merchants", *args, "--database", platform.db.url],
                               env={"COLUMNS": "250"})
        return result.exit_code, result.stdout, result.stderr

    return invoke


def test_jf_red_cli_add_quote_redeem_refund_settle_report(platform: Platform, run) -> None:  # type: ignore[no-untyped-def]
    platform.clock.set(datetime.now(UTC))  # type: ignore[attr-defined]  # the CLI's clock
    shop = make_shop(platform)
    shop.fund(5000)
    tenant = shop.city.tenant.code
    code, out, err = run("add", "--tenant", tenant, "--name", "小王超市", "--org-unit",
                         "community", "--category", "retail", "--cap", "25")
    assert code == 0, err
    assert "cap 25 %" in out
    code, out, _ = run("list", "--tenant", tenant)
    assert code == 0 and "小王超市" in out and "25 (own)" in out
    merchant = shop.merchant.code
    code, out, _ = run("quote", "--tenant", tenant, "--merchant", merchant, "--bill", "58.00",
                       "--subject", shop.resident.code)
    assert code == 0 and "at most 1740 points, deducting 17.40 yuan" in out
    code, out, err = run("redeem", "--tenant", tenant, "--merchant", merchant, "--bill", "58",
                         "--pay-code", shop.pay_code(), "--key", "cli-1")
    assert code == 0, err
    assert "1740 points deduct 17.40 yuan; the resident pays 40.60 yuan" in out
    match = re.search(r"redemption ([0-9a-f-]{36})", out)
    assert match is not None
    code, out, err = run("refund", "--tenant", tenant, "--redemption", match.group(1),
                         "--amount", "29.00", "--key", "cli-r")
    assert code == 0, err
    assert "870 points back" in out
    code, out, _ = run("settle", "--tenant", tenant)
    assert code == 0 and "870" in out and "8.70" in out
    code, out, _ = run("settle", "--tenant", tenant)
    assert code == 0 and "nothing to settle" in out
    code, out, _ = run("report", "--tenant", tenant)
    assert code == 0 and "test-pool" in out and "17.40" in out and "8.70" in out


def test_jf_api_3_cli_errors_print_their_code_and_exit_2(platform: Platform, run) -> None:  # type: ignore[no-untyped-def]
    shop = make_shop(platform)
    tenant = shop.city.tenant.code
    code, _, err = run("redeem", "--tenant", tenant, "--merchant", shop.merchant.code,
                       "--bill", "58.00", "--pay-code", "forged.code", "--key", "x")
    assert code == 2 and "error[code.invalid]" in err
    code, _, err = run("quote", "--tenant", tenant, "--merchant", shop.merchant.code,
                       "--bill", "5.8.0")
    assert code == 2 and "expected yuan" in err
    code, _, err = run("add", "--tenant", tenant, "--name", "x", "--org-unit", "community",
                       "--category", "bakery")
    assert code == 2 and "error[redemption.invalid_merchant]" in err
