"""Bulk writes for hot paths: many rows in few round trips, exactly as SQLAlchemy Core would
write them (each value through its column type's bind processor), without per-row overhead."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import BigInteger, Connection, Uuid, bindparam, cast, func, update
from sqlalchemy import column as sa_column
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.types import TypeEngine

_UNSET: Any = object()


def insert_many(conn: Connection, table: Any, rows: list[dict[str, Any]]) -> None:
    """Insert rows with the driver's ``executemany`` (every row has the same keys)."""
    if not rows:
        return
    columns = [c for c in table.columns if c.name in rows[0]]
    dialect = conn.dialect
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    sql = (f"INSERT INTO {table.name} ({', '.join(c.name for c in columns)}) "
           f"VALUES ({', '.join(mark for _ in columns)})")
    conn.exec_driver_sql(sql, list(zip(*[
        _bind_column([row[c.name] for row in rows], c.type._cached_bind_processor(dialect))
        for c in columns], strict=True)))


def _bind_column(values: list[Any], process: Callable[[Any], Any] | None) -> list[Any]:
    """One column's values through its bind processor; a value that is the very object of the
    row before (the tenant, the batch's timestamp, …) reuses that row's result."""
    if process is None:
        return values
    result = []
    last, bound = _UNSET, None
    for value in values:
        if value is not last:
            last, bound = value, process(value)
        result.append(bound)
    return result


def set_many(conn: Connection, table: Any, tenant_id: uuid.UUID, column: str,
             rows: list[tuple[uuid.UUID, Any]], *, value_type: TypeEngine[Any] | None = None,
             **constants: Any) -> None:
    """Set ``column`` of many rows (by id, in one tenant) to each row's own value, and the
    ``constants`` columns to the same value everywhere (values through their columns' bind
    processors, as with :func:`insert_many`): on PostgreSQL one
    ``UPDATE … FROM unnest(<ids>, <values>)`` with two array parameters (one statement, compiled
    once whatever the number of rows); on SQLite (no arrays) the driver's executemany.

    ``value_type`` is the type of ``column``'s values in the PostgreSQL array (default BIGINT).
    """
    if not rows:
        return
    dialect = conn.dialect
    if dialect.name == "sqlite":
        def bind(name: str, value: Any) -> Any:
            process = table.c[name].type._cached_bind_processor(dialect)
            return process(value) if process else value

        fixed = tuple(bind(name, value) for name, value in constants.items())
        tenant = bind("tenant_id", tenant_id)
        assignments = ", ".join(f"{name} = ?" for name in (column, *constants))
        conn.exec_driver_sql(
            f"UPDATE {table.name} SET {assignments} WHERE tenant_id = ? AND id = ?",
            list(zip(_bind_column([value for _, value in rows],
                                  table.c[column].type._cached_bind_processor(dialect)),
                     *([[value] * len(rows) for value in fixed]),
                     [tenant] * len(rows),
                     _bind_column([row_id for row_id, _ in rows],
                                  table.c.id.type._cached_bind_processor(dialect)),
                     strict=True)))
        return
    value_type = value_type or BigInteger()
    data = func.unnest(
        cast(bindparam("jifen_ids", type_=ARRAY(Uuid())), ARRAY(Uuid())),
        cast(bindparam("jifen_values", type_=ARRAY(value_type)), ARRAY(value_type)),
    ).table_valued(sa_column("id", Uuid()), sa_column("value", value_type)).render_derived(
        name="new_values")
    conn.execute(update(table).where(table.c.tenant_id == tenant_id, table.c.id == data.c.id)
                 .values({column: data.c.value, **constants}),
                 {"jifen_ids": [row_id for row_id, _ in rows],
                  "jifen_values": [value for _, value in rows]})
