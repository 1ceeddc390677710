"""The schema: migrations agree with the tables, and every row carries its tenant (JF-ORG-1)."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine

from jifen.store.tables import metadata


def test_migrations_produce_exactly_the_declared_schema(database_url: str) -> None:
    """The core's tables, as migrated, are the core's MetaData; plugins' tables (their own
    Alembic branches) are checked by each plugin against its own MetaData."""
    core_tables = set(metadata.tables) | {"alembic_version"}

    def only_core(name: str | None, type_: str, parent_names: Any) -> bool:
        if type_ == "schema":
            return True
        table = name if type_ == "table" else parent_names.get("table_name")
        return table in core_tables

    engine = create_engine(database_url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True,
                                                         "include_name": only_core})
        diff = compare_metadata(context, metadata)
    engine.dispose()
    assert diff == []


def test_jf_org_1_every_table_leads_its_primary_key_with_the_tenant() -> None:
    for table in metadata.sorted_tables:
        if table.name == "tenants":
            continue
        assert table.primary_key.columns.keys()[0] == "tenant_id", table.name
        for fk in table.foreign_key_constraints:
            assert fk.column_keys[0] == "tenant_id", (table.name, fk.column_keys)
