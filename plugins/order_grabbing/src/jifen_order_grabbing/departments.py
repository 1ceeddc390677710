"""Departments: their remit (the problem categories they cover) and their staff's shares.

A department is a core subject of type ``department``. Its remit decides which orders it sees
and may grab (JF-ORD-2); its staff, with a share in percent each, receive their part of a
verified order's reward (JF-ORD-3, optional). Both live in the plugin's own tables.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime

from sqlalchemy import Connection, bindparam, delete, insert, select

from jifen import audit_log, subjects
from jifen.model import Subject
from jifen.store import tables as core
from jifen_order_grabbing import tables as t
from jifen_order_grabbing.errors import InvalidOrder, NotADepartment
from jifen_order_grabbing.models import CATEGORY_PATTERN, Department

DEPARTMENT = "department"


def department(conn: Connection, tenant_id: uuid.UUID, department_id: uuid.UUID) -> Subject:
    """The subject ``department_id``, refused unless it is a department (`order.not_a_department`)."""
    subject = subjects.get_subject(conn, tenant_id, department_id)
    if subject.type != DEPARTMENT:
        raise NotADepartment(f"{subject.name} is a {subject.type}, not a department",
                             subject=str(department_id))
    return subject


def set_remit(conn: Connection, tenant_id: uuid.UUID, department_id: uuid.UUID,
              categories: Iterable[str], *, at: datetime, actor: str) -> tuple[str, ...]:
    """Replace the department's remit with ``categories``; audited (JF-DUE-5)."""
    wanted = tuple(sorted(set(categories)))
    bad = [c for c in wanted if not re.match(CATEGORY_PATTERN, c)]
    if bad:
        raise InvalidOrder(f"not a problem category: {', '.join(bad)} (lower case, digits, "
                           "._-)", categories=bad)
    department(conn, tenant_id, department_id)
    r = t.department_remits
    conn.execute(delete(r).where(r.c.tenant_id == tenant_id, r.c.department_id == department_id))
    if wanted:
        conn.execute(insert(r), [{"tenant_id": tenant_id, "department_id": department_id,
                                  "category": c} for c in wanted])
    audit_log.record(conn, tenant_id, at, None, "order.remit_set", "department",
                     department_id, "", {"categories": ",".join(wanted)}, actor=actor)
    return wanted


def set_staff(conn: Connection, tenant_id: uuid.UUID, department_id: uuid.UUID,
              shares: Mapping[uuid.UUID, int], *, at: datetime, actor: str) -> dict[uuid.UUID, int]:
    """Replace the department's staff and their shares (percent, together at most 100)."""
    _check_shares(shares)
    department(conn, tenant_id, department_id)
    for subject_id in shares:
        subjects.get_subject(conn, tenant_id, subject_id)
    s = t.department_staff
    conn.execute(delete(s).where(s.c.tenant_id == tenant_id, s.c.department_id == department_id))
    if shares:
        conn.execute(insert(s), [{"tenant_id": tenant_id, "department_id": department_id,
                                  "subject_id": k, "share_percent": v} for k, v in shares.items()])
    audit_log.record(conn, tenant_id, at, None, "order.staff_set", "department",
                     department_id, "", {str(k): str(v) for k, v in shares.items()}, actor=actor)
    return dict(shares)


def _check_shares(shares: Mapping[uuid.UUID, int]) -> None:
    if any(not 0 < share <= 100 for share in shares.values()):
        raise InvalidOrder("a staff share is a whole percentage between 1 and 100")
    if sum(shares.values()) > 100:
        raise InvalidOrder(f"staff shares add up to {sum(shares.values())}%, more than 100%")


_COVERS = select(t.department_remits.c.category).where(
    t.department_remits.c.tenant_id == bindparam("tenant_id"),
    t.department_remits.c.department_id == bindparam("department_id"),
    t.department_remits.c.category == bindparam("category"))
_TYPE = select(core.subjects.c.type).where(core.subjects.c.tenant_id == bindparam("tenant_id"),
                                           core.subjects.c.id == bindparam("subject_id"))


def covers(conn: Connection, tenant_id: uuid.UUID, department_id: uuid.UUID,
           category: str) -> bool:
    """Whether ``department_id`` is a department whose remit covers ``category``
    (`not_found`, `order.not_a_department`)."""
    kind = conn.execute(_TYPE, {"tenant_id": tenant_id, "subject_id": department_id}).scalar()
    if kind != DEPARTMENT:
        department(conn, tenant_id, department_id)  # raises the right error
    return conn.execute(_COVERS, {"tenant_id": tenant_id, "department_id": department_id,
                                  "category": category}).first() is not None


def remit(conn: Connection, tenant_id: uuid.UUID, department_id: uuid.UUID) -> tuple[str, ...]:
    """The problem categories the department covers, sorted."""
    r = t.department_remits
    return tuple(conn.execute(select(r.c.category).where(
        r.c.tenant_id == tenant_id, r.c.department_id == department_id)
        .order_by(r.c.category)).scalars())


def staff(conn: Connection, tenant_id: uuid.UUID, department_id: uuid.UUID) -> dict[uuid.UUID, int]:
    """The department's staff and their shares in percent."""
    s = t.department_staff
    return {row.subject_id: int(row.share_percent) for row in conn.execute(
        select(s.c.subject_id, s.c.share_percent).where(
            s.c.tenant_id == tenant_id, s.c.department_id == department_id)
        .order_by(s.c.subject_id))}


def departments(conn: Connection, tenant_id: uuid.UUID) -> list[Department]:
    """Every department subject of the tenant with its remit and staff, by name."""
    rows = conn.execute(select(core.subjects.c.id, core.subjects.c.name, core.subjects.c.code)
                        .where(core.subjects.c.tenant_id == tenant_id,
                               core.subjects.c.type == DEPARTMENT)
                        .order_by(core.subjects.c.name, core.subjects.c.id))
    return [Department(id=row.id, name=row.name, code=row.code,
                       categories=remit(conn, tenant_id, row.id),
                       staff=staff(conn, tenant_id, row.id)) for row in rows]


def split(reward: int, shares: Mapping[uuid.UUID, int]) -> dict[uuid.UUID, int]:
    """Each staff member's whole points of ``reward`` (rounded down); the department keeps
    the rest, so the parts always add up to ``reward`` exactly (JF-ORD-3)."""
    return {subject_id: reward * share // 100 for subject_id, share in sorted(shares.items())}
