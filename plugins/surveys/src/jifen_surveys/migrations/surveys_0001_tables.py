"""surveys and quizzes: surveys, survey_responses (JF-ENG-1)

Revision ID: surveys_0001
Revises: (none: the first revision of the plugin's own branch)
Depends on: 0003 (tenants, subjects, transactions and funding pools)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "surveys_0001"
down_revision = None
branch_labels = ("surveys",)
depends_on = "0003"


def upgrade() -> None:
    op.create_table(
        "surveys",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("organiser", sa.String(length=200), nullable=False),
        sa.Column("pool", sa.String(length=64), nullable=False),
        sa.Column("reward", sa.BigInteger(), nullable=False),
        sa.Column("max_rewarded", sa.Integer(), nullable=True),
        sa.Column("pass_mark", sa.Integer(), nullable=True),
        sa.Column("questions", sa.JSON(), nullable=False),
        sa.Column("opens_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closes_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("reward > 0", name=op.f("ck_surveys_reward")),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"],
                                name=op.f("fk_surveys_tenant_id_tenants")),
        sa.ForeignKeyConstraint(["tenant_id", "pool"], ["pools.tenant_id", "pools.code"],
                                name=op.f("fk_surveys_tenant_id_pool_pools")),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_surveys")),
        sa.UniqueConstraint("tenant_id", "code", name=op.f("uq_surveys_tenant_id_code")),
    )
    op.create_table(
        "survey_responses",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("survey_id", sa.Uuid(), nullable=False),
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("correct", sa.Integer(), nullable=True),
        sa.Column("passed", sa.Boolean(), nullable=True),
        sa.Column("reward", sa.BigInteger(), nullable=False),
        sa.Column("not_rewarded", sa.String(length=32), nullable=True),
        sa.Column("transaction_id", sa.Uuid(), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "survey_id"], ["surveys.tenant_id", "surveys.id"],
            name=op.f("fk_survey_responses_tenant_id_survey_id_surveys")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "subject_id"], ["subjects.tenant_id", "subjects.id"],
            name=op.f("fk_survey_responses_tenant_id_subject_id_subjects")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "transaction_id"], ["transactions.tenant_id", "transactions.id"],
            name=op.f("fk_survey_responses_tenant_id_transaction_id_transactions")),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_survey_responses")),
        sa.UniqueConstraint("tenant_id", "survey_id", "subject_id",
                            name=op.f("uq_survey_responses_tenant_id_survey_id_subject_id")),
        sa.UniqueConstraint("tenant_id", "idempotency_key",
                            name=op.f("uq_survey_responses_tenant_id_idempotency_key")),
    )


def downgrade() -> None:
    op.drop_table("survey_responses")
    op.drop_table("surveys")
