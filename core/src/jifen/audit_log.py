"""The append-only log of administrative actions (JF-DUE-5).

Every state change a person or a scheduled run makes — applying a configuration, each step of
a claim, publishing and closing notices, deciding objections and appeals — writes one entry in
the same database transaction as the change itself. The table refuses UPDATE and DELETE (a
database trigger), so the history of a claim (JF-EARN-2: actor, time, reason of every
transition) and of a notice list after it leaves public view (JF-DUE-7) stays readable.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy import Connection, select

from jifen.model import new_id
from jifen.model.claims import AuditEntry
from jifen.store import tables as t
from jifen.store.bulk import insert_many


def record(conn: Connection, tenant_id: uuid.UUID, at: datetime, actor_id: uuid.UUID | None,
           action: str, entity: str, entity_id: uuid.UUID | None, reason: str = "",
           data: Mapping[str, str] | None = None, *, actor: str | None = None) -> None:
    """Write one entry. ``actor`` labels who acted when ``actor_id`` is not a subject
    (``system:notices-close``, ``operator``)."""
    record_many(conn, tenant_id, at, actor_id, action, entity,
                [(entity_id, reason, dict(data or {}))], actor=actor)


def record_many(conn: Connection, tenant_id: uuid.UUID, at: datetime, actor_id: uuid.UUID | None,
                action: str, entity: str,
                entries: Sequence[tuple[uuid.UUID | None, str, dict[str, str]]], *,
                actor: str | None = None) -> None:
    """Write one entry per ``(entity_id, reason, data)``, all by the same actor at ``at``."""
    if not entries:
        return
    label = actor or (f"subject:{actor_id}" if actor_id else "system")
    insert_many(conn, t.audit_log, [
        {"tenant_id": tenant_id, "id": new_id(), "at": at, "actor_id": actor_id, "actor": label,
         "action": action, "entity": entity, "entity_id": entity_id, "reason": reason[:1000],
         "data": data} for entity_id, reason, data in entries])


def entries(conn: Connection, tenant_id: uuid.UUID, *, entity_id: uuid.UUID | None = None,
            action: str | None = None) -> list[AuditEntry]:
    """The log of a tenant, oldest first; optionally of one entity or one kind of action."""
    query = select(t.audit_log).where(t.audit_log.c.tenant_id == tenant_id)
    if entity_id is not None:
        query = query.where(t.audit_log.c.entity_id == entity_id)
    if action is not None:
        query = query.where(t.audit_log.c.action == action)
    rows = conn.execute(query.order_by(t.audit_log.c.id)).mappings()
    return [AuditEntry.model_validate(dict(r)) for r in rows]
