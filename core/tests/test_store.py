"""The schema: migrations agree with the tables, and every row carries its tenant (JF-ORG-1)."""

from __future__ import annotations

from jifen.store.tables import metadata
from jifen.testing import keys_not_led_by_tenant, schema_differences


def test_migrations_produce_exactly_the_declared_schema(database_url: str) -> None:
    """The core's tables, as migrated, are the core's MetaData; plugins' tables (their own
    Alembic branches) are checked by each plugin against its own MetaData."""
    assert schema_differences(database_url, metadata) == []


def test_jf_org_1_every_table_leads_its_primary_key_with_the_tenant() -> None:
    assert keys_not_led_by_tenant(metadata) == []


def test_the_schema_check_reports_what_the_migrations_lack(database_url: str) -> None:
    """`schema_differences` can fail: a declared column no migration creates is reported."""
    from sqlalchemy import Column, MetaData, Table, Uuid

    declared = MetaData()
    for table in metadata.sorted_tables:
        table.to_metadata(declared)
    Table("pools", declared, Column("sponsor_id", Uuid, nullable=True), extend_existing=True)
    differences = schema_differences(database_url, declared)
    assert [(d[0], d[2], d[3].name) for d in differences if isinstance(d, tuple)] == [
        ("add_column", "pools", "sponsor_id")]
