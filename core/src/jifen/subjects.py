"""Subjects and households (JF-SUB-*). Secrets are stored hashed and encrypted, never in clear."""

from __future__ import annotations

import secrets
import uuid

from sqlalchemy import Connection, insert, select

from jifen.clock import Clock
from jifen.errors import Conflict, InvalidInput, NotFound
from jifen.keys import TenantKeys
from jifen.model import HouseholdLink, LinkRole, Subject, SubjectCreate, new_id
from jifen.registry import Registry
from jifen.store import tables as t
from jifen.tenants import get_org_unit

_CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I


def _public_code() -> str:
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(10))


def create_subject(conn: Connection, clock: Clock, registry: Registry, keys: TenantKeys,
                   tenant_id: uuid.UUID, request: SubjectCreate) -> Subject:
    subject_type = registry.subject_types.get(request.type)
    if subject_type is None:
        raise InvalidInput(f"unknown subject type {request.type!r}", type=request.type)
    unit = get_org_unit(conn, tenant_id, request.org_unit_code)
    if subject_type.needs_grid and unit.level != "grid":
        raise InvalidInput(
            f"a {request.type} belongs to a grid, not to the {unit.level} {unit.code!r} (JF-ORG-2)",
            org_unit=unit.code)
    values: dict[str, object] = {}
    for field in ("national_id", "phone"):
        secret = getattr(request, field)
        if secret is not None:
            clear = secret.get_secret_value()
            values[f"{field}_hash"] = keys.lookup_hash(field, clear)
            values[f"{field}_enc"] = keys.encrypt(field, clear)
    if "national_id_hash" in values and conn.execute(select(t.subjects.c.id).where(
            t.subjects.c.tenant_id == tenant_id,
            t.subjects.c.national_id_hash == values["national_id_hash"])).first():
        raise Conflict("a subject with this national ID exists already")
    subject = Subject(tenant_id=tenant_id, id=new_id(), type=request.type, name=request.name,
                      org_unit_id=unit.id, code=_public_code(), created_at=clock.now())
    conn.execute(insert(t.subjects).values(
        **subject.model_dump(), external_ref=request.external_ref, **values))
    return subject


def get_subject(conn: Connection, tenant_id: uuid.UUID, subject_id: uuid.UUID) -> Subject:
    row = conn.execute(select(*_SUBJECT_COLUMNS).where(
        t.subjects.c.tenant_id == tenant_id, t.subjects.c.id == subject_id)).mappings().first()
    if row is None:
        raise NotFound("no such subject in this tenant", subject=str(subject_id))
    return Subject.model_validate(dict(row))


def find_by_external_ref(conn: Connection, tenant_id: uuid.UUID, ref: str) -> Subject | None:
    """The subject an outside system (or the demo) knows by ``ref``, if any."""
    row = conn.execute(select(*_SUBJECT_COLUMNS).where(
        t.subjects.c.tenant_id == tenant_id, t.subjects.c.external_ref == ref)).mappings().first()
    return Subject.model_validate(dict(row)) if row else None


def find_by_code(conn: Connection, tenant_id: uuid.UUID, code: str) -> Subject:
    """The subject with this public code (一户一码 and its kin, JF-SUB-4)."""
    row = conn.execute(select(*_SUBJECT_COLUMNS).where(
        t.subjects.c.tenant_id == tenant_id, t.subjects.c.code == code)).mappings().first()
    if row is None:
        raise NotFound(f"no subject with code {code!r} in this tenant", code=code)
    return Subject.model_validate(dict(row))


def find_by_national_id(conn: Connection, keys: TenantKeys, tenant_id: uuid.UUID,
                        national_id: str) -> Subject | None:
    row = conn.execute(select(*_SUBJECT_COLUMNS).where(
        t.subjects.c.tenant_id == tenant_id,
        t.subjects.c.national_id_hash == keys.lookup_hash("national_id", national_id),
    )).mappings().first()
    return Subject.model_validate(dict(row)) if row else None


def reveal(conn: Connection, keys: TenantKeys, tenant_id: uuid.UUID, subject_id: uuid.UUID,
           field: str) -> str | None:
    """Decrypt a subject's national ID or phone (for an authorised operator only)."""
    if field not in ("national_id", "phone"):
        raise InvalidInput(f"{field!r} is not a protected field")
    blob = conn.execute(select(t.subjects.c[f"{field}_enc"]).where(
        t.subjects.c.tenant_id == tenant_id, t.subjects.c.id == subject_id)).scalar_one_or_none()
    return keys.decrypt(field, blob) if blob is not None else None


def link_household(conn: Connection, tenant_id: uuid.UUID, household_id: uuid.UUID,
                   member_id: uuid.UUID, role: LinkRole) -> HouseholdLink:
    """Link a resident to a household as guardian, child or member (JF-SUB-2)."""
    household = get_subject(conn, tenant_id, household_id)
    member = get_subject(conn, tenant_id, member_id)
    if household.type != "household" or member.type != "resident":
        raise InvalidInput("a household link joins a resident to a household")
    link = HouseholdLink(household_id=household_id, member_id=member_id, role=role)
    conn.execute(insert(t.household_links).values(tenant_id=tenant_id, **link.model_dump()))
    return link


def household_members(conn: Connection, tenant_id: uuid.UUID,
                      household_id: uuid.UUID) -> list[HouseholdLink]:
    rows = conn.execute(select(t.household_links).where(
        t.household_links.c.tenant_id == tenant_id,
        t.household_links.c.household_id == household_id)).mappings()
    return [HouseholdLink.model_validate(dict(r)) for r in rows]


_SUBJECT_COLUMNS = (t.subjects.c.tenant_id, t.subjects.c.id, t.subjects.c.type, t.subjects.c.name,
                    t.subjects.c.org_unit_id, t.subjects.c.code, t.subjects.c.created_at)
