"""Statistics per org unit and period (JF-STAT-1).

:func:`totals` answers, for one tenant, a period and a level of the org tree, one row per org
unit at that level and a total row for the tenant. Every figure is an integer in minor units
(moral points in tenths, material points in whole points); there are no floats.

**Period.** ``[start, end)`` of local dates in the tenant's time zone (``tenants.timezone``):
from 00:00 local time on ``start`` up to, not including, 00:00 local time on ``end``. A posting
belongs to the period of its transaction's ``created_at``.

**Rows.** One row per org unit at the chosen level (every one, also those where nothing
happened). A row counts every subject whose org unit is that unit or one below it (ancestors
are prefixes of ``org_units.path``). A posting is attributed to the org unit of the subject whose
account (``subject:<id>:<kind>``) it is on. The total row counts every subject of the tenant,
including subjects attached to units above the chosen level (a district department, say), so it
can exceed the sum of the rows.

**Reversals.** A reversal (JF-LED-2) is a correction: it counts in the same column as the
transaction it reverses, with the opposite sign, in the period in which the reversal is posted.
Columns are therefore net of corrections, and a column can be negative for a period in which
more was reversed than posted.

**Columns.**

- ``moral_awarded``: the sum of the moral postings on subject accounts that credit the account
  (amount > 0) in a transaction that is not a reversal, less the debits (amount < 0) of
  reversals, i.e. less the awards reversed.
- ``moral_deducted``: the sum of the absolute amounts of the moral postings on subject accounts
  that debit the account in a transaction that is not a reversal, less the credits of
  reversals, i.e. less the deductions overturned.
- ``residents_with_moral_points``: the number of distinct subjects of type ``resident`` whose
  own ``moral_awarded`` in the period is above zero.
- ``material_issued``, ``material_redeemed``, ``material_expired``: material postings on subject
  accounts, classified by the system accounts their transaction touches: *expired* if it touches
  an ``expiry`` account, else *redeemed* if it touches a ``settlement`` account, else *issued* if
  it touches an ``issuance`` account (else none: e.g. a transfer between subjects).
  ``material_issued`` is the signed sum of those postings (credits count up, debits such as a
  reversed award count down); ``material_redeemed`` and ``material_expired`` are minus the
  signed sum (the debit of a redemption counts up, the credit of a refund counts down). For a
  set of subjects, issued − redeemed − expired is the change of their material balances in the
  period, apart from transfers between subjects.
- ``material_settled``: minus the signed sum of the material postings on ``settlement``
  accounts in transactions that touch no subject account (a settlement run takes points out of
  a settlement account, JF-FUND-2; a redemption or a refund, which touch the resident's
  account, do not count). A settlement account belongs to the tenant, not to a subject, so this
  is a tenant figure: the total row counts every settlement account. A unit row counts only
  the settlement accounts named after a subject of the tenant,
  ``settlement:material:<subject id>`` (the merchant's id), attributed to that subject's org
  unit; settlement accounts with other names (``settlement:material:noodle-shop``) count in the
  total row only.

The work is a few aggregate queries grouped in SQL (by subject's org unit, and for settlement
by account), then a roll-up over the org tree in Python; nothing is read per subject.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Connection, and_, case, func, select, tuple_

from jifen.errors import InvalidInput
from jifen.model import LEVELS
from jifen.store import tables as t
from jifen.tenants import get_tenant_by_id

COLUMNS: tuple[str, ...] = (
    "residents_with_moral_points", "moral_awarded", "moral_deducted", "material_issued",
    "material_redeemed", "material_expired", "material_settled")
"""The figures of a row, in the order they are printed."""

TOTAL_LEVEL = "tenant"
"""The ``level`` of the total row."""

_CLASS_ISSUED, _CLASS_REDEEMED, _CLASS_EXPIRED = 1, 2, 3


class Period(BaseModel):
    """``[start, end)`` of local dates in ``timezone`` (the tenant's)."""

    model_config = ConfigDict(frozen=True)

    start: date
    end: date
    timezone: str


class UnitTotals(BaseModel):
    """One row: the totals of an org unit and everything below it, in minor units."""

    model_config = ConfigDict(frozen=True)

    org_code: str
    org_name: str
    level: str
    """The unit's level, or ``tenant`` for the total row."""
    residents_with_moral_points: int = 0
    moral_awarded: int = 0
    """In tenths of a moral point."""
    moral_deducted: int = 0
    """In tenths of a moral point, as a positive number."""
    material_issued: int = 0
    material_redeemed: int = 0
    material_expired: int = 0
    material_settled: int = 0


class StatsReport(BaseModel):
    """The answer to :func:`totals`: a row per org unit at ``level`` and the tenant's total."""

    model_config = ConfigDict(frozen=True)

    tenant: str
    """The tenant's code."""
    period: Period
    level: str
    rows: list[UnitTotals]
    total: UnitTotals


def totals(conn: Connection, tenant_id: uuid.UUID, start: date, end: date,
           level: str = "community") -> StatsReport:
    """Totals per org unit at ``level`` and for the tenant, over ``[start, end)`` (JF-STAT-1).

    Args:
        conn: A database connection (a read transaction is enough).
        tenant_id: The tenant.
        start: The first local date of the period.
        end: The first local date after the period.
        level: ``city``, ``district``, ``street``, ``community`` (default) or ``grid``.

    Returns:
        The report; rows are in the order of the org tree (by path, then code).

    Raises:
        InvalidInput: ``level`` is not a level of the org tree, or ``start`` is not before ``end``.
        NotFound: no such tenant.
    """
    if level not in LEVELS:
        raise InvalidInput(f"unknown level {level!r}; expected one of {', '.join(LEVELS)}",
                           level=level)
    if start >= end:
        raise InvalidInput(f"the period is empty: from {start} is not before to {end}",
                           start=str(start), end=str(end))
    tenant = get_tenant_by_id(conn, tenant_id)
    since, until = _utc_bounds(start, end, tenant.timezone)

    units = conn.execute(select(t.org_units.c.id, t.org_units.c.code, t.org_units.c.name,
                                t.org_units.c.level, t.org_units.c.path)
                         .where(t.org_units.c.tenant_id == tenant_id)).all()
    level_of = {u.id: u.level for u in units}
    target: dict[uuid.UUID, uuid.UUID | None] = {}
    for unit in units:
        target[unit.id] = next((uuid.UUID(part) for part in unit.path.split("/")
                                if level_of.get(uuid.UUID(part)) == level), None)

    by_unit: dict[uuid.UUID, dict[str, int]] = defaultdict(lambda: dict.fromkeys(COLUMNS, 0))
    for unit_id, figures in _moral(conn, tenant_id, since, until):
        _add(by_unit[unit_id], figures)
    material, settled = _material(conn, tenant_id, since, until)
    for unit_id, figures in material.items():
        _add(by_unit[unit_id], figures)
    for unit_id, amount in _settled_by_unit(conn, tenant_id, settled).items():
        by_unit[unit_id]["material_settled"] += amount

    rolled: dict[uuid.UUID, dict[str, int]] = {
        u.id: dict.fromkeys(COLUMNS, 0) for u in units if u.level == level}
    total = dict.fromkeys(COLUMNS, 0)
    for unit_id, figures in by_unit.items():
        _add(total, figures)
        row_id = target.get(unit_id)
        if row_id is not None:
            _add(rolled[row_id], figures)
    total["material_settled"] = sum(settled.values())

    ordered = sorted((u for u in units if u.level == level), key=lambda u: (u.path, u.code))
    return StatsReport(
        tenant=tenant.code, level=level,
        period=Period(start=start, end=end, timezone=tenant.timezone),
        rows=[UnitTotals(org_code=u.code, org_name=u.name, level=u.level, **rolled[u.id])
              for u in ordered],
        total=UnitTotals(org_code=tenant.code, org_name=tenant.name, level=TOTAL_LEVEL, **total))


def _utc_bounds(start: date, end: date, timezone: str) -> tuple[datetime, datetime]:
    """Local midnight of ``start`` and of ``end`` in ``timezone``, as UTC datetimes."""
    zone = ZoneInfo(timezone)
    return (datetime.combine(start, time(0), tzinfo=zone).astimezone(UTC),
            datetime.combine(end, time(0), tzinfo=zone).astimezone(UTC))


def _add(into: dict[str, int], figures: dict[str, int]) -> None:
    for name, value in figures.items():
        into[name] += value


def _transaction_join() -> Any:
    return and_(t.transactions.c.tenant_id == t.postings.c.tenant_id,
                t.transactions.c.id == t.postings.c.transaction_id)


def _in_period(tenant_id: uuid.UUID, since: datetime, until: datetime) -> Any:
    """Postings of the tenant's transactions created in the period.

    Written as ``(tenant_id, transaction_id) IN (the period's transactions)``, not as a join
    condition on ``created_at``, so that both databases start from the period
    (``ix_transactions_created``) and fetch its postings by transaction (``ix_postings_tx``):
    a month's report reads that month, not the tenant's history, also where reading the
    postings in transaction order would spare a sort."""
    period = select(t.transactions.c.tenant_id, t.transactions.c.id).where(
        t.transactions.c.tenant_id == tenant_id, t.transactions.c.created_at >= since,
        t.transactions.c.created_at < until)
    return tuple_(t.postings.c.tenant_id, t.postings.c.transaction_id).in_(period)


def _account_join() -> Any:
    return and_(t.accounts.c.tenant_id == t.postings.c.tenant_id,
                t.accounts.c.id == t.postings.c.account_id)


def _moral(conn: Connection, tenant_id: uuid.UUID, since: datetime, until: datetime
           ) -> Iterable[tuple[uuid.UUID, dict[str, int]]]:
    """Moral awarded and deducted and residents awarded, per org unit of the subject."""
    p, a = t.postings, t.accounts
    reversal = t.transactions.c.reverses_id.is_not(None)
    awarded = case(((p.c.amount > 0) & ~reversal, p.c.amount),
                   ((p.c.amount < 0) & reversal, p.c.amount), else_=0)
    deducted = case(((p.c.amount < 0) & ~reversal, -p.c.amount),
                    ((p.c.amount > 0) & reversal, -p.c.amount), else_=0)
    per_subject = (
        select(a.c.subject_id.label("subject_id"), func.sum(awarded).label("awarded"),
               func.sum(deducted).label("deducted"))
        .select_from(p.join(t.transactions, _transaction_join()).join(a, _account_join()))
        .where(_in_period(tenant_id, since, until), p.c.kind == "moral", a.c.type == "subject")
        .group_by(a.c.subject_id).subquery())
    s = t.subjects
    resident_awarded = case(((s.c.type == "resident") & (per_subject.c.awarded > 0), 1), else_=0)
    rows = conn.execute(
        select(s.c.org_unit_id, func.sum(per_subject.c.awarded), func.sum(per_subject.c.deducted),
               func.sum(resident_awarded))
        .select_from(per_subject.join(s, and_(s.c.tenant_id == tenant_id,
                                              s.c.id == per_subject.c.subject_id)))
        .group_by(s.c.org_unit_id))
    for unit_id, awarded_sum, deducted_sum, residents in rows:
        yield unit_id, {"moral_awarded": int(awarded_sum or 0),
                        "moral_deducted": int(deducted_sum or 0),
                        "residents_with_moral_points": int(residents or 0)}


def _material(conn: Connection, tenant_id: uuid.UUID, since: datetime, until: datetime
              ) -> tuple[dict[uuid.UUID, dict[str, int]], dict[str, int]]:
    """Material issued, redeemed and expired per org unit of the subject, and material settled
    per settlement account: one pass over the period's material postings."""
    p, a, s = t.postings, t.accounts, t.subjects
    # Every posting learns, from the other postings of its transaction, the transaction's class
    # (expiry beats settlement beats issuance; 0: none of them) and whether it touches a
    # subject account.
    rank = case((a.c.type == "expiry", _CLASS_EXPIRED), (a.c.type == "settlement", _CLASS_REDEEMED),
                (a.c.type.in_(("issuance", "pool")), _CLASS_ISSUED), else_=0)
    legs = (
        select(p.c.amount, a.c.type, a.c.code, a.c.subject_id,
               func.max(rank).over(partition_by=p.c.transaction_id).label("cls"),
               func.max(case((a.c.type == "subject", 1), else_=0)).over(partition_by=p.c.transaction_id)
               .label("touches_subject"))
        .select_from(p.join(t.transactions, _transaction_join()).join(a, _account_join()))
        .where(_in_period(tenant_id, since, until), p.c.kind == "material")
        .subquery())
    subject_leg = (legs.c.type == "subject") & (legs.c.cls > 0)
    settlement_leg = (legs.c.type == "settlement") & (legs.c.touches_subject == 0)
    settlement_code = case((legs.c.type == "settlement", legs.c.code), else_=None)
    rows = conn.execute(
        select(s.c.org_unit_id, legs.c.cls, settlement_code, func.sum(legs.c.amount))
        .select_from(legs.outerjoin(s, and_(s.c.tenant_id == tenant_id,
                                            s.c.id == legs.c.subject_id)))
        .where(subject_leg | settlement_leg)
        .group_by(s.c.org_unit_id, legs.c.cls, settlement_code))
    column = {_CLASS_ISSUED: ("material_issued", 1), _CLASS_REDEEMED: ("material_redeemed", -1),
              _CLASS_EXPIRED: ("material_expired", -1)}
    by_unit: dict[uuid.UUID, dict[str, int]] = defaultdict(dict)
    settled: dict[str, int] = defaultdict(int)
    for unit_id, cls, code, amount in rows:
        if code is not None:
            settled[code] -= int(amount or 0)
        else:
            name, sign = column[int(cls)]
            by_unit[unit_id][name] = sign * int(amount or 0)
    return by_unit, settled


def _settled_by_unit(conn: Connection, tenant_id: uuid.UUID, settled: dict[str, int]
                     ) -> dict[uuid.UUID, int]:
    """Settlement per org unit, for the settlement accounts named after a subject of the tenant
    (``settlement:material:<subject id>``), attributed to that subject's org unit."""
    by_subject: dict[uuid.UUID, int] = defaultdict(int)
    for code, amount in settled.items():
        subject_id = _subject_named(code)
        if subject_id is not None:
            by_subject[subject_id] += amount
    by_unit: dict[uuid.UUID, int] = defaultdict(int)
    ids = list(by_subject)
    for offset in range(0, len(ids), 500):
        for subject_id, unit_id in conn.execute(
                select(t.subjects.c.id, t.subjects.c.org_unit_id).where(
                    t.subjects.c.tenant_id == tenant_id,
                    t.subjects.c.id.in_(ids[offset:offset + 500]))):
            by_unit[unit_id] += by_subject[subject_id]
    return by_unit


def _subject_named(code: str) -> uuid.UUID | None:
    """The subject id a ``settlement:<kind>:<name>`` account is named after, if its name is one."""
    parts = code.split(":")
    if len(parts) != 3:
        return None
    try:
        return uuid.UUID(parts[2])
    except ValueError:
        return None
