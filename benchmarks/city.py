"""A year of a whole city on one tenant: throughput per operation, database size, batch runs.

A tenant gets the org tree of a real city (districts → streets → communities → grids, one grid
per 500 residents), N residents (default 2.2 million, the population of Ordos; ``--scale``
takes a fraction of it) and a year (2024) of activity at the rates of ``Rates`` (stated and
justified in benchmarks/README.md), every operation through the services' own paths:

- moral claims: ``claims.submit`` + ``claims.approve``, published monthly per community
  (``claims.publish``) and posted by the month-end ``notices.close`` job;
- surveys: ``Surveys.respond`` (material points from the funding pool);
- redemptions: ``codes.issue`` (pay code) + ``MerchantRedemption.redeem``;
- orders: ``Orders.post`` → ``grab`` → ``complete`` → ``verify`` (reward to the department);
- monthly grid evaluations: ``GridEvaluation.import_metrics`` + ``evaluate``;
- one school-place round in July (consent, applications, ``draw``, ``publish``);
- reads: a sample of balances and scores every month.

Timed apart: the **month-end batch** (every registered job via ``jifen.jobs.run_once``, the
grid evaluation, the merchants' settlement) and the **year-end batch** (the year's statistics,
the audit of the whole hash chain, and the expiry of the year's material points when they
fall due at the end of the following year).

    uv run --frozen --no-sync python benchmarks/city.py --scale 0.1    # 220,000 residents

PostgreSQL comes from ``JIFEN_TEST_POSTGRES_URL`` (a fresh database, dropped afterwards);
``--backend sqlite`` runs on a temporary SQLite file (for the test that keeps this script
running). Residents and households are inserted directly (setup, timed as "load").
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import random
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from _common import RawSQL, postgres_url, sqlite_url
from sqlalchemy import event, func, select, text
from tqdm import tqdm

from jifen import stats
from jifen.clock import MovableClock
from jifen.config import TenantConfig
from jifen.jobs import collect_jobs, run_once
from jifen.model import SubjectCreate, new_id
from jifen.model.claims import ClaimState, ClaimSubmit
from jifen.platform import Platform
from jifen.store import tables as t
from jifen.store.migrate import upgrade
from jifen.testing import TEST_CATALOGUE, make_platform
from jifen_grid_evaluation import GridEvaluation
from jifen_grid_evaluation.csvfile import MetricsRow
from jifen_grid_evaluation.testing import A_METRICS, B_METRICS
from jifen_merchant_redemption import MerchantRedemption
from jifen_order_grabbing import Orders
from jifen_order_grabbing.models import OrderPost
from jifen_school_place import SchoolPlaces, SchoolRound
from jifen_surveys import Surveys
from jifen_surveys.model import SurveyDefinition

FULL_CITY = 2_200_000
YEAR = 2024
POOL = {"code": "city-pool", "name": "市级积分预算", "owner": "市民政局",
        "limit_points": 10**15}
SLOT = "第一中学:2-A→1-A"
LOCAL = timedelta(hours=8)  # Asia/Shanghai, the tenant's zone


@dataclass(frozen=True)
class Rates:
    """What a city does in a month, per resident (or per grid); see benchmarks/README.md."""

    claims: float = 0.00125         # share of residents filing a moral claim per month
    surveys: float = 0.00125        # share answering the month's survey (300 material points)
    redemptions: float = 0.000625   # share redeeming at a merchant per month (10-yuan bill)
    orders_per_grid: float = 0.125  # problem orders per grid per month
    school: float = 0.002           # share of residents applying for a school place, in July
    reads: int = 100                # balances and scores read per month (a sample to time)
    residents_per_grid: int = 500
    residents_per_merchant: int = 1000

    def times(self, factor: float) -> Rates:
        """These rates with ``factor`` times the activity (claims, surveys, redemptions,
        orders); the city itself and the school round stay as they are."""
        return dataclasses.replace(
            self, claims=self.claims * factor, surveys=self.surveys * factor,
            redemptions=self.redemptions * factor, orders_per_grid=self.orders_per_grid * factor)


@dataclass
class Timer:
    """Per operation: count, seconds, SQL statements and (PostgreSQL) database pages touched.

    Statements and pages do not depend on how busy the machine is, so they show whether an
    operation's work grows with the city's size or history even when the seconds are noisy.
    """

    platform: Platform | None = None
    ops: dict[str, list[float]] = field(default_factory=dict)
    months: list[dict[str, list[float]]] = field(default_factory=list)
    statements: int = 0

    def watch(self, platform: Platform) -> None:
        self.platform = platform
        event.listen(platform.db.engine, "before_cursor_execute", self._count)

    def _count(self, *_: Any) -> None:
        self.statements += 1

    def _pages(self) -> int:
        """Buffer pages hit or read in this database so far (0 on SQLite)."""
        if self.platform is None or self.platform.db.is_sqlite:
            return 0
        with self.platform.db.engine.connect() as conn:
            conn.exec_driver_sql("SELECT pg_stat_force_next_flush()")
            return int(conn.exec_driver_sql(
                "SELECT blks_hit + blks_read FROM pg_stat_database "
                "WHERE datname = current_database()").scalar_one())

    @contextmanager
    def time(self, name: str, count: int = 1) -> Iterator[None]:
        pages, statements = self._pages(), self.statements
        start = time.perf_counter()
        yield
        seconds = time.perf_counter() - start
        statements = self.statements - statements
        entry = self.ops.setdefault(name, [0, 0.0, 0, 0])
        for i, value in enumerate((count, seconds, statements, self._pages() - pages)):
            entry[i] += value

    def close_month(self) -> None:
        """Keep this month's counts and seconds per operation (to see growth within a run)."""
        before: dict[str, list[float]] = {}
        for month in self.months:
            for name, values in month.items():
                entry = before.setdefault(name, [0, 0.0, 0, 0])
                for i, value in enumerate(values):
                    entry[i] += value
        self.months.append({name: [v - b for v, b in zip(
            values, before.get(name, [0, 0.0, 0, 0]), strict=True)]
            for name, values in self.ops.items()})


