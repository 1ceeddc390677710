"""Scale design (docs/guides/scale.md): the schema distributes by tenant and partitions postings by
time, balance and score reads never scan the postings, and the city simulation keeps running."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import (
    Column,
    ForeignKeyConstraint,
    MetaData,
    Table,
    UniqueConstraint,
    Uuid,
    create_engine,
    event,
    inspect,
    text,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from jifen.model import Points
from jifen.platform import Platform
from jifen.store.migrate import upgrade
from jifen.testing import TenantFixture, make_platform, make_tenant

ROOT = Path(__file__).resolve().parents[2]
SCALE_DOC = ROOT / "docs" / "guides" / "scale.md"
NOT_DISTRIBUTED = {"tenants", "alembic_version"}
"""``tenants`` becomes a reference table (copied to every node); Alembic's own bookkeeping."""


# --- distribution by tenant (Citus's rules) ----------------------------------------------------

def distribution_problems(engine: Engine) -> list[str]:
    """What would stop distributing every table of the database by ``tenant_id``: a table
    without the column, a primary key or unique constraint or unique index without it, or a
    foreign key that does not join ``tenant_id`` to ``tenant_id`` (or to ``tenants.id``)."""
    found: list[str] = []
    schema = inspect(engine)
    for table in schema.get_table_names():
        if table in NOT_DISTRIBUTED or table.startswith("sqlite_"):
            continue
        if "tenant_id" not in {c["name"] for c in schema.get_columns(table)}:
            found.append(f"{table}: no tenant_id column")
            continue
        keys = [("primary key", schema.get_pk_constraint(table)["constrained_columns"])]
        keys += [(f"unique {u['name']}", u["column_names"])
                 for u in schema.get_unique_constraints(table)]
        keys += [(f"unique index {i['name']}", i["column_names"])
                 for i in schema.get_indexes(table) if i["unique"]]
        found += [f"{table}: {what} {columns}" for what, columns in keys
                  if "tenant_id" not in columns]
        for fk in schema.get_foreign_keys(table):
            pairs = dict(zip(fk["constrained_columns"], fk["referred_columns"], strict=True))
            target = "id" if fk["referred_table"] == "tenants" else "tenant_id"
            if pairs.get("tenant_id") != target:
                found.append(f"{table}: foreign key {fk['constrained_columns']} → "
                             f"{fk['referred_table']}")
    return found


def test_jf_org_1_every_table_distributes_by_tenant(database_url: str) -> None:
    """Every table of the migrated database (core and installed plugins) carries ``tenant_id``
    in every primary key, unique constraint, unique index and foreign key: the rule Citus sets
    for tables distributed and co-located by ``tenant_id``."""
    engine = create_engine(database_url)
    try:
        assert distribution_problems(engine) == []
    finally:
        engine.dispose()


def test_the_distribution_check_reports_keys_without_the_tenant(tmp_path: Path) -> None:
    """The check can fail: a unique key and a foreign key that leave out the tenant."""
    engine = create_engine(f"sqlite:///{tmp_path / 'bad.db'}")
    metadata = MetaData()
    Table("tenants", metadata, Column("id", Uuid, primary_key=True))
    Table("things", metadata, Column("tenant_id", Uuid, primary_key=True),
          Column("id", Uuid, primary_key=True), Column("code", Uuid),
          Column("other_id", Uuid), UniqueConstraint("code", name="uq_things_code"),
          ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
          ForeignKeyConstraint(["other_id"], ["others.id"]))
    Table("others", metadata, Column("id", Uuid, primary_key=True))
    metadata.create_all(engine)
    try:
        assert distribution_problems(engine) == [
            "others: no tenant_id column",
            "things: unique uq_things_code ['code']",
            "things: foreign key ['other_id'] → others"]
    finally:
        engine.dispose()


# --- partitioning postings by time (PostgreSQL) -------------------------------------------------

def partition_script() -> str:
    """The SQL that docs/guides/scale.md gives for partitioning postings by month."""
    blocks = re.findall(r"```sql\n(.*?)```", SCALE_DOC.read_text(encoding="utf-8"), re.S)
    script = [b for b in blocks if "PARTITION BY RANGE (id)" in b]
    assert len(script) == 1, "the scale guide has one partitioning script"
    return script[0]


