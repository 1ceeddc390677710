"""Roles scoped by the org tree (JF-PRIV-1): a role held at a unit covers the unit and everything
below it. The core checks ``reviewer`` (review claims, publish notices, decide objections and
appeals); other roles are recorded for the interfaces that check them.
"""

from __future__ import annotations

import uuid

from sqlalchemy import Connection, insert, select

from jifen import tenants
from jifen.errors import Conflict, Forbidden
from jifen.model import LEVELS
from jifen.store import tables as t

REVIEWER = "reviewer"


def grant(conn: Connection, tenant_id: uuid.UUID, subject_id: uuid.UUID, role: str,
          org_code: str) -> None:
    """Give ``subject_id`` the ``role`` at the unit ``org_code`` (and so below it)."""
    unit = tenants.get_org_unit(conn, tenant_id, org_code)
    if conn.execute(select(t.roles.c.role).where(
            t.roles.c.tenant_id == tenant_id, t.roles.c.subject_id == subject_id,
            t.roles.c.role == role, t.roles.c.org_unit_id == unit.id)).first():
        raise Conflict(f"the subject holds {role} at {org_code} already")
    conn.execute(insert(t.roles).values(tenant_id=tenant_id, subject_id=subject_id, role=role,
                                        org_unit_id=unit.id))


def require(conn: Connection, tenant_id: uuid.UUID, actor: uuid.UUID, role: str,
            unit_path: str, *, at_level_or_above: str = "grid") -> None:
    """Refuse unless ``actor`` holds ``role`` at a unit on ``unit_path`` (the materialised path
    of the unit acted on) whose level is ``at_level_or_above`` or nearer the city."""
    ancestors = [uuid.UUID(part) for part in unit_path.split("/")]
    allowed = LEVELS[:LEVELS.index(at_level_or_above) + 1]
    held = conn.execute(
        select(t.org_units.c.code)
        .join(t.roles, (t.roles.c.tenant_id == t.org_units.c.tenant_id)
              & (t.roles.c.org_unit_id == t.org_units.c.id))
        .where(t.roles.c.tenant_id == tenant_id, t.roles.c.subject_id == actor,
               t.roles.c.role == role, t.org_units.c.id.in_(ancestors),
               t.org_units.c.level.in_(allowed))).first()
    if held is None:
        raise Forbidden(f"the actor holds no {role} role at the {at_level_or_above} level or "
                        "above covering this subject (JF-PRIV-1)", role=role)
