"""The plugin's own tables (a MetaData of its own, migrated by its Alembic branch).

Like the core's, every table leads with ``tenant_id``: it is the first column of every primary
key and of every foreign key (JF-ORG-1). Amounts are integers: fen and points as BigInteger.
Foreign keys into the core's tables (tenants, subjects, transactions, lots) are declared in the
migration only; here, only those between the plugin's own tables.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
    Uuid,
)

from jifen.store.tables import UTCDateTime, plugin_metadata

metadata = plugin_metadata()

merchants = Table(
    "merchants", metadata,
    Column("tenant_id", Uuid, primary_key=True),
    Column("subject_id", Uuid, primary_key=True),
    Column("category", String(32), nullable=False),
    Column("cap_percent", Integer, nullable=True),  # None: the category's default
    Column("refund_window_days", Integer, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

redemptions = Table(
    "redemptions", metadata,
    Column("tenant_id", Uuid, primary_key=True),
    Column("id", Uuid, primary_key=True),
    Column("merchant_id", Uuid, nullable=False),
    Column("resident_id", Uuid, nullable=False),
    Column("idempotency_key", String(200), nullable=False),
    Column("request_hash", String(64), nullable=False),
    Column("code_id", Uuid, nullable=False),
    Column("bill_fen", BigInteger, nullable=False),
    Column("cap_percent", Integer, nullable=False),
    Column("rate", Integer, nullable=False),  # points per yuan at the time of redemption
    Column("cap_fen", BigInteger, nullable=False),
    Column("points", BigInteger, nullable=False),
    Column("value_fen", BigInteger, nullable=False),
    Column("refund_window_days", Integer, nullable=False),
    Column("refunded_fen", BigInteger, nullable=False),
    Column("refunded_points", BigInteger, nullable=False),
    Column("transaction_id", Uuid, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("settled_at", UTCDateTime, nullable=True),
    Column("settlement_run_id", Uuid, nullable=True),
    UniqueConstraint("tenant_id", "idempotency_key"),
    UniqueConstraint("tenant_id", "code_id"),
    ForeignKeyConstraint(["tenant_id", "merchant_id"],
                         ["merchants.tenant_id", "merchants.subject_id"]),
    Index("ix_redemptions_unsettled", "tenant_id", "settled_at", "created_at"),
    Index("ix_redemptions_merchant", "tenant_id", "merchant_id", "created_at"),
)

redemption_lots = Table(
    "redemption_lots", metadata,
    Column("tenant_id", Uuid, primary_key=True),
    Column("redemption_id", Uuid, primary_key=True),
    Column("lot_id", Uuid, primary_key=True),
    Column("seq", Integer, nullable=False),  # the order the ledger consumed the lots in
    Column("pool", String(64), nullable=False),
    Column("points", BigInteger, nullable=False),
    Column("refunded_points", BigInteger, nullable=False),
    ForeignKeyConstraint(["tenant_id", "redemption_id"],
                         ["redemptions.tenant_id", "redemptions.id"]),
)

redemption_pools = Table(
    "redemption_pools", metadata,
    Column("tenant_id", Uuid, primary_key=True),
    Column("redemption_id", Uuid, primary_key=True),
    Column("pool", String(64), primary_key=True),
    Column("points", BigInteger, nullable=False),
    Column("refunded_points", BigInteger, nullable=False),
    ForeignKeyConstraint(["tenant_id", "redemption_id"],
                         ["redemptions.tenant_id", "redemptions.id"]),
)

refunds = Table(
    "redemption_refunds", metadata,
    Column("tenant_id", Uuid, primary_key=True),
    Column("id", Uuid, primary_key=True),
    Column("redemption_id", Uuid, nullable=False),
    Column("idempotency_key", String(200), nullable=False),
    Column("request_hash", String(64), nullable=False),
    Column("refund_fen", BigInteger, nullable=False),
    Column("points", BigInteger, nullable=False),
    Column("transaction_id", Uuid, nullable=True),  # None when no points were left to return
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("tenant_id", "idempotency_key"),
    ForeignKeyConstraint(["tenant_id", "redemption_id"],
                         ["redemptions.tenant_id", "redemptions.id"]),
    Index("ix_redemption_refunds_redemption", "tenant_id", "redemption_id"),
)

settlement_runs = Table(
    "settlement_runs", metadata,
    Column("tenant_id", Uuid, primary_key=True),
    Column("id", Uuid, primary_key=True),
    Column("until", UTCDateTime, nullable=False),
    Column("redemptions", Integer, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

settlements = Table(
    "settlements", metadata,
    Column("tenant_id", Uuid, primary_key=True),
    Column("id", Uuid, primary_key=True),
    Column("run_id", Uuid, nullable=False),
    Column("pool", String(64), nullable=False),
    Column("merchant_id", Uuid, nullable=False),
    Column("rate", Integer, nullable=False),
    Column("points", BigInteger, nullable=False),
    Column("fen_owed", BigInteger, nullable=False),
    Column("transaction_id", Uuid, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    ForeignKeyConstraint(["tenant_id", "run_id"],
                         ["settlement_runs.tenant_id", "settlement_runs.id"]),
    ForeignKeyConstraint(["tenant_id", "merchant_id"],
                         ["merchants.tenant_id", "merchants.subject_id"]),
    Index("ix_settlements_pool_merchant", "tenant_id", "pool", "merchant_id"),
)
