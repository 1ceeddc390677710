"""The schema: migrations agree with the tables, and every row carries its tenant (JF-ORG-1)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine

from jifen.store.tables import metadata


def test_migrations_produce_exactly_the_declared_schema(database_url: str) -> None:
    engine = create_engine(database_url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
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