@pytest.fixture
def fresh_postgres() -> Iterator[str]:
    """A migrated PostgreSQL database of its own (the test renames tables in it)."""
    admin_url = os.environ.get("JIFEN_TEST_POSTGRES_URL")
    if not admin_url:
        if os.environ.get("JIFEN_REQUIRE_POSTGRES") == "1":
            pytest.fail("JIFEN_REQUIRE_POSTGRES=1 but JIFEN_TEST_POSTGRES_URL is not set")
        pytest.skip("PostgreSQL not configured (set JIFEN_TEST_POSTGRES_URL)")
    name = f"jifen_scale_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin_url.rsplit("/", 1)[0] + f"/{name}"
    try:
        upgrade(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def award(platform: Platform, city: TenantFixture, subject: uuid.UUID, n: int, key: str) -> None:
    for i in range(n):
        platform.award(city.id, subject, Points(kind="moral", minor=10),
                       idempotency_key=f"{key}:{i}")


def test_jf_led_5_postings_live_in_a_table_partitioned_by_month(fresh_postgres: str) -> None:
    """The guide's script turns ``postings`` into a table range-partitioned by its UUIDv7 id
    (one partition per month) with the same keys, foreign keys and append-only trigger; the
    ledger goes on posting, balancing and auditing unchanged, and a month's query reads only
    that month's partition."""
    platform = make_platform(fresh_postgres)
    city = make_tenant(platform)
    resident = city.resident().id
    award(platform, city, resident, 5, "before")
    raw = platform.db.engine.raw_connection()
    try:
        raw.cursor().execute(partition_script())
        raw.commit()
    finally:
        raw.close()
    platform.db.dispose()

    platform = make_platform(fresh_postgres)
    try:
        award(platform, city, resident, 3, "after")
        assert platform.balance(city.id, resident, "moral").minor == 80
        assert platform.audit(city.id).ok
        with platform.db.read() as conn:
            assert conn.execute(text(
                "SELECT relkind FROM pg_class WHERE relname = 'postings'")).scalar_one() == "p"
            assert conn.execute(text("SELECT count(*) FROM postings")).scalar_one() == 16
            assert conn.execute(text(
                "SELECT count(*) FROM postings_default")).scalar_one() == 0
            plan = conn.execute(text(
                "EXPLAIN (FORMAT JSON) SELECT * FROM postings WHERE tenant_id = :t AND id >= "
                "jifen_uuid7_floor(date_trunc('month', now())) AND id < "
                "jifen_uuid7_floor(date_trunc('month', now()) + interval '1 month')"),
                {"t": city.id}).scalar_one()
        scanned = relations(plan)
        assert len(scanned) == 1 and scanned[0].startswith("postings_2"), scanned
    finally:
        platform.db.dispose()


def test_jf_led_2_a_partitioned_posting_is_still_append_only(fresh_postgres: str) -> None:
    platform = make_platform(fresh_postgres)
    city = make_tenant(platform)
    award(platform, city, city.resident().id, 1, "k")
    raw = platform.db.engine.raw_connection()
    try:
        raw.cursor().execute(partition_script())
        raw.commit()
    finally:
        raw.close()
    try:
        with pytest.raises(DBAPIError, match="append-only"), platform.db.engine.begin() as conn:
            conn.execute(text("UPDATE postings SET amount = amount + 1"))
        with pytest.raises(DBAPIError, match="foreign key"), platform.db.engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO postings (tenant_id, id, transaction_id, account_id, kind, amount) "
                "SELECT tenant_id, gen_random_uuid(), transaction_id, gen_random_uuid(), kind, 1 "
                "FROM postings LIMIT 1"))
    finally:
        platform.db.dispose()


