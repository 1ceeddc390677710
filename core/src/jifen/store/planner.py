"""Planner statistics for SQLite: the shape of a city, so that queries use the right index.

PostgreSQL plans with statistics it gathers itself (autovacuum's ANALYZE). SQLite has none
until someone runs ``ANALYZE``, and without them it guesses that an equality on an index's
first column selects about ten rows. Every index of jifen starts with ``tenant_id`` (the
distribution key, docs/guides/scale.md), and a city is usually the only tenant of its database,
so that guess is wrong in the worst way: SQLite then prefers reading "the tenant's rows" in
primary-key order to a search by subject or account, and a check, a score or a statistics
query reads the whole tenant (at a million families, an eligibility check took 235 ms instead
of a few; benchmarks/README.md, ``scenarios.py``).

:func:`install` writes ``sqlite_stat1`` rows (the documented way to steer SQLite's planner,
https://sqlite.org/optoverview.html#manual_control_of_query_plans_using_sqlite_stat_tables)
describing that shape for every index of the database, the plugins' included:

- a table holds :data:`ROWS` rows, or :data:`SMALL_ROWS` for the few tables that grow with the
  org tree or the configuration, not with residents (:data:`SMALL_TABLES`);
- ``tenant_id`` selects every row;
- a column of few values (:data:`FEW_VALUES`, e.g. ``state`` or ``kind``) a quarter of them;
- any other column about ten rows, and the last column of a unique index one.

``jifen db upgrade`` installs them after the migrations. Running ``ANALYZE`` on a database that
holds real data replaces them with measured ones, which is better still.
"""

from __future__ import annotations

from sqlalchemy import Connection

ROWS = 1_000_000
"""Rows assumed in a table that grows with the residents and their deeds."""

SMALL_ROWS = 1_000
"""Rows assumed in a table that grows with the org tree or the configuration."""

SMALL_TABLES = frozenset({
    "tenants", "org_units", "chain_heads", "tenant_configs", "catalogue_items", "roles",
    "notice_batches", "pools", "code_keys", "scenario_rounds", "api_passwords"})
"""The core's tables of :data:`SMALL_ROWS` rows."""

FEW_VALUES = frozenset({
    "state", "kind", "type", "scenario", "role", "level", "granted", "purpose", "status",
    "category", "slot", "mode"})
"""Column names that hold one of a few values; an equality on them selects a quarter."""


def estimate(table: str, columns: list[str], unique: bool) -> str:
    """The ``sqlite_stat1.stat`` of an index on ``columns`` of ``table``: the rows of the table,
    then the rows an equality on the first 1, 2, … columns selects."""
    rows = SMALL_ROWS if table in SMALL_TABLES else ROWS
    figures, selected = [rows], rows
    for position, column in enumerate(columns):
        if unique and position == len(columns) - 1:
            selected = 1
        elif column == "tenant_id":
            selected = rows
        elif column in FEW_VALUES:
            selected = max(selected // 4, 1)
        else:
            selected = max(min(selected, 10) - position + 1, 1)
        figures.append(selected)
    return " ".join(str(figure) for figure in figures)


def install(conn: Connection) -> int:
    """Replace ``sqlite_stat1`` with the estimates of every index of the database and make
    this connection's planner load them; returns the number of indexes described."""
    conn.exec_driver_sql("ANALYZE sqlite_schema")  # creates sqlite_stat1 if it is missing
    conn.exec_driver_sql("DELETE FROM sqlite_stat1")
    tables = conn.exec_driver_sql(
        "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    ).scalars().all()
    rows = []
    for table in tables:
        for index in conn.exec_driver_sql(f"PRAGMA index_list('{table}')").mappings():
            columns = [r["name"] for r in conn.exec_driver_sql(
                f"PRAGMA index_info('{index['name']}')").mappings()]
            rows.append((table, index["name"], estimate(table, columns, bool(index["unique"]))))
    conn.exec_driver_sql("INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES (?, ?, ?)", rows)
    conn.exec_driver_sql("ANALYZE sqlite_schema")  # reload the statistics
    return len(rows)
