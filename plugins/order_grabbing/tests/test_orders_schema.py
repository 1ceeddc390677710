"""The plugin's Alembic branch creates exactly its declared tables, tenant first (JF-ORG-1)."""

from __future__ import annotations

from typing import Any

import jifen_order_grabbing
from jifen.plugins import make_plugin_manager
from jifen.store.migrate import current_revision, version_locations
from jifen.testing import keys_not_led_by_tenant, schema_differences
from jifen_order_grabbing.tables import metadata


def test_jf_org_1_the_branch_produces_exactly_the_declared_tables(database_url: str) -> None:
    assert schema_differences(database_url, metadata) == []
    assert "order_grabbing_0001" in (current_revision(database_url) or "")


def test_jf_org_1_tenant_id_leads_every_primary_and_foreign_key() -> None:
    assert keys_not_led_by_tenant(metadata) == []


def test_the_hooks_register_the_branch_and_the_catalogue_item() -> None:
    pm = make_plugin_manager(load_entry_points=False)
    pm.register(jifen_order_grabbing, name="order_grabbing")
    assert any(path.name == "migrations" and path.parent.name == "jifen_order_grabbing"
               for path in version_locations(pm))
    items: list[Any] = []
    pm.hook.register_catalogue_items(register=items.append)
    assert [(i.code, i.kind, i.auto_award, i.notice_required) for i in items] == [
        ("order.report_verified", "material", True, False)]