def relations(plan: Any) -> list[str]:
    """The relations an EXPLAIN (FORMAT JSON) plan reads."""
    found: list[str] = []

    def walk(node: dict[str, Any]) -> None:
        if "Relation Name" in node:
            found.append(node["Relation Name"])
        for child in node.get("Plans", []):
            walk(child)

    walk((json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"])
    return found


# --- reads come from summaries, never from scanning postings -----------------------------------

class Statements:
    """The SQL statements (with their parameters) an engine runs inside the block."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.seen: list[tuple[str, Any]] = []

    def _record(self, conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        self.seen.append((statement, parameters))

    def __enter__(self) -> Statements:
        event.listen(self.engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *_: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._record)

    def reading(self, table: str) -> list[tuple[str, Any]]:
        return [(s, p) for s, p in self.seen if re.search(rf"\b{table}\b", s)]


def scans_of_postings(platform: Platform, statement: str, parameters: Any) -> list[str]:
    """Where the plan of ``statement`` reads ``postings`` other than by an account or a
    transaction (SQLite: ``EXPLAIN QUERY PLAN``; PostgreSQL: ``EXPLAIN (FORMAT JSON)``)."""
    with platform.db.engine.connect() as conn:
        if platform.db.is_sqlite:
            rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
            return [row[-1] for row in rows if re.search(r"\bpostings\b", row[-1]) and not
                    re.search(r"SEARCH postings USING (COVERING )?INDEX ix_postings_(account|tx) "
                              r"\(tenant_id=\? AND (account_id|transaction_id)", row[-1])]
        conn.exec_driver_sql("SET enable_seqscan = off")  # as on a big table
        plan = conn.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {statement}", parameters).scalar()
    found: list[str] = []

    def walk(node: dict[str, Any]) -> None:
        if node.get("Relation Name") == "postings" and not re.search(
                r"\((account_id|transaction_id) = ", node.get("Index Cond", "")):
            found.append(f"{node['Node Type']} {node.get('Index Cond', '')}")
        for child in node.get("Plans", []):
            walk(child)

    walk(plan[0]["Plan"])
    return found


@pytest.fixture
def busy_city(platform: Platform) -> tuple[TenantFixture, uuid.UUID]:
    """A tenant whose other residents have many postings, and one resident with three."""
    city = make_tenant(platform)
    others = [city.resident(f"居民{i}").id for i in range(30)]
    from jifen.ledger import subject_account, system_account
    from jifen.model import Leg, TransactionRequest

    platform.ledger.post_many(city.id, [TransactionRequest(
        idempotency_key=f"busy:{i}", legs=(
            Leg(account=system_account("issuance", "moral"), amount=-10),
            Leg(account=subject_account(others[i % 30], "moral"), amount=10)))
        for i in range(600)])
    resident = city.resident("张三").id
    award(platform, city, resident, 3, "mine")
    if not platform.db.is_sqlite:
        with platform.db.engine.connect().execution_options(
                isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ANALYZE")
    return city, resident


def test_jf_led_5_a_balance_is_read_from_the_accounts_summary(
        platform: Platform, busy_city: tuple[TenantFixture, uuid.UUID]) -> None:
    city, resident = busy_city
    with Statements(platform.db.engine) as statements:
        assert platform.balance(city.id, resident, "moral").minor == 30
    assert statements.reading("accounts")
    assert statements.reading("postings") == []


def test_jf_score_2_a_score_reads_only_the_subjects_own_postings(
        platform: Platform, busy_city: tuple[TenantFixture, uuid.UUID]) -> None:
    city, resident = busy_city
    with Statements(platform.db.engine) as statements:
        score = platform.score(city.id, resident)
    assert len(score.lines) == 3
    reads = statements.reading("postings")
    assert reads, "the explanation lists the subject's postings"
    assert [scans_of_postings(platform, s, p) for s, p in reads] == [[] for _ in reads]


def test_the_scan_check_reports_a_read_of_every_posting(
        platform: Platform, busy_city: tuple[TenantFixture, uuid.UUID]) -> None:
    """The check can fail: summing the tenant's postings reads all of them."""
    city, _ = busy_city
    statement = ("SELECT account_id, sum(amount) FROM postings WHERE tenant_id = ? "
                 "GROUP BY account_id")
    if platform.db.is_sqlite:
        assert scans_of_postings(platform, statement, (city.id.hex,))
    else:
        assert scans_of_postings(platform, statement.replace("?", "%(t)s"), {"t": city.id})


# --- batch jobs read what is due, not the whole history ------------------------------------------

def plan_of(platform: Platform, statement: str, parameters: Any) -> str:
    """The query plan of ``statement`` as text (PostgreSQL: with sequential scans disabled)."""
    with platform.db.engine.connect() as conn:
        if platform.db.is_sqlite:
            rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
            return "\n".join(str(row[-1]) for row in rows)
        conn.exec_driver_sql("SET enable_seqscan = off")
        return "\n".join(conn.exec_driver_sql(f"EXPLAIN {statement}", parameters).scalars())


def test_jf_exp_1_the_expiry_job_searches_only_lots_with_points_left(
        platform: Platform, clock: Any) -> None:
    """The hourly expiry job finds the lots due through ``ix_lots_expiring``, a partial index
    of the lots with points left: its cost follows the lots due, not every lot ever earned."""
    from datetime import timedelta

    from jifen.funding import Issue
    from jifen.testing import TEST_POOL, make_claims_city

    city = make_claims_city(platform)
    residents = [city.resident(f"居民{i}").id for i in range(5)]
    platform.funding.issue_many(city.id, [
        Issue(TEST_POOL["code"], who, 100, f"fund:{who}", "test", {}) for who in residents])
    clock.advance(timedelta(days=800))
    with Statements(platform.db.engine) as statements:
        assert len(platform.ledger.expire(city.id)) == 5
    searches = [(s, p) for s, p in statements.reading("lots") if s.lstrip().startswith("SELECT")
                and "expires_at <=" in s]
    assert searches, "the expiry job searches the lots by expiry"
    assert all("ix_lots_expiring" in plan_of(platform, s, p) for s, p in searches)


# --- the city simulation keeps running ------------------------------------------------------------

def test_the_city_simulation_runs_a_year_at_a_tiny_scale(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "city.py"), "--backend", "sqlite",
         "--scale", "0.0001", "--no-progress", "--json", str(tmp_path / "city.json")],
        cwd=tmp_path, capture_output=True, text=True, check=False, timeout=600,
        env={**os.environ, "JIFEN_TEST_POSTGRES_URL": ""})
    assert result.returncode == 0, result.stderr
    assert "month-end batches" in result.stdout and "year-end" in result.stdout
    figures = json.loads((tmp_path / "city.json").read_text(encoding="utf-8"))
    assert figures["residents"] == 220 and figures["months"] == 12
    assert figures["counts"]["postings"] > 0


