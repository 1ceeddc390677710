"""Tenants and their org tree (JF-ORG-1, JF-ORG-2)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Connection, insert, select

from jifen.clock import Clock
from jifen.errors import Conflict, NotFound, OrgTreeError
from jifen.model import LEVELS, OrgUnit, OrgUnitCreate, Tenant, TenantCreate, new_id
from jifen.store import tables as t


def create_tenant(conn: Connection, clock: Clock, request: TenantCreate) -> Tenant:
    """Create a tenant and the head of its hash chain."""
    if conn.execute(select(t.tenants.c.id).where(t.tenants.c.code == request.code)).first():
        raise Conflict(f"tenant {request.code!r} exists already", tenant=request.code)
    tenant = Tenant(id=new_id(), created_at=clock.now(), **request.model_dump())
    conn.execute(insert(t.tenants).values(**tenant.model_dump()))
    conn.execute(insert(t.chain_heads).values(tenant_id=tenant.id, seq=0, hash="0" * 64))
    return tenant


def get_tenant(conn: Connection, code: str) -> Tenant:
    row = conn.execute(select(t.tenants).where(t.tenants.c.code == code)).mappings().first()
    if row is None:
        raise NotFound(f"no tenant {code!r}", tenant=code)
    return Tenant.model_validate(dict(row))


def get_tenant_by_id(conn: Connection, tenant_id: uuid.UUID) -> Tenant:
    row = conn.execute(select(t.tenants).where(t.tenants.c.id == tenant_id)).mappings().first()
    if row is None:
        raise NotFound("no such tenant", tenant=str(tenant_id))
    return Tenant.model_validate(dict(row))


def add_org_unit(conn: Connection, tenant_id: uuid.UUID, request: OrgUnitCreate) -> OrgUnit:
    """Add a node to the tree. A root may be any level; a child is exactly one level below its
    parent, so the tree reads city → district → street → community → grid (JF-ORG-2)."""
    if _unit_row(conn, tenant_id, request.code) is not None:
        raise Conflict(f"org unit {request.code!r} exists already", org_unit=request.code)
    parent_id: uuid.UUID | None = None
    unit_id = new_id()
    path = str(unit_id)
    if request.parent_code is not None:
        parent = get_org_unit(conn, tenant_id, request.parent_code)
        expected = LEVELS[LEVELS.index(parent.level) + 1] if parent.level != "grid" else None
        if request.level != expected:
            raise OrgTreeError(
                f"a {request.level} cannot sit under the {parent.level} {parent.code!r}; "
                f"expected {expected or 'nothing (a grid is a leaf)'}",
                org_unit=request.code, parent=parent.code)
        parent_id, path = parent.id, f"{parent.path}/{unit_id}"
    unit = OrgUnit(tenant_id=tenant_id, id=unit_id, code=request.code, name=request.name,
                   level=request.level, parent_id=parent_id, path=path)
    conn.execute(insert(t.org_units).values(**unit.model_dump()))
    return unit


def get_org_unit(conn: Connection, tenant_id: uuid.UUID, code: str) -> OrgUnit:
    row = _unit_row(conn, tenant_id, code)
    if row is None:
        raise NotFound(f"no org unit {code!r} in this tenant", org_unit=code)
    return OrgUnit.model_validate(row)


def _unit_row(conn: Connection, tenant_id: uuid.UUID, code: str) -> dict[str, Any] | None:
    row = conn.execute(select(t.org_units).where(
        t.org_units.c.tenant_id == tenant_id, t.org_units.c.code == code)).mappings().first()
    return dict(row) if row else None


def path_codes(conn: Connection, tenant_id: uuid.UUID, path: str) -> list[str]:
    """The codes of the units on a materialised path, from the root down."""
    ids = [uuid.UUID(part) for part in path.split("/")]
    codes = dict(conn.execute(select(t.org_units.c.id, t.org_units.c.code).where(
        t.org_units.c.tenant_id == tenant_id, t.org_units.c.id.in_(ids))).all())
    return [codes[i] for i in ids]


def unit_path(conn: Connection, tenant_id: uuid.UUID, org_unit_id: uuid.UUID) -> str:
    path = conn.execute(select(t.org_units.c.path).where(
        t.org_units.c.tenant_id == tenant_id, t.org_units.c.id == org_unit_id)).scalar()
    if path is None:
        raise NotFound("no such org unit in this tenant", org_unit=str(org_unit_id))
    return str(path)


def list_tenants(conn: Connection) -> list[Tenant]:
    """Every tenant, by code (the scheduler runs its jobs for each)."""
    rows = conn.execute(select(t.tenants).order_by(t.tenants.c.code)).mappings()
    return [Tenant.model_validate(dict(r)) for r in rows]


def org_units(conn: Connection, tenant_id: uuid.UUID) -> list[OrgUnit]:
    """The tenant's org tree, parents before children (by materialised path)."""
    rows = conn.execute(select(t.org_units).where(t.org_units.c.tenant_id == tenant_id)
                        .order_by(t.org_units.c.path)).mappings()
    return [OrgUnit.model_validate(dict(r)) for r in rows]