# --- the city --------------------------------------------------------------------------------

def org_tree(grids: int) -> dict[str, Any]:
    """City → ≤ 9 districts → streets (6 communities) → communities (10 grids) → grids."""
    communities = math.ceil(grids / 10)
    streets = math.ceil(communities / 6)
    districts = min(9, streets)

    def unit(code: str, level: str, children: list[dict[str, Any]] | None = None
             ) -> dict[str, Any]:
        return {"code": code, "name": code, "level": level, **(
            {"children": children} if children is not None else {})}

    grid_units = [unit(f"g{i}", "grid") for i in range(grids)]
    community_units = [unit(f"c{i}", "community", grid_units[i * 10:(i + 1) * 10])
                       for i in range(communities)]
    street_units = [unit(f"s{i}", "street", community_units[i * 6:(i + 1) * 6])
                    for i in range(streets)]
    return unit("city", "city", [unit(f"d{i}", "district", street_units[i::districts])
                                 for i in range(districts)])


@dataclass
class City:
    platform: Platform
    tenant_id: uuid.UUID
    reviewer: uuid.UUID
    residents: list[uuid.UUID]
    grids: list[str]
    communities: list[str]
    departments: list[uuid.UUID] = field(default_factory=list)
    merchants: list[uuid.UUID] = field(default_factory=list)
    funded: list[uuid.UUID] = field(default_factory=list)
    claimants: list[uuid.UUID] = field(default_factory=list)

    @property
    def clock(self) -> MovableClock:
        clock = self.platform.clock
        assert isinstance(clock, MovableClock)
        return clock