# --- publishing and statistics read their share ---------------------------------------------------

def copies_of(platform: Platform, parent: Table, child: Table, link: str, where: Any,
              copies: int, vary: Any, vary_child: Any = lambda row, i: {}) -> None:
    """Insert ``copies`` copies of the ``parent`` row matching ``where`` and of its ``child``
    rows (``child.<link> == parent.id``): ``vary(row, i)`` and ``vary_child(row, i)`` give
    the i-th copy's new values; each copy gets a new id, and a child copy points at its
    parent's copy. Then ANALYZE on PostgreSQL, so
    that it plans with the shape of the data."""
    from jifen.model import new_id

    with platform.db.engine.begin() as conn:
        original = dict(conn.execute(parent.select().where(where)).mappings().one())
        children = [dict(r) for r in conn.execute(
            child.select().where(child.c[link] == original["id"])).mappings()]
        parents = [{**original, "id": new_id(), **vary(original, i)} for i in range(copies)]
        conn.execute(parent.insert(), parents)
        if children:
            conn.execute(child.insert(), [{**c, "id": new_id(), link: p["id"], **vary_child(c, i)}
                                          for i, p in enumerate(parents) for c in children])
    if not platform.db.is_sqlite:  # SQLite keeps the statistics jifen installed
        with platform.db.engine.connect().execution_options(
                isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ANALYZE")


def test_jf_earn_6_publishing_a_unit_starts_from_its_subjects(
        platform: Platform, clock: Any) -> None:
    """A unit's notice finds its approved claims from the unit's subjects
    (``ix_subjects_org_unit``, then ``ix_claims_subject``), not by reading every approved claim
    of the city and filtering by unit: its cost follows the unit, not the city. Here 400
    approved claims wait in grid-2 while grid-1, with one, publishes."""
    from datetime import date

    from jifen.model.claims import ClaimSubmit
    from jifen.store import tables as t
    from jifen.testing import make_claims_city

    city = make_claims_city(platform)
    for grid in ("grid-1", "grid-2"):
        who = city.resident(f"居民{grid}", grid=grid)
        claim = platform.claims.submit(city.id, ClaimSubmit(
            idempotency_key=grid, subject_id=who.id, item="volunteer.hour", units=2,
            deed_date=date(2024, 2, 28), evidence={"photo": "p"})).claim
        platform.claims.approve(city.id, claim.id, city.reviewer_id)

    # 400 more residents of grid-2, each with an approved claim: subjects, then their claims.
    with platform.db.read() as conn:
        waiting = dict(conn.execute(t.claims.select().where(
            t.claims.c.idempotency_key == "grid-2")).mappings().one())
    copies_of(platform, t.subjects, t.claims, "subject_id",
              t.subjects.c.id == waiting["subject_id"], 400,
              lambda row, i: {"code": f"X{i:08d}"},
              lambda row, i: {"idempotency_key": f"x{i}", "deed_key": f"x{i}"})
    with Statements(platform.db.engine) as statements:
        batch = platform.claims.publish(city.id, "grid-1", city.reviewer_id)
    assert batch is not None and batch.entries == 1
    [(search, parameters)] = [(s, p) for s, p in statements.reading("claims")
                              if s.lstrip().startswith("SELECT") and "subjects" in s]
    plan = plan_of(platform, search, parameters)
    assert "ix_subjects_org_unit" in plan and "ix_claims_subject" in plan, plan
    assert "ix_claims_state" not in plan, plan


def test_jf_stat_1_statistics_read_the_periods_transactions(
        platform: Platform, clock: Any) -> None:
    """``jifen stats`` finds the period's transactions through ``ix_transactions_created`` and
    (SQLite) their postings through ``ix_postings_tx``: a week's report reads that week, not
    the tenant's history (here two years of 15 moral and 15 material awards a day, all on one
    resident's accounts). PostgreSQL may instead hash the week's transactions against the
    postings of the accounts, when its statistics (here of a database shared with other
    tests) say the accounts have few."""
    from datetime import UTC, date, datetime, timedelta

    from jifen import stats
    from jifen.store import tables as t

    clock.set(datetime(2025, 3, 1, 8, 0, tzinfo=UTC))
    tenant = make_tenant(platform)
    resident = tenant.resident("居民")
    platform.award(tenant.id, resident.id, Points.of("moral", "1.0"), idempotency_key="award:0")
    platform.award(tenant.id, resident.id, Points.of("material", 100), idempotency_key="award:m")

    for kind, first in (("moral", "award:0"), ("material", "award:m")):
        copies_of(platform, t.transactions, t.postings, "transaction_id",
                  t.transactions.c.idempotency_key == first, 730 * 15,
                  lambda row, i, kind=kind: {
                      "seq": 10 + 100_000 * (kind == "material") + i,
                      "idempotency_key": f"{kind}:{i}",
                      "created_at": row["created_at"] - timedelta(minutes=96 * (i + 1))})
    with Statements(platform.db.engine) as statements, platform.db.read() as conn:
        report = stats.totals(conn, tenant.id, date(2024, 3, 4), date(2024, 3, 11))
    assert report.total.moral_awarded == 7 * 15 * 10
    assert report.total.material_issued == 7 * 15 * 100
    period_reads = [(s, p) for s, p in statements.reading("postings")
                    if "created_at" in s]
    assert len(period_reads) == 2, "moral and material: one pass each"
    for statement, parameters in period_reads:
        plan = plan_of(platform, statement, parameters)
        assert "ix_transactions_created" in plan, plan
        if platform.db.is_sqlite:  # PostgreSQL weighs this against its statistics
            assert "ix_postings_tx" in plan, plan


# --- SQLite plans with the statistics jifen installs (jifen.store.planner) ------------------------

def tenant_wide_reads(statement: str, plan: str) -> list[str]:
    """The lines of a SQLite plan that read a big table tenant-wide: a full scan, or a search
    whose only equality is ``tenant_id`` with at most a one-sided range (``id<?``: every row
    older than something)."""
    from jifen.store import tables as t
    from jifen.store.planner import SMALL_TABLES

    found = []
    for line in plan.splitlines():
        read = re.match(r"(SCAN|SEARCH) (\w+)(?: USING (?:COVERING )?INDEX \w+ \((.*)\))?",
                        line.strip())
        if not read or read[2] not in t.metadata.tables or read[2] in SMALL_TABLES:
            continue
        terms = (read[3] or "").split(" AND ")
        equalities = [term for term in terms if term.endswith("=?") and "<" not in term
                      and ">" not in term]
        if read[1] == "SCAN" or (equalities == ["tenant_id=?"] and len(terms) < 3):
            found.append(f"{line.strip()}  <-  {statement.split(chr(10))[0][:120]}")
    return found


def test_the_tenant_wide_read_check_reports_a_search_by_tenant_alone() -> None:
    assert tenant_wide_reads("SELECT", "SEARCH scenario_consents USING INDEX "
                             "sqlite_autoindex_scenario_consents_1 (tenant_id=? AND id<?)")
    assert tenant_wide_reads("SELECT", "SCAN postings")
    assert not tenant_wide_reads("SELECT", "SEARCH transactions USING INDEX "
                                 "ix_transactions_created (tenant_id=? AND created_at>? AND "
                                 "created_at<?)")
    assert not tenant_wide_reads("SELECT", "SEARCH postings USING INDEX ix_postings_account "
                                 "(tenant_id=? AND account_id=?)")


def test_jf_scn_2_an_eligibility_check_reads_no_table_tenant_wide(platform: Platform) -> None:
    """A check (a child's score through the guardian, consent, residence) searches every big
    table by subject, account or household, never by the tenant alone: on SQLite, whose
    planner has no statistics of its own, because ``jifen db upgrade`` installs the city's
    shape (``jifen.store.planner``). Without them a check at a million families took 235 ms,
    reading every consent older than the check (benchmarks/README.md, ``scenarios.py``)."""
    from collections.abc import Callable

    from jifen import hookimpl
    from jifen.model import LinkRole, SubjectCreate
    from jifen.scenarios import ScenarioSpec
    from jifen.testing import make_claims_city, make_config, registered_plugin

    if not platform.db.is_sqlite:
        pytest.skip("PostgreSQL plans with the statistics its autovacuum gathers")
    vip = ScenarioSpec(code="plan-vip", name="VIP", provider="银行", benefit="VIP lane",
                       mode="threshold", rule_version="1", eligibility={"min_score": "1"})

    class Scenario:
        @hookimpl
        def register_scenarios(self, register: Callable[[ScenarioSpec], None]) -> None:
            register(vip)

    with registered_plugin(platform.pm, Scenario(), name="plan_vip"):
        city = make_claims_city(platform, make_config(
            f"t-{uuid.uuid4().hex[:12]}", settings={"child_score": "best_of_guardians"}))
        home = platform.create_subject(city.id, SubjectCreate(type="household", name="武家",
                                                              org_unit_code="grid-1"))
        father, daughter = city.resident("武建国"), city.resident("武小朵")
        platform.link_household(city.id, home.id, father.id, LinkRole.guardian)
        platform.link_household(city.id, home.id, daughter.id, LinkRole.child)
        platform.award(city.id, father.id, Points.of("moral", "211.2"), idempotency_key="a")
        platform.scenarios.grant_consent(city.id, "plan-vip", daughter.id, given_by=father.id)
        with Statements(platform.db.engine) as statements:
            assert platform.scenarios.check(city.id, "plan-vip", daughter.id).eligible
    reads = [(s, p) for s, p in statements.seen if s.lstrip().startswith("SELECT")]
    assert len(reads) > 5
    assert [line for s, p in reads for line in tenant_wide_reads(s, plan_of(platform, s, p))] \
        == []
