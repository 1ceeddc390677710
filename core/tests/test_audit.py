"""JF-LED-5/6: balances re-derive from postings; tampering in storage is detected and named."""

from __future__ import annotations

import os
import subprocess
import sys

from sqlalchemy import text

from jifen.ledger import subject_account
from jifen.model import Points
from jifen.platform import Platform
from jifen.testing import TenantFixture


def _tamper(platform: Platform, statement: str, table: str) -> None:
    """Edit a row behind the ledger's back, as someone with database access could."""
    with platform.db.write() as conn:
        if platform.db.is_sqlite:
            conn.execute(text(f"DROP TRIGGER {table}_no_update"))
            conn.execute(text(statement))
            conn.execute(text(
                f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} BEGIN SELECT "
                f"RAISE(ABORT, 'jifen: UPDATE on {table} is refused: the table is "
                "append-only'); END"))
        else:
            conn.execute(text("SET LOCAL session_replication_role = replica"))
            conn.execute(text(statement))


def test_jf_led_6_an_edited_posting_is_detected_and_named(city: TenantFixture) -> None:
    p, resident = city.platform, city.resident()
    p.award(city.id, resident.id, Points.of("material", 100), idempotency_key="a")
    tx = p.award(city.id, resident.id, Points.of("material", 200), idempotency_key="b")
    assert p.audit(city.id).ok
    posting = next(x for x in tx.postings if x.amount > 0)
    _tamper(p, f"UPDATE postings SET amount = 20000 WHERE id = '{posting.id}'"
            if not p.db.is_sqlite else
            f"UPDATE postings SET amount = 20000 WHERE id = '{posting.id.hex}'", "postings")
    report = p.audit(city.id)
    assert not report.ok
    text_report = "\n".join(map(str, report.problems))
    assert str(tx.id) in text_report and str(posting.id) in text_report
    assert subject_account(resident.id, "material") in text_report  # balance ≠ postings


def test_jf_led_5_audit_verify_command_fails_and_names_the_row(
        city: TenantFixture, database_url: str) -> None:
    p, resident = city.platform, city.resident()
    tx = p.award(city.id, resident.id, Points.of("moral", "3.5"), idempotency_key="a")
    env = {**os.environ, "JIFEN_DATABASE_URL": database_url}
    command = [sys.executable, "-m", "jifen", "audit", "verify", "--tenant", city.tenant.code]
    ok = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    tx_id = str(tx.id) if not p.db.is_sqlite else tx.id.hex
    _tamper(p, f"UPDATE transactions SET memo = 'nothing happened' WHERE id = '{tx_id}'",
            "transactions")
    bad = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    assert bad.returncode == 1
    assert str(tx.id) in bad.stdout.replace("\n", "")
