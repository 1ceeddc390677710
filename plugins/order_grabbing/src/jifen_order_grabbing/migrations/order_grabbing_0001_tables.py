"""order grabbing: department_remits, department_staff, problem_orders, order_lapses (JF-ORD-*)

Revision ID: order_grabbing_0001
Revises: (none: the first revision of the plugin's own branch)
Depends on: 0003 (tenants, subjects, org units, claims, transactions and funding pools)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "order_grabbing_0001"
down_revision = None
branch_labels = ("order_grabbing",)
depends_on = "0003"

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "department_remits",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("department_id", sa.Uuid(), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "department_id"],
            ["subjects.tenant_id", "subjects.id"],
            name=op.f("fk_department_remits_tenant_id_department_id_subjects"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "department_id", "category", name=op.f("pk_department_remits")),
    )
    op.create_table(
        "department_staff",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("department_id", sa.Uuid(), nullable=False),
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.Column("share_percent", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "share_percent > 0 AND share_percent <= 100", name=op.f("ck_department_staff_share")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "department_id"],
            ["subjects.tenant_id", "subjects.id"],
            name=op.f("fk_department_staff_tenant_id_department_id_subjects"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "subject_id"],
            ["subjects.tenant_id", "subjects.id"],
            name=op.f("fk_department_staff_tenant_id_subject_id_subjects"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "department_id", "subject_id", name=op.f("pk_department_staff")),
    )
    op.create_table(
        "problem_orders",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("community_id", sa.Uuid(), nullable=False),
        sa.Column("grid_id", sa.Uuid(), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=False),
        sa.Column("description", sa.String(length=1000), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("reporter_id", sa.Uuid(), nullable=True),
        sa.Column("reporter_days", sa.Integer(), nullable=False),
        sa.Column("reward", sa.BigInteger(), nullable=False),
        sa.Column("pool", sa.String(length=64), nullable=False),
        sa.Column("deadline", TS, nullable=False),
        sa.Column("allowance_seconds", sa.BigInteger(), nullable=False),
        sa.Column("posted_by", sa.Uuid(), nullable=False),
        sa.Column("posted_at", TS, nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("department_id", sa.Uuid(), nullable=True),
        sa.Column("grabbed_at", TS, nullable=True),
        sa.Column("evidence", sa.String(length=1000), nullable=True),
        sa.Column("completed_at", TS, nullable=True),
        sa.Column("reporter_response", sa.String(length=16), nullable=True),
        sa.Column("reporter_reason", sa.String(length=1000), nullable=True),
        sa.Column("verified_by", sa.Uuid(), nullable=True),
        sa.Column("verified_at", TS, nullable=True),
        sa.Column("transaction_id", sa.Uuid(), nullable=True),
        sa.Column("reporter_claim_id", sa.Uuid(), nullable=True),
        sa.Column("reporter_reward_note", sa.String(length=500), nullable=True),
        sa.Column("send_backs", sa.Integer(), nullable=False),
        sa.Column("reopened", sa.Integer(), nullable=False),
        sa.CheckConstraint("source IN ('photo_report', 'inspection')", name=op.f("ck_problem_orders_source")),
        sa.CheckConstraint(
            "state IN ('open', 'grabbed', 'completed', 'verified')", name=op.f("ck_problem_orders_state")
        ),
        sa.CheckConstraint("reward > 0", name=op.f("ck_problem_orders_reward")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "community_id"],
            ["org_units.tenant_id", "org_units.id"],
            name=op.f("fk_problem_orders_tenant_id_community_id_org_units"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "department_id"],
            ["subjects.tenant_id", "subjects.id"],
            name=op.f("fk_problem_orders_tenant_id_department_id_subjects"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "grid_id"],
            ["org_units.tenant_id", "org_units.id"],
            name=op.f("fk_problem_orders_tenant_id_grid_id_org_units"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "pool"],
            ["pools.tenant_id", "pools.code"],
            name=op.f("fk_problem_orders_tenant_id_pool_pools"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "posted_by"],
            ["subjects.tenant_id", "subjects.id"],
            name=op.f("fk_problem_orders_tenant_id_posted_by_subjects"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "reporter_claim_id"],
            ["claims.tenant_id", "claims.id"],
            name=op.f("fk_problem_orders_tenant_id_reporter_claim_id_claims"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "reporter_id"],
            ["subjects.tenant_id", "subjects.id"],
            name=op.f("fk_problem_orders_tenant_id_reporter_id_subjects"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "transaction_id"],
            ["transactions.tenant_id", "transactions.id"],
            name=op.f("fk_problem_orders_tenant_id_transaction_id_transactions"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "verified_by"],
            ["subjects.tenant_id", "subjects.id"],
            name=op.f("fk_problem_orders_tenant_id_verified_by_subjects"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_problem_orders_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_problem_orders")),
        sa.UniqueConstraint(
            "tenant_id", "idempotency_key", name=op.f("uq_problem_orders_tenant_id_idempotency_key")
        ),
    )
    op.create_index(
        "ix_problem_orders_tenant_state_category",
        "problem_orders",
        ["tenant_id", "state", "category"],
        unique=False,
    )
    op.create_table(
        "order_lapses",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("department_id", sa.Uuid(), nullable=False),
        sa.Column("grabbed_at", TS, nullable=False),
        sa.Column("deadline", TS, nullable=False),
        sa.Column("reopened_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "department_id"],
            ["subjects.tenant_id", "subjects.id"],
            name=op.f("fk_order_lapses_tenant_id_department_id_subjects"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "order_id"],
            ["problem_orders.tenant_id", "problem_orders.id"],
            name=op.f("fk_order_lapses_tenant_id_order_id_problem_orders"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_order_lapses")),
        sa.UniqueConstraint(
            "tenant_id", "order_id", "deadline", name=op.f("uq_order_lapses_tenant_id_order_id_deadline")
        ),
    )


def downgrade() -> None:
    op.drop_table("order_lapses")
    op.drop_index("ix_problem_orders_tenant_state_category", table_name="problem_orders")
    op.drop_table("problem_orders")
    op.drop_table("department_staff")
    op.drop_table("department_remits")
