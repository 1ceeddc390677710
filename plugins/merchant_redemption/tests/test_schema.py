"""The plugin's Alembic branch produces exactly its declared tables (foreign keys into the
core's tables are declared in the migration only), and every key leads with the tenant
(JF-ORG-1)."""

from __future__ import annotations

from jifen.testing import keys_not_led_by_tenant, schema_differences
from jifen_merchant_redemption.tables import metadata


def test_jf_org_1_migrations_produce_the_declared_tables(database_url: str) -> None:
    assert schema_differences(database_url, metadata) == []


def test_jf_org_1_every_key_leads_with_the_tenant() -> None:
    assert keys_not_led_by_tenant(metadata) == []
