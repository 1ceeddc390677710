"""Statistics per org unit and period (JF-STAT-1), against hand-computed totals, on SQLite and
PostgreSQL.

The March scenario (tenant time zone Asia/Shanghai, period [2024-03-01, 2024-04-01)):

====  =========  ====================================================================
who   where      what (moral in tenths, material in points)
====  =========  ====================================================================
A     grid-1     moral +211, +10 (reversed in March), −20 (a deduction)
D     grid-1     moral +30 (reversed in March)
B     grid-2     moral +55; material +1000, redeems 300 at merchant M, 200 at the noodle
                 shop (refunded by reversal), 100 at the noodle shop
C     grid-3     moral −20 (overturned by reversal); material +500 that expires
E     district   a department: moral +100, material +700
M     street     a merchant; its settlement account is named after it
run              settles M's 300 and the noodle shop's 100
====  =========  ====================================================================

Outside the period: A moral +500 in February, B material +999 on 1 April (local time).
grid-3 sits in community-2; community-3 has nothing at all.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event

from jifen import stats
from jifen.clock import MovableClock
from jifen.errors import InvalidInput, NotFound
from jifen.ledger import subject_account, system_account
from jifen.model import Leg, OrgUnitCreate, Points, SubjectCreate, TransactionRequest
from jifen.platform import Platform
from jifen.stats import StatsReport, UnitTotals
from jifen.testing import TenantFixture, make_tenant

SHANGHAI = ZoneInfo("Asia/Shanghai")
MARCH = (date(2024, 3, 1), date(2024, 4, 1))
ISSUANCE = system_account("issuance", "material")
NOODLE_SHOP = system_account("settlement", "material", "noodle-shop")


def local(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def at(platform: Platform, when: datetime) -> None:
    assert isinstance(platform.clock, MovableClock)
    platform.clock.set(when)


def report(city: TenantFixture, start: date = MARCH[0], end: date = MARCH[1],
           level: str = "community") -> StatsReport:
    with city.platform.db.read() as conn:
        return stats.totals(conn, city.id, start, end, level)


def figures(row: UnitTotals) -> dict[str, int]:
    return {name: getattr(row, name) for name in stats.COLUMNS}


def by_code(result: StatsReport) -> dict[str, dict[str, int]]:
    return {row.org_code: figures(row) for row in result.rows}


def expect(residents: int = 0, awarded: int = 0, deducted: int = 0, issued: int = 0,
           redeemed: int = 0, expired: int = 0, settled: int = 0) -> dict[str, int]:
    return {"residents_with_moral_points": residents, "moral_awarded": awarded,
            "moral_deducted": deducted, "material_issued": issued, "material_redeemed": redeemed,
            "material_expired": expired, "material_settled": settled}


def moral(city: TenantFixture, subject_id: uuid.UUID, amount: str, key: str) -> uuid.UUID:
    return city.platform.award(city.id, subject_id, Points.of("moral", amount),
                               idempotency_key=f"{key}:{subject_id}").id


def move(city: TenantFixture, key: str, frm: str, to: str, amount: int) -> uuid.UUID:
    return city.platform.ledger.post(city.id, TransactionRequest(idempotency_key=key, legs=(
        Leg(account=frm, amount=-amount), Leg(account=to, amount=amount)))).id


def grow(city: TenantFixture) -> None:
    """Add community-2 (with grid-3) and community-3 (empty) under the street."""
    for code, level, parent in (("community-2", "community", "street"),
                                ("grid-3", "grid", "community-2"),
                                ("community-3", "community", "street")):
        city.platform.add_org_unit(city.id, OrgUnitCreate(code=code, name=f"{code} 名",
                                                          level=level, parent_code=parent))


def subject(city: TenantFixture, kind: str, name: str, unit: str) -> uuid.UUID:
    return city.platform.create_subject(city.id, SubjectCreate(
        type=kind, name=name, org_unit_code=unit)).id


def march_scenario(city: TenantFixture) -> None:
    p = city.platform
    grow(city)
    a, d = city.resident("甲", "grid-1").id, city.resident("丁", "grid-1").id
    b, c = city.resident("乙", "grid-2").id, city.resident("丙", "grid-3").id
    e = subject(city, "department", "民政局", "district")
    m = subject(city, "merchant", "面馆", "street")
    merchant = system_account("settlement", "material", str(m))

    at(p, local(2024, 2, 20, 10, 0))
    moral(city, a, "50.0", "feb")

    at(p, local(2024, 3, 5, 9, 0))
    moral(city, a, "21.1", "a1")
    p.ledger.reverse(city.id, moral(city, a, "1.0", "a2"), "a2:rev", "wrong person")
    moral(city, a, "-2.0", "a3")
    p.ledger.reverse(city.id, moral(city, d, "3.0", "d1"), "d1:rev", "duplicate")
    moral(city, b, "5.5", "b1")
    p.ledger.reverse(city.id, moral(city, c, "-2.0", "c1"), "c1:rev", "appeal upheld")
    moral(city, e, "10.0", "e1")

    p.award(city.id, b, Points.of("material", 1000), idempotency_key="b:m")
    p.award(city.id, e, Points.of("material", 700), idempotency_key="e:m")
    p.ledger.post(city.id, TransactionRequest(idempotency_key="c:m", legs=(
        Leg(account=ISSUANCE, amount=-500),
        Leg(account=subject_account(c, "material"), amount=500,
            expires_at=local(2024, 3, 10, 0, 0)))))
    move(city, "b:r1", subject_account(b, "material"), merchant, 300)
    p.ledger.reverse(city.id, move(city, "b:r2", subject_account(b, "material"), NOODLE_SHOP,
                                   200), "b:r2:refund", "refund")
    move(city, "b:r3", subject_account(b, "material"), NOODLE_SHOP, 100)

    at(p, local(2024, 3, 15, 9, 0))
    assert len(p.ledger.expire(city.id)) == 1
    move(city, "settle:m", merchant, ISSUANCE, 300)
    move(city, "settle:noodle", NOODLE_SHOP, ISSUANCE, 100)

    at(p, local(2024, 4, 1, 0, 30))
    p.award(city.id, b, Points.of("material", 999), idempotency_key="b:april")


MARCH_TOTAL = expect(residents=2, awarded=366, deducted=20, issued=2200, redeemed=400,
                     expired=500, settled=400)


def test_jf_stat_1_every_column_per_community_matches_hand_computed_totals(
        city: TenantFixture) -> None:
    march_scenario(city)
    result = report(city)
    assert [row.org_code for row in result.rows] == ["community", "community-2", "community-3"]
    assert by_code(result) == {
        "community": expect(residents=2, awarded=266, deducted=20, issued=1000, redeemed=400),
        "community-2": expect(issued=500, expired=500),
        "community-3": expect(),
    }
    # The total also counts the district department and every settlement account.
    assert figures(result.total) == MARCH_TOTAL
    assert result.total.level == "tenant" and result.total.org_code == city.tenant.code
    assert result.period == stats.Period(start=MARCH[0], end=MARCH[1], timezone="Asia/Shanghai")
    assert result.tenant == city.tenant.code and result.level == "community"


def test_jf_stat_1_rows_roll_up_from_grid_to_community_to_city(city: TenantFixture) -> None:
    march_scenario(city)
    grids = by_code(report(city, level="grid"))
    assert grids == {
        "grid-1": expect(residents=1, awarded=211, deducted=20),
        "grid-2": expect(residents=1, awarded=55, issued=1000, redeemed=400),
        "grid-3": expect(issued=500, expired=500),
    }
    communities = by_code(report(city))
    assert communities["community"] == {
        name: grids["grid-1"][name] + grids["grid-2"][name] for name in stats.COLUMNS}
    # The street adds the merchant's settlement (M sits at the street); the city adds the
    # district department. Only the noodle shop's settlement, named after no subject, stays
    # in the tenant total alone.
    assert by_code(report(city, level="street")) == {"street": expect(
        residents=2, awarded=266, deducted=20, issued=1500, redeemed=400, expired=500,
        settled=300)}
    assert by_code(report(city, level="city")) == {"city": {**MARCH_TOTAL, "material_settled": 300}}
    assert by_code(report(city, level="district"))["district"] == by_code(
        report(city, level="city"))["city"]


def test_jf_stat_1_units_without_activity_have_rows_of_zeros(city: TenantFixture) -> None:
    grow(city)
    result = report(city, level="grid")
    assert [row.org_code for row in result.rows] == ["grid-1", "grid-2", "grid-3"]
    assert all(figures(row) == expect() for row in [*result.rows, result.total])
    assert [row.org_name for row in result.rows] == ["grid-1", "grid-2", "grid-3 名"]


def test_jf_stat_1_the_period_is_local_dates_in_the_tenant_time_zone(city: TenantFixture) -> None:
    p, resident = city.platform, city.resident()
    for when, amount in ((local(2024, 2, 29, 23, 59), "0.1"), (local(2024, 3, 1, 0, 0), "0.2"),
                         (local(2024, 3, 1, 23, 30), "0.4"), (local(2024, 3, 2, 0, 10), "0.8")):
        at(p, when)
        moral(city, resident.id, amount, f"at:{when.isoformat()}")
    # 00:10 on 2 March in Shanghai is still 1 March in UTC, yet it belongs to 2 March.
    assert local(2024, 3, 2, 0, 10).astimezone(UTC).date() == date(2024, 3, 1)

    def day(d: date) -> int:
        return report(city, d, d + timedelta(days=1)).total.moral_awarded

    assert day(date(2024, 2, 29)) == 1
    assert day(date(2024, 3, 1)) == 2 + 4
    assert day(date(2024, 3, 2)) == 8
    assert report(city, date(2024, 2, 29), date(2024, 3, 3)).total.moral_awarded == 15


def test_jf_stat_1_a_reversal_counts_against_its_original_in_the_period_it_is_posted(
        city: TenantFixture) -> None:
    p, resident = city.platform, city.resident()
    at(p, local(2024, 2, 10, 12, 0))
    award = moral(city, resident.id, "4.0", "feb")
    deduction = moral(city, resident.id, "-2.0", "feb-litter")
    issued = p.award(city.id, resident.id, Points.of("material", 80), idempotency_key="m").id
    at(p, local(2024, 3, 10, 12, 0))
    p.ledger.reverse(city.id, award, "rev-award", "wrong person")
    p.ledger.reverse(city.id, deduction, "rev-deduction", "appeal upheld")
    p.ledger.reverse(city.id, issued, "rev-issue", "duplicate")
    assert figures(report(city, date(2024, 2, 1), date(2024, 3, 1)).total) == expect(
        residents=1, awarded=40, deducted=20, issued=80)
    assert figures(report(city).total) == expect(awarded=-40, deducted=-20, issued=-80)
    assert figures(report(city, date(2024, 2, 1), date(2024, 4, 1)).total) == expect()


def test_jf_stat_1_tenants_are_isolated(platform: Platform, city: TenantFixture) -> None:
    march_scenario(city)
    other = make_tenant(platform)  # the same org codes as ``city``
    resident = other.resident("外", "grid-2")
    at(platform, local(2024, 3, 20, 9, 0))
    moral(other, resident.id, "7.0", "other")
    platform.award(other.id, resident.id, Points.of("material", 60), idempotency_key="o:m")
    merchant = next(iter(city.residents)).id  # a subject id of the *other* tenant
    named = system_account("settlement", "material", str(merchant))
    move(other, "o:r", subject_account(resident.id, "material"), named, 60)
    move(other, "o:s", named, ISSUANCE, 60)
    assert figures(report(city).total) == MARCH_TOTAL
    theirs = report(other)
    assert by_code(theirs) == {"community": expect(residents=1, awarded=70, issued=60,
                                                   redeemed=60)}
    assert figures(theirs.total) == expect(residents=1, awarded=70, issued=60, redeemed=60,
                                           settled=60)


def test_jf_stat_1_bad_input_is_refused_with_stable_codes(city: TenantFixture) -> None:
    with pytest.raises(InvalidInput) as err:
        report(city, level="village")
    assert err.value.code == "input.invalid" and "village" in err.value.message
    for start, end in ((date(2024, 3, 1), date(2024, 3, 1)), (date(2024, 3, 2), date(2024, 3, 1))):
        with pytest.raises(InvalidInput) as err:
            report(city, start, end)
        assert err.value.code == "input.invalid"
    with pytest.raises(NotFound) as missing, city.platform.db.read() as conn:
        stats.totals(conn, uuid.uuid4(), *MARCH)
    assert missing.value.code == "not_found"


def test_jf_stat_1_the_number_of_queries_does_not_grow_with_subjects(city: TenantFixture) -> None:
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    def queries() -> int:
        statements.clear()
        event.listen(city.platform.db.engine, "before_cursor_execute", count)
        try:
            report(city, level="grid")
        finally:
            event.remove(city.platform.db.engine, "before_cursor_execute", count)
        return len([s for s in statements if s.lstrip().upper().startswith("SELECT")])

    at(city.platform, local(2024, 3, 3, 9, 0))
    merchant = system_account("settlement", "material", str(subject(city, "merchant", "店",
                                                                    "street")))
    first = city.resident("一")
    moral(city, first.id, "1.0", "x")
    city.platform.award(city.id, first.id, Points.of("material", 5), idempotency_key="m:first")
    move(city, "r:first", subject_account(first.id, "material"), merchant, 5)
    move(city, "s:first", merchant, ISSUANCE, 5)
    few = queries()
    for i in range(30):
        resident = city.resident(f"居民{i}", grid=("grid-1", "grid-2")[i % 2])
        moral(city, resident.id, "1.0", "x")
        city.platform.award(city.id, resident.id, Points.of("material", 5),
                            idempotency_key=f"m:{i}")
    assert queries() == few <= 6
    assert report(city).total.residents_with_moral_points == 31


# --- the command -------------------------------------------------------------------------

def jifen(*args: str, url: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "JIFEN_DATABASE_URL": url, "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "jifen", *args], cwd=cwd, text=True,
                          capture_output=True, env=env, check=False)


def test_jf_stat_1_the_stats_command_prints_a_table_and_json(
        city: TenantFixture, database_url: str, tmp_path: Path) -> None:
    march_scenario(city)
    code = city.tenant.code
    table = jifen("stats", "--tenant", code, "--from", "2024-03-01", "--to", "2024-04-01",
                  url=database_url, cwd=tmp_path)
    assert table.returncode == 0, table.stderr
    lines = {line.split("│")[1].strip(): [cell.strip() for cell in line.split("│")[2:-1]]
             for line in table.stdout.splitlines() if line.startswith("│")}
    assert lines["community"] == ["community", "2", "26.6", "2.0", "1000", "400", "0", "0"]
    assert lines["community-3"] == ["community-3 名", "0", "0.0", "0.0", "0", "0", "0", "0"]
    assert lines[code] == [city.tenant.name, "2", "36.6", "2.0", "2200", "400", "500", "400"]

    as_json = jifen("stats", "--tenant", code, "--from", "2024-03-01", "--to", "2024-04-01",
                    "--level", "grid", "--json", url=database_url, cwd=tmp_path)
    assert as_json.returncode == 0, as_json.stderr
    data = json.loads(as_json.stdout)
    assert StatsReport.model_validate(data) == report(city, level="grid")
    assert data["total"]["moral_awarded"] == 366 and data["period"]["end"] == "2024-04-01"


def test_jf_stat_1_the_stats_command_reports_bad_input_with_its_code(
        city: TenantFixture, database_url: str, tmp_path: Path) -> None:
    code = city.tenant.code
    cases = {
        ("--tenant", code, "--level", "village"): "error[input.invalid]: unknown level 'village'",
        ("--tenant", code, "--from", "2024-03-01", "--to", "2024-03-01"):
            "error[input.invalid]: the period is empty",
        ("--tenant", code, "--from", "1 March"): "error[input.invalid]: --from '1 March'",
        ("--tenant", "nowhere"): "error[not_found]: no tenant 'nowhere'",
    }
    for args, message in cases.items():
        result = jifen("stats", *args, url=database_url, cwd=tmp_path)
        assert result.returncode == 2, (args, result.stdout)
        assert result.stderr.startswith(message), result.stderr