def at(day: date, hour: int = 10) -> datetime:
    """``hour`` o'clock local time on ``day``, as an aware UTC datetime."""
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC) - LOCAL


def build_city(platform: Platform, n: int, rates: Rates, timer: Timer, progress: bool) -> City:
    grids = math.ceil(n / rates.residents_per_grid)
    tree = org_tree(grids)
    config = TenantConfig.model_validate({
        "code": "ordos", "name": "鄂尔多斯市 (simulated)", "org": tree,
        "catalogue": list(TEST_CATALOGUE), "pools": [POOL], "default_pool": POOL["code"],
        "settings": {"child_score": "best_of_guardians"}})
    platform.clock.set(at(date(YEAR - 1, 12, 1)))  # type: ignore[attr-defined]
    with timer.time("load: tenant file (org tree)"):
        tenant = platform.apply_config(config, approved_by="city simulation").tenant
        reviewer = platform.create_subject(tenant.id, SubjectCreate(
            type="resident", name="审核员", org_unit_code="g0")).id
        platform.grant_role(tenant.id, reviewer, "reviewer", "city")
    with timer.time("load: residents (direct insert)", n):
        residents = insert_residents(platform, tenant.id, n, progress)
    city = City(platform, tenant.id, reviewer, residents, [f"g{i}" for i in range(grids)],
                [f"c{i}" for i in range(math.ceil(grids / 10))])
    with timer.time("load: grid workers, departments, merchants"):
        grid = GridEvaluation(platform)
        for code in city.grids:
            grid.add_worker(tenant.id, f"网格员{code}", code)
        orders = Orders(platform)
        for i in range(10):
            department = platform.create_subject(tenant.id, SubjectCreate(
                type="department", name=f"部门{i}", org_unit_code="d0")).id
            orders.set_remit(tenant.id, department, ["sanitation"])
            city.departments.append(department)
        shops = MerchantRedemption(platform)
        for i in range(max(1, n // rates.residents_per_merchant)):
            city.merchants.append(shops.add_merchant(
                tenant.id, f"商户{i}", city.communities[i % len(city.communities)],
                category="catering").id)
    return city


def insert_residents(platform: Platform, tenant_id: uuid.UUID, n: int,
                     progress: bool) -> list[uuid.UUID]:
    raw = RawSQL(platform.db.is_sqlite)
    with platform.db.read() as conn:
        grid_ids = dict(conn.execute(select(t.org_units.c.code, t.org_units.c.id).where(
            t.org_units.c.tenant_id == tenant_id, t.org_units.c.level == "grid")).all())
    grids = [raw.uid(grid_ids[f"g{i}"]) for i in range(len(grid_ids))]
    per_grid = math.ceil(n / len(grids))
    sql = raw.insert("subjects", "tenant_id, id, type, name, org_unit_id, code, created_at")
    residents = [new_id() for _ in range(n)]
    now = raw.ts(platform.clock.now())
    for start in tqdm(range(0, n, 10_000), desc="residents", unit="×10k", disable=not progress):
        with platform.db.engine.begin() as conn:
            conn.exec_driver_sql(sql, [
                (raw.uid(tenant_id), raw.uid(r), "resident", f"居民{i}", grids[i // per_grid],
                 f"R{i:012d}", now) for i, r in enumerate(residents[start:start + 10_000],
                                                          start)])
    analyse(platform)
    return residents


def analyse(platform: Platform) -> None:
    """Statistics for the planner after bulk loads (PostgreSQL), as autovacuum would."""
    if not platform.db.is_sqlite:
        with platform.db.engine.connect().execution_options(
                isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ANALYZE")


# --- a month ---------------------------------------------------------------------------------

class Month:
    """One month's activity of the city; each step through the services' own paths."""

    def __init__(self, city: City, rates: Rates, timer: Timer, rnd: random.Random,
                 month: int, bar: tqdm[Any]) -> None:
        self.city, self.rates, self.timer, self.rnd = city, rates, timer, rnd
        self.month, self.bar = month, bar
        self.first = date(YEAR, month, 1)
        self.n = len(city.residents)

    def count(self, share: float) -> int:
        return max(1, round(self.n * share))

    def tick(self, what: str) -> None:
        self.bar.set_postfix_str(f"{self.first:%Y-%m} {what}")

    def run(self) -> None:
        for step in (self.claims, self.surveys, self.orders, self.redemptions):
            step()
            if self.month == 1:  # statistics after the first writes, as autovacuum makes them
                analyse(self.city.platform)
        if self.month == 7:
            self.school_round()
        self.reads()

    def claims(self) -> None:
        self.tick("claims")
        city, claims = self.city, self.city.platform.claims
        city.clock.set(at(self.first.replace(day=11)))
        who = self.rnd.sample(city.residents, self.count(self.rates.claims))
        with self.timer.time("claim: submit + approve", len(who)):
            for i, resident in enumerate(who):
                decision = claims.submit(city.tenant_id, ClaimSubmit(
                    idempotency_key=f"claim:{self.month}:{i}", subject_id=resident,
                    item="volunteer.hour", units=2, deed_date=self.first.replace(day=1 + i % 9),
                    evidence={"photo": f"{self.month}-{i}"}, submitted_by=resident))
                claims.approve(city.tenant_id, decision.claim.id, city.reviewer)
        city.claimants += who
        city.clock.set(at(self.first.replace(day=12)))
        with self.timer.time("notice: publish (per community)", len(city.communities)):
            for code in city.communities:
                claims.publish(city.tenant_id, code, city.reviewer)

    def surveys(self) -> None:
        self.tick("surveys")
        city = self.city
        surveys = Surveys(city.platform)
        code = f"monthly-{self.first:%Y-%m}"
        city.clock.set(at(self.first.replace(day=2)))
        surveys.create(city.tenant_id, SurveyDefinition(
            code=code, title=f"{self.first:%Y-%m} 民情调查", organiser="市民政局",
            pool=POOL["code"], reward=300, opens_at=at(self.first, 0),
            closes_at=at(self.first.replace(day=28), 0),
            questions=({"id": "q1", "text": "满意吗?", "choices": ("是", "否")},)))  # type: ignore[arg-type]
        who = self.rnd.sample(city.residents, self.count(self.rates.surveys))
        with self.timer.time("survey: respond (300 material points)", len(who)):
            for resident in who:
                surveys.respond(city.tenant_id, code, resident, {"q1": "是"},
                                f"survey:{code}:{resident}")
        city.funded += who

    def orders(self) -> None:
        self.tick("orders")
        city, orders = self.city, Orders(self.city.platform)
        city.clock.set(at(self.first.replace(day=15)))
        count = max(1, round(len(city.grids) * self.rates.orders_per_grid))
        with self.timer.time("order: post + grab + complete + verify", count):
            for i in range(count):
                grid = i % len(city.grids)
                order = orders.post(city.tenant_id, OrderPost(
                    idempotency_key=f"order:{self.month}:{i}", community=f"c{grid // 10}",
                    grid=f"g{grid}", category="sanitation", description="垃圾站满溢",
                    deadline=city.clock.now() + timedelta(days=3), reward=100), city.reviewer)
                department = city.departments[i % len(city.departments)]
                orders.grab(city.tenant_id, order.id, department)
                orders.complete(city.tenant_id, order.id, department, f"photo:{order.id}")
                orders.verify(city.tenant_id, order.id, city.reviewer)

    def redemptions(self) -> None:
        self.tick("redemptions")
        city, platform = self.city, self.city.platform
        shops = MerchantRedemption(platform)
        city.clock.set(at(self.first.replace(day=20)))
        count = min(len(city.funded), self.count(self.rates.redemptions))
        who = [city.funded.pop() for _ in range(count)]
        with self.timer.time("redemption: pay code + redeem", count):
            for i, resident in enumerate(who):
                code = platform.codes.issue(city.tenant_id, resident, "pay").token
                done = shops.redeem(city.tenant_id, city.merchants[i % len(city.merchants)],
                                    1000, code, f"redeem:{self.month}:{i}")
                assert done.points == 300, done

    def school_round(self) -> None:
        self.tick("school round")
        city, platform = self.city, self.city.platform
        places = SchoolPlaces(platform)
        applicants = self.count(self.rates.school)
        guardians = self.rnd.sample(city.claimants, min(applicants, len(city.claimants)))
        children = self.rnd.sample(city.residents, len(guardians))
        pairs = [(g, c) for g, c in zip(guardians, children, strict=True) if g != c]
        with self.timer.time("load: households (direct insert)", len(pairs)):
            insert_households(platform, city.tenant_id, pairs)
        opens = at(date(YEAR, 7, 1), 8)
        city.clock.set(opens - timedelta(hours=1))
        round_id = places.open_round(city.tenant_id, SchoolRound.model_validate({
            "school_year": str(YEAR), "opens_at": opens, "closes_at": at(date(YEAR, 7, 10), 8),
            "upgrades": [{"school": "第一中学", "from": "2-A", "to": "1-A", "places": 15}]})).id
        city.clock.set(opens + timedelta(hours=1))
        with self.timer.time("school: consent + apply", len(pairs)):
            for guardian, child in pairs:
                places.grant_consent(city.tenant_id, child, guardian_id=guardian)
                places.apply(city.tenant_id, round_id, child, SLOT, guardian_id=guardian)
        city.clock.set(at(date(YEAR, 7, 11)))
        with self.timer.time("school: draw + publish (per round)"):
            places.draw(city.tenant_id, round_id)
            places.publish(city.tenant_id, round_id, publisher=city.reviewer)

    def reads(self) -> None:
        self.tick("reads")
        city, platform = self.city, self.city.platform
        sample = self.rnd.sample(city.claimants, min(self.rates.reads, len(city.claimants)))
        with self.timer.time("read: balance", len(sample)):
            for resident in sample:
                platform.balance(city.tenant_id, resident, "moral")
        with self.timer.time("read: score (with explanation)", len(sample)):
            for resident in sample:
                platform.score(city.tenant_id, resident)


def insert_households(platform: Platform, tenant_id: uuid.UUID,
                      pairs: list[tuple[uuid.UUID, uuid.UUID]]) -> None:
    """A household per (guardian, child), inserted directly (the school round's setup)."""
    raw = RawSQL(platform.db.is_sqlite)
    with platform.db.read() as conn:
        grid = conn.execute(select(t.org_units.c.id).where(
            t.org_units.c.tenant_id == tenant_id, t.org_units.c.code == "g0")).scalar_one()
    homes = [new_id() for _ in pairs]
    tenant, now = raw.uid(tenant_id), raw.ts(platform.clock.now())
    with platform.db.engine.begin() as conn:
        conn.exec_driver_sql(raw.insert(
            "subjects", "tenant_id, id, type, name, org_unit_id, code, created_at"),
            [(tenant, raw.uid(h), "household", f"户{i}", raw.uid(grid), f"H{i:012d}", now)
             for i, h in enumerate(homes)])
        conn.exec_driver_sql(raw.insert(
            "household_links", "tenant_id, household_id, member_id, role"),
            [(tenant, raw.uid(h), raw.uid(m), role) for h, (g, c) in zip(homes, pairs, strict=True)
             for m, role in ((g, "guardian"), (c, "child"))])


# --- batches ---------------------------------------------------------------------------------

def month_end(city: City, timer: Timer, month: int) -> float:
    """The night after the month: every registered job, the grid evaluation, the settlement."""
    platform = city.platform
    last = date(YEAR, month, 1)
    following = date(YEAR + month // 12, month % 12 + 1, 1)
    label = f"{last:%Y-%m}"
    grid = GridEvaluation(platform)
    city.clock.set(at(following, 1))
    lines = [MetricsRow(line=i + 2, key="code", worker=w.code, month=label,
                        metrics=(A_METRICS, B_METRICS)[i % 2])
             for i, w in enumerate(grid.workers(city.tenant_id))]
    with timer.time("month-end: grid metrics import", len(lines)):
        grid.import_metrics(city.tenant_id, lines)
    start = time.perf_counter()
    with timer.time("month-end batch (jobs + evaluation + settlement)"):
        failures = run_once(platform, collect_jobs(platform.pm), [city.tenant_id])
        assert not any(failures.values()), failures
        grid.evaluate(city.tenant_id, label)
        MerchantRedemption(platform).settle(city.tenant_id)
    return time.perf_counter() - start


def year_end(city: City, timer: Timer) -> dict[str, float]:
    """The year's statistics and the audit of the chain; then the expiry of the year's
    material points, which falls due at the end of the following year."""
    platform, tenant_id = city.platform, city.tenant_id
    city.clock.set(at(date(YEAR + 1, 1, 1), 2))
    seconds: dict[str, float] = {}
    start = time.perf_counter()
    with platform.db.read() as conn:
        report = stats.totals(conn, tenant_id, date(YEAR, 1, 1), date(YEAR + 1, 1, 1))
    seconds["statistics"] = time.perf_counter() - start
    assert report.total.material_issued > 0
    start = time.perf_counter()
    audit = platform.audit(tenant_id)
    seconds["audit"] = time.perf_counter() - start
    assert audit.ok, audit
    city.clock.set(at(date(YEAR + 2, 1, 1), 2))
    start = time.perf_counter()
    expired = platform.ledger.expire(tenant_id)
    seconds["expiry"] = time.perf_counter() - start
    assert expired, "the year's unspent material points expire"
    seconds["expired lots"] = len(expired)
    timer.ops["year-end batch (statistics + audit + expiry)"] = [
        1, seconds["statistics"] + seconds["audit"] + seconds["expiry"], 0, 0]
    return seconds


def database_bytes(platform: Platform) -> int:
    if platform.db.is_sqlite:
        return 0
    with platform.db.read() as conn:
        return int(conn.execute(text("SELECT pg_database_size(current_database())")).scalar_one())


def sizes(platform: Platform, tenant_id: uuid.UUID) -> dict[str, float]:
    with platform.db.read() as conn:
        counts = {table.name: conn.execute(select(func.count()).select_from(table).where(
            table.c.tenant_id == tenant_id)).scalar_one()
            for table in (t.transactions, t.postings, t.lots, t.audit_log, t.claims)}
        if not platform.db.is_sqlite:
            counts["postings bytes"] = conn.execute(
                text("SELECT pg_total_relation_size('postings')")).scalar_one()
        unclosed = conn.execute(select(func.count()).where(
            t.claims.c.tenant_id == tenant_id,
            t.claims.c.state == ClaimState.IN_NOTICE.value)).scalar_one()
    assert unclosed == 0, f"{unclosed} claims still in notice after the year"
    return counts


# --- the run ---------------------------------------------------------------------------------

def simulate(url: str, n: int, rates: Rates, months: int, seed: int, progress: bool,
             checkpoint: Callable[[dict[str, Any]], None] = lambda _: None) -> dict[str, Any]:
    """Run the city's year; ``checkpoint`` gets the figures so far after every month."""
    upgrade(url)
    platform = make_platform(url)
    timer, rnd = Timer(), random.Random(seed)
    timer.watch(platform)
    started = time.perf_counter()
    month_ends: list[float] = []
    try:
        empty = database_bytes(platform)
        city = build_city(platform, n, rates, timer, progress)
        with tqdm(range(1, months + 1), desc="months", unit="month",
                  disable=not progress) as bar:
            for month in bar:
                Month(city, rates, timer, rnd, month, bar).run()
                bar.set_postfix_str(f"{YEAR}-{month:02d} month-end")
                month_ends.append(month_end(city, timer, month))
                timer.close_month()
                if month == 1:
                    analyse(platform)
                checkpoint({"residents": n, "months": month, "ops": timer.ops,
                            "by_month": timer.months, "month_ends": month_ends})
        year = year_end(city, timer) if months == 12 else {}
        counts = sizes(platform, city.tenant_id)
        counts["database bytes"] = database_bytes(platform) - empty
    finally:
        platform.db.dispose()
    return {"residents": n, "months": months, "seconds": time.perf_counter() - started,
            "ops": timer.ops, "by_month": timer.months, "month_ends": month_ends,
            "year_end": year, "counts": counts}


def report(result: dict[str, Any], out: Callable[[str], None] = print) -> None:
    n, factor = result["residents"], FULL_CITY / result["residents"]
    out(f"residents {n:,}, {result['months']} months, {result['seconds']:.0f} s in all")
    out(f"{'operation':<48}{'count':>10}{'seconds':>10}{'per s':>10}{'SQL/op':>8}"
        f"{'pages/op':>10}{'full city, s':>14}")
    for name, (count, seconds, statements, pages) in result["ops"].items():
        per_op = name.startswith(("read:", "load: tenant", "load: grid"))
        projected = seconds if per_op else seconds * factor
        out(f"{name:<48}{count:>10,}{seconds:>10.1f}{count / max(seconds, 1e-9):>10.1f}"
            f"{statements / count:>8.1f}{pages / count:>10,.0f}{projected:>14,.0f}")
    ends = result["month_ends"]
    out(f"month-end batches: mean {sum(ends) / len(ends):.1f} s, max {max(ends):.1f} s")
    for name, value in result["year_end"].items():
        out(f"  year-end {name}: {value:.1f}")
    counts = result["counts"]
    out("rows: " + ", ".join(f"{k} {v:,}" for k, v in counts.items() if "bytes" not in k))
    if counts.get("database bytes"):
        per_million = counts["database bytes"] / counts["postings"] * 1e6
        out(f"database grew {counts['database bytes'] / 2**20:,.0f} MiB "
            f"({per_million / 2**20:,.0f} MiB per million postings; postings table "
            f"{counts['postings bytes'] / 2**20:,.0f} MiB)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0,
                        help=f"fraction of the full city of {FULL_CITY:,} residents")
    parser.add_argument("--months", type=int, default=12, help="months of 2024 to simulate")
    parser.add_argument("--backend", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--activity", type=float, default=1.0,
                        help="multiply the monthly rates of claims, surveys, redemptions and "
                             "orders (default 1: the rates of Rates)")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--json", help="also write the raw figures to this file (after "
                                       "every month, then in full at the end)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    args = parser.parse_args(argv)
    n = max(100, round(FULL_CITY * args.scale))
    rates = Rates().times(args.activity)
    progress = not args.no_progress

    def save(figures: dict[str, Any]) -> None:
        if args.json:
            with open(args.json, "w", encoding="utf-8") as out:
                json.dump(figures, out, indent=1, default=str)

    if args.backend == "sqlite":
        with sqlite_url() as url:
            result = simulate(url, n, rates, args.months, args.seed, progress, save)
    else:
        base = os.environ.get("JIFEN_TEST_POSTGRES_URL")
        if not base:
            print("JIFEN_TEST_POSTGRES_URL is not set "
                  '(eval "$(.ci/start-postgres)" to get one)', file=sys.stderr)
            return 2
        with postgres_url(base) as url:
            result = simulate(url, n, rates, args.months, args.seed, progress, save)
    report(result)
    save(result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
