"""Faults (issue #9): the process killed (SIGKILL) in the middle of the core's batch runs, the
database connection dropped mid-transaction, and a full disk. After each fault nothing is lost
or doubled: a re-run finishes the work, balances equal the sum of their postings and the audit
chain verifies (JF-LED-3, JF-LED-5, JF-LED-6, JF-EARN-3, JF-EXP-1). docs/reliability.md
reports each fault and its outcome."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import create_engine, event, func, select, text

from jifen.clock import MovableClock
from jifen.errors import JifenError
from jifen.ledger import subject_account, system_account
from jifen.model import Leg, Points, TransactionRequest
from jifen.model.claims import ClaimSubmit
from jifen.platform import Platform
from jifen.store import Database
from jifen.store import tables as t
from jifen.testing import TenantFixture, assert_books_sound, kill_midway, make_claims_city

KEY = os.urandom(32)

def count(platform: Platform, table: Any, *where: Any) -> int:
    with platform.db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one())


# --- SIGKILL in the middle of a batch ----------------------------------------------------------

def test_jf_earn_3_notice_closing_killed_midway_finishes_on_rerun(platform: Platform) -> None:
    town = make_claims_city(platform)
    people = [town.resident(f"居民{i}") for i in range(8)]
    for who in people:
        claim = platform.claims.submit(town.id, ClaimSubmit(
            idempotency_key=uuid.uuid4().hex, subject_id=who.id, item="volunteer.hour",
            deed_date=date(2024, 2, 28), units=2, evidence={"photo": who.code})).claim
        platform.claims.approve(town.id, claim.id, town.reviewer_id)
    batch = platform.claims.publish(town.id, "community", town.reviewer_id)
    assert batch is not None
    platform.clock.set(datetime.combine(batch.ends_on + timedelta(days=1),  # type: ignore[attr-defined]
                                     datetime.min.time(), UTC))
    final = (t.claims.c.tenant_id == town.id, t.claims.c.state == "final")

    kill_midway(platform, town.id, "platform.claims.close_notices(tenant_id, batch_size=2)", 4)
    assert 0 < count(platform, t.claims, *final) < 8  # some batches committed, one in flight lost
    assert_books_sound(platform, town.id)

    report = platform.claims.close_notices(town.id, batch_size=2)
    assert count(platform, t.claims, *final) == 8
    assert 0 < report.finalised < 8 and report.batches_closed == 1
    assert [str(platform.balance(town.id, who.id, "moral")) for who in people] == ["2.0"] * 8
    assert len(platform.audit_log(town.id, action="claim.final")) == 8  # each finalised once
    assert platform.claims.close_notices(town.id).finalised == 0
    assert_books_sound(platform, town.id)


def test_jf_exp_1_expiry_killed_midway_finishes_on_rerun(platform: Platform) -> None:
    town = make_claims_city(platform)
    people = [town.resident(f"居民{i}") for i in range(8)]
    for i, who in enumerate(people):
        platform.award(town.id, who.id, Points.of("material", 100 + i), idempotency_key=f"a{i}")
    platform.clock.set(datetime(2026, 2, 1, tzinfo=UTC))  # type: ignore[attr-defined]
    expired = t.lots.c.tenant_id == town.id, t.lots.c.remaining == 0

    kill_midway(platform, town.id, "platform.ledger.expire(tenant_id, batch_size=2)", 3)
    assert 0 < count(platform, t.lots, *expired) < 8
    assert_books_sound(platform, town.id)

    platform.ledger.expire(town.id, batch_size=2)
    assert count(platform, t.lots, *expired) == 8
    assert [platform.balance(town.id, who.id, "material").minor for who in people] == [0] * 8
    assert platform.ledger.balance(town.id, system_account("expiry", "material")) == \
        sum(100 + i for i in range(8))
    assert platform.ledger.expire(town.id) == []
    assert_books_sound(platform, town.id)


# --- the connection dropped mid-transaction (PostgreSQL) ---------------------------------------

@pytest.mark.postgres_only
def test_jf_led_3_a_connection_dropped_mid_transaction_commits_nothing(
        city: TenantFixture, database_url: str) -> None:
    p, resident = city.platform, city.resident()
    p.award(city.id, resident.id, Points.of("material", 100), idempotency_key="first")
    admin = create_engine(database_url, isolation_level="AUTOCOMMIT")

    def drop_own_connection(conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO POSTINGS"):
            pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
            with admin.connect() as other:
                other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})

    event.listen(p.db.engine, "before_cursor_execute", drop_own_connection)
    try:
        with pytest.raises(JifenError) as dropped:
            p.award(city.id, resident.id, Points.of("material", 50), idempotency_key="second")
    finally:
        event.remove(p.db.engine, "before_cursor_execute", drop_own_connection)
        admin.dispose()
    assert dropped.value.code == "storage.unavailable" and dropped.value.http_status == 503
    assert p.balance(city.id, resident.id, "material").minor == 100  # nothing partial
    again = p.award(city.id, resident.id, Points.of("material", 50), idempotency_key="second")
    assert again.idempotency_key == "second"  # the next call works, on a new connection
    assert p.balance(city.id, resident.id, "material").minor == 150
    assert_books_sound(p, city.id)


# --- a full disk (SQLite) ----------------------------------------------------------------------

def test_jf_led_3_a_full_sqlite_database_is_a_clear_error_with_nothing_written(
        tmp_path: Any) -> None:
    from jifen.store.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'small.db'}"
    upgrade(url)
    p = Platform(Database(url), clock=MovableClock(datetime(2024, 3, 1, tzinfo=UTC)),
                 master_key=KEY)
    town = make_claims_city(p)
    resident = town.resident()
    p.award(town.id, resident.id, Points.of("material", 100), idempotency_key="fits")
    many = [TransactionRequest(idempotency_key=f"many-{i}", memo="备注" * 200, legs=(
        Leg(account=system_account("issuance", "material"), amount=-1),
        Leg(account=subject_account(resident.id, "material"), amount=1))) for i in range(300)]
    _cap_pages(p)
    try:
        with pytest.raises(JifenError) as full:
            p.ledger.post_many(town.id, many)  # needs pages the file may not grow to
        assert full.value.code == "storage.full" and full.value.http_status == 507
        assert "full" in full.value.message
        assert p.balance(town.id, resident.id, "material").minor == 100  # nothing partial
        assert count(p, t.transactions, t.transactions.c.tenant_id == town.id) == 1
    finally:
        p.db.dispose()
    p = Platform(Database(url), clock=MovableClock(datetime(2024, 3, 1, tzinfo=UTC)),
                 master_key=KEY)  # room again: the same requests now post, once
    p.ledger.post_many(town.id, many)
    assert p.balance(town.id, resident.id, "material").minor == 400
    assert_books_sound(p, town.id)
    p.db.dispose()


def _cap_pages(platform: Platform) -> None:
    """Stop the SQLite file from growing: every connection's ``max_page_count`` is the file's
    current size in pages."""
    platform.db.dispose()

    @event.listens_for(platform.db.engine, "connect")
    def cap(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        pages = cursor.execute("PRAGMA page_count").fetchone()[0]
        cursor.execute(f"PRAGMA max_page_count = {pages}")
        cursor.close()


def test_jf_api_3_an_unreachable_database_is_storage_unavailable() -> None:
    import socket

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    p = Platform(Database(f"postgresql://jifen@127.0.0.1:{port}/jifen"),
                 clock=MovableClock(datetime(2024, 3, 1, tzinfo=UTC)), master_key=KEY)
    with pytest.raises(JifenError) as down:
        p.tenants()
    assert down.value.code == "storage.unavailable" and down.value.http_status == 503
    p.db.dispose()
