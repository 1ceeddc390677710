"""merchant redemption: merchants, redemptions with their lots and pools, refunds, settlements
(JF-RED-*, JF-FUND-2)

Revision ID: redemption_0001
Revises:
Create Date: 2026-12-01 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "redemption_0001"
down_revision = None
branch_labels = ("merchant_redemption",)
depends_on = "0003"  # tenants, subjects, transactions, lots and pools

_NOW = sa.DateTime(timezone=True)


def _fk(columns: list[str], table: str, targets: list[str]) -> sa.ForeignKeyConstraint:
    name = f"fk_{table}_{'_'.join(columns)}_{targets[0].split('.')[0]}"
    return sa.ForeignKeyConstraint(columns, targets, name=name)


def _tenant(table: str) -> sa.ForeignKeyConstraint:
    return _fk(["tenant_id"], table, ["tenants.id"])


def upgrade() -> None:
    op.create_table(
        "merchants",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("cap_percent", sa.Integer(), nullable=True),
        sa.Column("refund_window_days", sa.Integer(), nullable=False),
        sa.Column("created_at", _NOW, nullable=False),
        _tenant("merchants"),
        _fk(["tenant_id", "subject_id"], "merchants", ["subjects.tenant_id", "subjects.id"]),
        sa.PrimaryKeyConstraint("tenant_id", "subject_id", name="pk_merchants"),
    )
    op.create_table(
        "redemptions",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("merchant_id", sa.Uuid(), nullable=False),
        sa.Column("resident_id", sa.Uuid(), nullable=False),
        sa.Column("idempotency_key", sa.String(200), nullable=False),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("code_id", sa.Uuid(), nullable=False),
        sa.Column("bill_fen", sa.BigInteger(), nullable=False),
        sa.Column("cap_percent", sa.Integer(), nullable=False),
        sa.Column("rate", sa.Integer(), nullable=False),
        sa.Column("cap_fen", sa.BigInteger(), nullable=False),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column("value_fen", sa.BigInteger(), nullable=False),
        sa.Column("refund_window_days", sa.Integer(), nullable=False),
        sa.Column("refunded_fen", sa.BigInteger(), nullable=False),
        sa.Column("refunded_points", sa.BigInteger(), nullable=False),
        sa.Column("transaction_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", _NOW, nullable=False),
        sa.Column("settled_at", _NOW, nullable=True),
        sa.Column("settlement_run_id", sa.Uuid(), nullable=True),
        _tenant("redemptions"),
        _fk(["tenant_id", "merchant_id"], "redemptions",
            ["merchants.tenant_id", "merchants.subject_id"]),
        _fk(["tenant_id", "resident_id"], "redemptions", ["subjects.tenant_id", "subjects.id"]),
        _fk(["tenant_id", "transaction_id"], "redemptions",
            ["transactions.tenant_id", "transactions.id"]),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_redemptions"),
        sa.UniqueConstraint("tenant_id", "idempotency_key",
                            name="uq_redemptions_tenant_id_idempotency_key"),
        sa.UniqueConstraint("tenant_id", "code_id", name="uq_redemptions_tenant_id_code_id"),
    )
    op.create_index("ix_redemptions_unsettled", "redemptions",
                    ["tenant_id", "settled_at", "created_at"])
    op.create_index("ix_redemptions_merchant", "redemptions",
                    ["tenant_id", "merchant_id", "created_at"])
    _child_tables()
    _settlement_tables()


def _child_tables() -> None:
    op.create_table(
        "redemption_lots",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("redemption_id", sa.Uuid(), nullable=False),
        sa.Column("lot_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("pool", sa.String(64), nullable=False),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column("refunded_points", sa.BigInteger(), nullable=False),
        _fk(["tenant_id", "redemption_id"], "redemption_lots",
            ["redemptions.tenant_id", "redemptions.id"]),
        _fk(["tenant_id", "lot_id"], "redemption_lots", ["lots.tenant_id", "lots.id"]),
        sa.PrimaryKeyConstraint("tenant_id", "redemption_id", "lot_id",
                                name="pk_redemption_lots"),
    )
    op.create_table(
        "redemption_pools",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("redemption_id", sa.Uuid(), nullable=False),
        sa.Column("pool", sa.String(64), nullable=False),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column("refunded_points", sa.BigInteger(), nullable=False),
        _fk(["tenant_id", "redemption_id"], "redemption_pools",
            ["redemptions.tenant_id", "redemptions.id"]),
        sa.PrimaryKeyConstraint("tenant_id", "redemption_id", "pool",
                                name="pk_redemption_pools"),
    )
    op.create_table(
        "redemption_refunds",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("redemption_id", sa.Uuid(), nullable=False),
        sa.Column("idempotency_key", sa.String(200), nullable=False),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("refund_fen", sa.BigInteger(), nullable=False),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column("transaction_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", _NOW, nullable=False),
        _fk(["tenant_id", "redemption_id"], "redemption_refunds",
            ["redemptions.tenant_id", "redemptions.id"]),
        _fk(["tenant_id", "transaction_id"], "redemption_refunds",
            ["transactions.tenant_id", "transactions.id"]),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_redemption_refunds"),
        sa.UniqueConstraint("tenant_id", "idempotency_key",
                            name="uq_redemption_refunds_tenant_id_idempotency_key"),
    )
    op.create_index("ix_redemption_refunds_redemption", "redemption_refunds",
                    ["tenant_id", "redemption_id"])


def _settlement_tables() -> None:
    op.create_table(
        "settlement_runs",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("until", _NOW, nullable=False),
        sa.Column("redemptions", sa.Integer(), nullable=False),
        sa.Column("created_at", _NOW, nullable=False),
        _tenant("settlement_runs"),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_settlement_runs"),
    )
    op.create_table(
        "settlements",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("run_id", sa.Uuid(), nullable=False),
        sa.Column("pool", sa.String(64), nullable=False),
        sa.Column("merchant_id", sa.Uuid(), nullable=False),
        sa.Column("rate", sa.Integer(), nullable=False),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column("fen_owed", sa.BigInteger(), nullable=False),
        sa.Column("transaction_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", _NOW, nullable=False),
        _fk(["tenant_id", "run_id"], "settlements",
            ["settlement_runs.tenant_id", "settlement_runs.id"]),
        _fk(["tenant_id", "merchant_id"], "settlements",
            ["merchants.tenant_id", "merchants.subject_id"]),
        _fk(["tenant_id", "transaction_id"], "settlements",
            ["transactions.tenant_id", "transactions.id"]),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_settlements"),
    )
    op.create_index("ix_settlements_pool_merchant", "settlements",
                    ["tenant_id", "pool", "merchant_id"])


def downgrade() -> None:
    op.drop_index("ix_settlements_pool_merchant", table_name="settlements")
    op.drop_table("settlements")
    op.drop_table("settlement_runs")
    op.drop_index("ix_redemption_refunds_redemption", table_name="redemption_refunds")
    op.drop_table("redemption_refunds")
    op.drop_table("redemption_pools")
    op.drop_table("redemption_lots")
    op.drop_index("ix_redemptions_merchant", table_name="redemptions")
    op.drop_index("ix_redemptions_unsettled", table_name="redemptions")
    op.drop_table("redemptions")
    op.drop_table("merchants")
