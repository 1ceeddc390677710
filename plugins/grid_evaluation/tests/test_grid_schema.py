"""The plugin's Alembic branch creates exactly its declared tables, tenant first (JF-ORG-1)."""

from __future__ import annotations

import jifen_grid_evaluation
from jifen.plugins import make_plugin_manager
from jifen.store.migrate import current_revision, version_locations
from jifen.testing import keys_not_led_by_tenant, schema_differences
from jifen_grid_evaluation.tables import metadata


def test_jf_org_1_the_branch_produces_exactly_the_declared_tables(database_url: str) -> None:
    assert schema_differences(database_url, metadata) == []
    assert "grid_evaluation_0002" in (current_revision(database_url) or "")


def test_jf_org_1_tenant_id_leads_every_primary_and_foreign_key() -> None:
    assert keys_not_led_by_tenant(metadata) == []


def test_the_branch_is_registered_through_the_hook() -> None:
    pm = make_plugin_manager(load_entry_points=False)
    pm.register(jifen_grid_evaluation, name="grid_evaluation")
    assert any(path.name == "migrations" and path.parent.name == "jifen_grid_evaluation"
               for path in version_locations(pm))
