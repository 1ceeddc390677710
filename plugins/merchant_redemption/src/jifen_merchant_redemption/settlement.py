"""Settlement runs per pool and merchant, and the redemption report (JF-FUND-2).

A run takes every unsettled redemption up to ``until`` (net of its refunds), groups the points by
(merchant, pool), posts them out of the merchant's settlement account into the pool's settled
account ``settled:material:<pool>``, records what each pool owes each merchant in fen, and marks
the redemptions settled — in one database transaction. A second run finds nothing new.

Fen owed: the exact value of ``points`` is ``points × 100 / rate`` fen. Whole fen are owed,
rounded down, and the fraction of a fen left over is carried into the next run for the same pool
and merchant: each run owes ``floor(exact running total) − fen owed before``, so what a pool has
paid a merchant is never more than the exact value and never a whole fen less. At the default
rate (100 points per yuan) every amount is exact and nothing is carried.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import datetime
from fractions import Fraction
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from jifen import audit_log
from jifen.ledger import Poster, system_account
from jifen.model import Leg, TransactionRequest, new_id

from . import tables as mt
from .models import ReportLine, SettlementLine, SettlementReport
from .redemption import KIND, settlement_account

Group = tuple[uuid.UUID, str, int]  # merchant, pool, rate


def settled_account(pool: str) -> str:
    """Where a pool's settled points go: ``settled:material:<pool>``."""
    return system_account("settled", KIND, pool)


def settle_in(conn: Connection, post: Poster, tenant_id: uuid.UUID, until: datetime,
              now: datetime) -> SettlementReport:
    """The work of one settlement run; see the module docstring."""
    ids = _lock_unsettled(conn, tenant_id, until)
    if not ids:
        return SettlementReport(run_id=None, until=until, redemptions=0, lines=[])
    groups = _net_points(conn, tenant_id, ids)
    run_id = new_id()
    conn.execute(insert(mt.settlement_runs).values(
        tenant_id=tenant_id, id=run_id, until=until, redemptions=len(ids), created_at=now))
    tx_ids = _post(post, run_id, groups)
    lines = _lines(conn, tenant_id, groups)
    if lines:
        conn.execute(insert(mt.settlements), [
            {"tenant_id": tenant_id, "id": new_id(), "run_id": run_id, "created_at": now,
             "transaction_id": tx_ids[line.merchant_id], **line.model_dump()} for line in lines])
    for start in range(0, len(ids), 500):
        conn.execute(update(mt.redemptions).where(
            mt.redemptions.c.tenant_id == tenant_id,
            mt.redemptions.c.id.in_(ids[start:start + 500]))
            .values(settled_at=now, settlement_run_id=run_id))
    audit_log.record(conn, tenant_id, now, None, "redemption.settlement_run", "settlement_run",
                     run_id, "", {"redemptions": str(len(ids)),
                                  "points": str(sum(line.points for line in lines)),
                                  "fen_owed": str(sum(line.fen_owed for line in lines))},
                     actor="system:merchant-redemption-settle")
    return SettlementReport(run_id=run_id, until=until, redemptions=len(ids), lines=lines)


def _lock_unsettled(conn: Connection, tenant_id: uuid.UUID, until: datetime) -> list[uuid.UUID]:
    query = (select(mt.redemptions.c.id).where(
        mt.redemptions.c.tenant_id == tenant_id, mt.redemptions.c.settled_at.is_(None),
        mt.redemptions.c.created_at <= until).order_by(mt.redemptions.c.id))
    if conn.dialect.name != "sqlite":  # SQLite serialises writers already
        query = query.with_for_update()
    return list(conn.execute(query).scalars())


def _net_points(conn: Connection, tenant_id: uuid.UUID, ids: list[uuid.UUID]) -> dict[Group, int]:
    """Points not refunded, per (merchant, pool, rate), of the redemptions ``ids``."""
    r, p = mt.redemptions, mt.redemption_pools
    groups: dict[Group, int] = defaultdict(int)
    for start in range(0, len(ids), 500):
        rows = conn.execute(
            select(r.c.merchant_id, p.c.pool, r.c.rate,
                   func.sum(p.c.points - p.c.refunded_points))
            .join(p, (p.c.tenant_id == r.c.tenant_id) & (p.c.redemption_id == r.c.id))
            .where(r.c.tenant_id == tenant_id, r.c.id.in_(ids[start:start + 500]))
            .group_by(r.c.merchant_id, p.c.pool, r.c.rate))
        for merchant, pool, rate, points in rows:
            groups[(merchant, pool, int(rate))] += int(points or 0)
    return {group: points for group, points in sorted(groups.items(), key=_order) if points}


def _order(item: tuple[Group, int]) -> tuple[str, str, int]:
    (merchant, pool, rate), _ = item
    return str(merchant), pool, rate


