"""grid-worker evaluation: grid_metrics, grid_formulas, grid_evaluations (JF-GRID-1, JF-GRID-2)

Revision ID: grid_evaluation_0001
Revises: (none: the first revision of the plugin's own branch)
Depends on: 0003 (tenants, subjects, transactions and funding pools)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "grid_evaluation_0001"
down_revision = None
branch_labels = ("grid_evaluation",)
depends_on = "0003"


def upgrade() -> None:
    _metrics()
    _formulas()
    _evaluations()


def _metrics() -> None:
    op.create_table(
        "grid_metrics",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("worker_id", sa.Uuid(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("orders_done", sa.Integer(), nullable=False),
        sa.Column("ratings_count", sa.Integer(), nullable=False),
        sa.Column("ratings_sum", sa.Integer(), nullable=False),
        sa.Column("responses_count", sa.Integer(), nullable=False),
        sa.Column("response_minutes", sa.BigInteger(), nullable=False),
        sa.Column("inspections", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id", "worker_id"], ["subjects.tenant_id", "subjects.id"],
                                name=op.f("fk_grid_metrics_tenant_id_worker_id_subjects")),
        sa.PrimaryKeyConstraint("tenant_id", "worker_id", "month", name=op.f("pk_grid_metrics")),
    )


def _formulas() -> None:
    op.create_table(
        "grid_formulas",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_by", sa.String(length=200), nullable=False),
        sa.CheckConstraint("version > 0", name=op.f("ck_grid_formulas_version")),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"],
                                name=op.f("fk_grid_formulas_tenant_id_tenants")),
        sa.PrimaryKeyConstraint("tenant_id", "version", name=op.f("pk_grid_formulas")),
    )


def _evaluations() -> None:
    op.create_table(
        "grid_evaluations",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("worker_id", sa.Uuid(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("formula_version", sa.Integer(), nullable=False),
        sa.Column("metrics", sa.JSON(), nullable=False),
        sa.Column("score_tenths", sa.Integer(), nullable=False),
        sa.Column("grade", sa.String(length=8), nullable=False),
        sa.Column("reward", sa.BigInteger(), nullable=False),
        sa.Column("pool", sa.String(length=64), nullable=True),
        sa.Column("transaction_id", sa.Uuid(), nullable=True),
        sa.Column("evaluated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("evaluated_by", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.String(length=1000), nullable=False),
        sa.Column("superseded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("superseded_by", sa.String(length=200), nullable=True),
        sa.Column("superseded_reason", sa.String(length=1000), nullable=True),
        sa.CheckConstraint("score_tenths BETWEEN 0 AND 1000",
                           name=op.f("ck_grid_evaluations_score")),
        sa.CheckConstraint("state IN ('current', 'superseded')",
                           name=op.f("ck_grid_evaluations_state")),
        sa.CheckConstraint("reward >= 0", name=op.f("ck_grid_evaluations_reward")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "worker_id"], ["subjects.tenant_id", "subjects.id"],
            name=op.f("fk_grid_evaluations_tenant_id_worker_id_subjects")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "pool"], ["pools.tenant_id", "pools.code"],
            name=op.f("fk_grid_evaluations_tenant_id_pool_pools")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "transaction_id"], ["transactions.tenant_id", "transactions.id"],
            name=op.f("fk_grid_evaluations_tenant_id_transaction_id_transactions")),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_grid_evaluations")),
        sa.UniqueConstraint(
            "tenant_id", "worker_id", "month", "revision",
            name=op.f("uq_grid_evaluations_tenant_id_worker_id_month_revision")),
    )
    op.create_index("ix_grid_evaluations_tenant_id_month", "grid_evaluations",
                    ["tenant_id", "month"])


def downgrade() -> None:
    op.drop_index("ix_grid_evaluations_tenant_id_month", table_name="grid_evaluations")
    op.drop_table("grid_evaluations")
    op.drop_table("grid_formulas")
    op.drop_table("grid_metrics")
