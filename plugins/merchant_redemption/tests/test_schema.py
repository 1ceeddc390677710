"""The plugin's Alembic branch produces exactly its declared tables (foreign keys into the
core's tables are declared in the migration only), and every key leads with the tenant
(JF-ORG-1)."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine

from jifen_merchant_redemption.tables import metadata

CORE_TABLES = {"tenants", "subjects", "transactions", "lots"}


def _ours(name: str | None, type_: str, _parent: Any) -> bool:
    return type_ != "table" or name in metadata.tables


def _into_core(diff: Any) -> bool:
    return (isinstance(diff, tuple) and diff[0] == "remove_fk"
            and diff[1].referred_table.name in CORE_TABLES)


def test_jf_org_1_migrations_produce_the_declared_tables(database_url: str) -> None:
    engine = create_engine(database_url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True,
                                                         "include_name": _ours})
        diff = [d for d in compare_metadata(context, metadata) if not _into_core(d)]
    engine.dispose()
    assert diff == []


def test_jf_org_1_every_key_leads_with_the_tenant() -> None:
    for table in metadata.sorted_tables:
        assert table.primary_key.columns.keys()[0] == "tenant_id", table.name
        for fk in table.foreign_key_constraints:
            assert fk.column_keys[0] == "tenant_id", (table.name, fk.column_keys)
