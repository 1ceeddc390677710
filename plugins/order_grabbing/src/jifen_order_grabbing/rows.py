"""Reading and writing order rows (inside a caller's transaction)."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Connection, RowMapping, Select, and_, select, update

from jifen.errors import NotFound
from jifen.store import tables as core
from jifen_order_grabbing import tables as t
from jifen_order_grabbing.errors import InvalidTransition
from jifen_order_grabbing.models import Order, OrderState

o = t.problem_orders
_community = core.org_units.alias("community_unit")
_grid = core.org_units.alias("grid_unit")


def digest(value: Any) -> str:
    """A request's fingerprint, to tell a retry from another request with the same key."""
    return hashlib.sha256(json.dumps(value, sort_keys=True, ensure_ascii=False,
                                     default=str).encode()).hexdigest()


def orders_query(tenant_id: uuid.UUID, *where: ColumnElement[bool]) -> Select[Any]:
    """Orders with the codes of their community and grid."""
    return (select(o, _community.c.code.label("community"), _grid.c.code.label("grid"))
            .join(_community, and_(_community.c.tenant_id == o.c.tenant_id,
                                   _community.c.id == o.c.community_id))
            .join(_grid, and_(_grid.c.tenant_id == o.c.tenant_id, _grid.c.id == o.c.grid_id))
            .where(o.c.tenant_id == tenant_id, *where)
            .order_by(o.c.deadline, o.c.posted_at, o.c.id))


def order(row: RowMapping) -> Order:
    """An order from its row (as selected by :func:`orders_query`)."""
    return Order.model_validate({name: row[name] for name in Order.model_fields})


def find(conn: Connection, tenant_id: uuid.UUID, *where: ColumnElement[bool]) -> list[Order]:
    return [order(row) for row in conn.execute(orders_query(tenant_id, *where)).mappings()]


def get(conn: Connection, tenant_id: uuid.UUID, order_id: uuid.UUID, *,
        lock: bool = False) -> Order:
    """The order, or `not_found`; ``lock`` holds its row for this transaction (PostgreSQL;
    SQLite serialises writers already)."""
    if lock and conn.dialect.name != "sqlite":
        conn.execute(select(o.c.id).where(o.c.tenant_id == tenant_id, o.c.id == order_id)
                     .with_for_update()).first()
    found = find(conn, tenant_id, o.c.id == order_id)
    if not found:
        raise NotFound("no such order in this tenant", order=str(order_id))
    return found[0]


def expect(found: Order, *states: OrderState) -> Order:
    """Refuse unless the order is in one of ``states`` (`order.invalid_transition`)."""
    if found.state not in states:
        raise InvalidTransition(f"the order is {found.state}; this step needs "
                                f"{' or '.join(states)}", state=found.state)
    return found


def set_values(conn: Connection, tenant_id: uuid.UUID, order_id: uuid.UUID,
               **values: Any) -> None:
    conn.execute(update(o).where(o.c.tenant_id == tenant_id, o.c.id == order_id)
                 .values(**values))


def by_key(conn: Connection, tenant_id: uuid.UUID, key: str) -> RowMapping | None:
    return conn.execute(select(o.c.id, o.c.request_hash).where(
        o.c.tenant_id == tenant_id, o.c.idempotency_key == key)).mappings().first()


def states(*values: OrderState) -> Sequence[str]:
    return [v.value for v in values]
