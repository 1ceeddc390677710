"""Bulk writes for hot paths: many rows in few round trips, exactly as SQLAlchemy Core would
write them (each value through its column type's bind processor), without per-row overhead."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import BigInteger, Connection, Uuid, bindparam, update, values
from sqlalchemy import column as sa_column
from sqlalchemy.types import TypeEngine


def insert_many(conn: Connection, table: Any, rows: list[dict[str, Any]]) -> None:
    """Insert rows with the driver's ``executemany`` (every row has the same keys)."""
    if not rows:
        return
    columns = [c for c in table.columns if c.name in rows[0]]
    dialect = conn.dialect
    processors = [c.type._cached_bind_processor(dialect) for c in columns]
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    sql = (f"INSERT INTO {table.name} ({', '.join(c.name for c in columns)}) "
           f"VALUES ({', '.join(mark for _ in columns)})")
    names = [c.name for c in columns]
    conn.exec_driver_sql(sql, [
        tuple(proc(row[name]) if proc else row[name]
              for name, proc in zip(names, processors, strict=True))
        for row in rows])


def set_many(conn: Connection, table: Any, tenant_id: uuid.UUID, column: str,
             rows: list[tuple[uuid.UUID, Any]], *, value_type: TypeEngine[Any] | None = None,
             **constants: Any) -> None:
    """Set ``column`` of many rows (by id, in one tenant) to each row's own value, and the
    ``constants`` columns to the same value everywhere: on PostgreSQL one
    ``UPDATE … FROM (VALUES …)`` per 1000 rows; on SQLite (no column aliases for VALUES) an
    executemany."""
    if not rows:
        return
    if conn.dialect.name == "sqlite":
        conn.execute(update(table).where(table.c.tenant_id == tenant_id,
                                         table.c.id == bindparam("row_id"))
                     .values({column: bindparam("new_value"), **constants}),
                     [{"row_id": row_id, "new_value": value} for row_id, value in rows])
        return
    for start in range(0, len(rows), 1000):
        data = values(sa_column("id", Uuid), sa_column("value", value_type or BigInteger()),
                      name="new_values").data(rows[start:start + 1000])
        conn.execute(update(table).where(table.c.tenant_id == tenant_id, table.c.id == data.c.id)
                     .values({column: data.c.value, **constants}))
