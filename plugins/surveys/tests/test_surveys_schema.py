"""The plugin's Alembic branch creates exactly its declared tables, tenant first (JF-ORG-1)."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine

import jifen_surveys
from jifen.plugins import make_plugin_manager
from jifen.store.migrate import current_revision, version_locations
from jifen_surveys.tables import metadata


def ours(name: str | None, type_: str, _parent: Any) -> bool:
    return type_ != "table" or name in metadata.tables


def test_jf_org_1_the_branch_produces_exactly_the_declared_tables(database_url: str) -> None:
    engine = create_engine(database_url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True,
                                                         "include_name": ours})
        diff = compare_metadata(context, metadata)
    engine.dispose()
    assert diff == []
    assert "surveys_0001" in (current_revision(database_url) or "")


def test_jf_org_1_tenant_id_leads_every_primary_and_foreign_key() -> None:
    for table in metadata.sorted_tables:
        assert table.primary_key.columns.keys()[0] == "tenant_id", table.name
        for fk in table.foreign_key_constraints:
            assert fk.column_keys[0] == "tenant_id", (table.name, fk.column_keys)


def test_the_branch_is_registered_through_the_hook() -> None:
    pm = make_plugin_manager(load_entry_points=False)
    pm.register(jifen_surveys, name="surveys")
    assert any(path.name == "migrations" and path.parent.name == "jifen_surveys"
               for path in version_locations(pm))
