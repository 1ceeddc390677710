"""The assessment ranking (考核): department points per period (JF-ORD-3)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from rich.table import Table
from sqlalchemy import Connection, func, select

from jifen import tenants
from jifen.store import tables as core
from jifen_order_grabbing import tables as t
from jifen_order_grabbing.models import RankingRow

Totals = tuple[int, int, int]  # points, verified, lapsed


def period_bounds(conn: Connection, tenant_id: uuid.UUID, since: date,
                  until: date) -> tuple[datetime, datetime]:
    """From the start of ``since`` to the end of ``until`` in the tenant's time zone, in UTC."""
    zone = ZoneInfo(tenants.get_tenant_by_id(conn, tenant_id).timezone)
    start = datetime.combine(since, time(), zone)
    end = datetime.combine(until + timedelta(days=1), time(), zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def ranking_rows(conn: Connection, tenant_id: uuid.UUID, since: date,
                 until: date) -> list[RankingRow]:
    """Every department of the tenant, best first: most points, then most orders verified,
    then fewest lapses, then by name; equal totals share a rank."""
    start, end = period_bounds(conn, tenant_id, since, until)
    totals = _totals(conn, tenant_id, start, end)
    names = dict(conn.execute(select(core.subjects.c.id, core.subjects.c.name).where(
        core.subjects.c.tenant_id == tenant_id, core.subjects.c.type == "department")).all())
    order = sorted(names, key=lambda d: (*_sort_key(totals.get(d, (0, 0, 0))), names[d], d))
    out: list[RankingRow] = []
    for position, department_id in enumerate(order, start=1):
        points, verified, lapsed = totals.get(department_id, (0, 0, 0))
        tied = out and (out[-1].points, out[-1].verified, out[-1].lapsed) == (points, verified,
                                                                                lapsed)
        out.append(RankingRow(rank=out[-1].rank if tied else position,
                              department_id=department_id, name=names[department_id],
                              points=points, verified=verified, lapsed=lapsed))
    return out


def _sort_key(totals: Totals) -> Totals:
    points, verified, lapsed = totals
    return -points, -verified, lapsed


def _totals(conn: Connection, tenant_id: uuid.UUID, start: datetime,
            end: datetime) -> dict[uuid.UUID, Totals]:
    o, lapse = t.problem_orders, t.order_lapses
    verified = {row.department_id: (int(row.points), int(row.n)) for row in conn.execute(
        select(o.c.department_id, func.sum(o.c.reward).label("points"),
               func.count().label("n"))
        .where(o.c.tenant_id == tenant_id, o.c.state == "verified", o.c.verified_at >= start,
               o.c.verified_at < end).group_by(o.c.department_id))}
    lapsed: dict[uuid.UUID, int] = {row.department_id: int(row.n) for row in conn.execute(
        select(lapse.c.department_id, func.count().label("n"))
        .where(lapse.c.tenant_id == tenant_id, lapse.c.reopened_at >= start,
               lapse.c.reopened_at < end).group_by(lapse.c.department_id))}
    return {d: (*verified.get(d, (0, 0)), lapsed.get(d, 0))
            for d in set(verified) | set(lapsed)}


def ranking_table(found: list[RankingRow], since: date, until: date) -> Table:
    """The ranking as a rich table."""
    table = Table("#", "department", "points", "verified", "lapsed",
                  title=f"考核 department ranking {since} – {until}")
    for row in found:
        table.add_row(str(row.rank), row.name, str(row.points), str(row.verified),
                      str(row.lapsed))
    return table