def _post(post: Poster, run_id: uuid.UUID, groups: dict[Group, int]) -> dict[uuid.UUID, uuid.UUID]:
    """One ledger transaction per merchant: its settlement account → each pool's settled account."""
    by_merchant: dict[uuid.UUID, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for (merchant, pool, _rate), points in groups.items():
        by_merchant[merchant][pool] += points
    requests = [TransactionRequest(
        idempotency_key=f"settlement:{run_id}:{merchant}",
        legs=(Leg(account=settlement_account(merchant), amount=-sum(pools.values())),
              *(Leg(account=settled_account(pool), amount=points)
                for pool, points in sorted(pools.items()))),
        memo="settlement run", metadata={"run": str(run_id), "merchant": str(merchant),
                                         "plugin": "merchant_redemption"})
        for merchant, pools in by_merchant.items()]
    views = post(requests) if requests else []
    return {uuid.UUID(view.metadata["merchant"]): view.id for view in views}


def _lines(conn: Connection, tenant_id: uuid.UUID, groups: dict[Group, int]) -> list[SettlementLine]:
    """Fen owed per group, carrying fractions of a fen per (pool, merchant) across runs."""
    exact, paid = _history(conn, tenant_id)
    lines = []
    for (merchant, pool, rate), points in groups.items():
        key = (merchant, pool)
        exact[key] += Fraction(points * 100, rate)
        owed = exact[key].numerator // exact[key].denominator - paid[key]
        paid[key] += owed
        lines.append(SettlementLine(pool=pool, merchant_id=merchant, rate=rate, points=points,
                                    fen_owed=owed))
    return lines


def _history(conn: Connection, tenant_id: uuid.UUID
             ) -> tuple[dict[tuple[uuid.UUID, str], Fraction], dict[tuple[uuid.UUID, str], int]]:
    """Per (merchant, pool): the exact value settled so far and the whole fen owed for it."""
    s = mt.settlements
    exact: dict[tuple[uuid.UUID, str], Fraction] = defaultdict(Fraction)
    paid: dict[tuple[uuid.UUID, str], int] = defaultdict(int)
    rows = conn.execute(select(s.c.merchant_id, s.c.pool, s.c.rate, func.sum(s.c.points),
                               func.sum(s.c.fen_owed))
                        .where(s.c.tenant_id == tenant_id)
                        .group_by(s.c.merchant_id, s.c.pool, s.c.rate))
    for merchant, pool, rate, points, fen in rows:
        exact[(merchant, pool)] += Fraction(int(points) * 100, int(rate))
        paid[(merchant, pool)] += int(fen)
    return exact, paid


# --- the report --------------------------------------------------------------------------------

def report(conn: Connection, tenant_id: uuid.UUID,
           names: dict[uuid.UUID, tuple[str, str]]) -> list[ReportLine]:
    """Redeemed, refunded and settled points and fen per pool and merchant (``names``: merchant id
    → (code, name))."""
    totals: dict[tuple[str, uuid.UUID], dict[str, Any]] = defaultdict(lambda: {
        "redeemed": Fraction(), "refunded": Fraction(), "redeemed_points": 0,
        "refunded_points": 0, "settled_points": 0, "settled_fen": 0})
    r, p, s = mt.redemptions, mt.redemption_pools, mt.settlements
    for merchant, pool, rate, points, refunded in conn.execute(
            select(r.c.merchant_id, p.c.pool, r.c.rate, func.sum(p.c.points),
                   func.sum(p.c.refunded_points))
            .join(p, (p.c.tenant_id == r.c.tenant_id) & (p.c.redemption_id == r.c.id))
            .where(r.c.tenant_id == tenant_id).group_by(r.c.merchant_id, p.c.pool, r.c.rate)):
        line = totals[(pool, merchant)]
        line["redeemed_points"] += int(points)
        line["refunded_points"] += int(refunded)
        line["redeemed"] += Fraction(int(points) * 100, int(rate))
        line["refunded"] += Fraction(int(refunded) * 100, int(rate))
    for merchant, pool, points, fen in conn.execute(
            select(s.c.merchant_id, s.c.pool, func.sum(s.c.points), func.sum(s.c.fen_owed))
            .where(s.c.tenant_id == tenant_id).group_by(s.c.merchant_id, s.c.pool)):
        totals[(pool, merchant)]["settled_points"] += int(points)
        totals[(pool, merchant)]["settled_fen"] += int(fen)
    return [_report_line(pool, merchant, names.get(merchant, ("?", "?")), values)
            for (pool, merchant), values in sorted(totals.items(), key=lambda i: (i[0][0], str(i[0][1])))]


def _report_line(pool: str, merchant: uuid.UUID, name: tuple[str, str],
                 values: dict[str, Any]) -> ReportLine:
    return ReportLine(
        pool=pool, merchant_id=merchant, merchant_code=name[0], merchant_name=name[1],
        redeemed_points=values["redeemed_points"], refunded_points=values["refunded_points"],
        settled_points=values["settled_points"], settled_fen=values["settled_fen"],
        redeemed_fen=int(values["redeemed"]), refunded_fen=int(values["refunded"]))
