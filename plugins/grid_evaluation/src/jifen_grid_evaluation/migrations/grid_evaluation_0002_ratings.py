"""grid-worker evaluation: grid_ratings, residents' monthly ratings of their grid's worker
(JF-GRID-1)

Revision ID: grid_evaluation_0002
Revises: grid_evaluation_0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "grid_evaluation_0002"
down_revision = "grid_evaluation_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "grid_ratings",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("worker_id", sa.Uuid(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("resident_id", sa.Uuid(), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("rated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("rating BETWEEN 1 AND 5", name=op.f("ck_grid_ratings_rating")),
        sa.ForeignKeyConstraint(["tenant_id", "worker_id"], ["subjects.tenant_id", "subjects.id"],
                                name=op.f("fk_grid_ratings_tenant_id_worker_id_subjects")),
        sa.ForeignKeyConstraint(["tenant_id", "resident_id"],
                                ["subjects.tenant_id", "subjects.id"],
                                name=op.f("fk_grid_ratings_tenant_id_resident_id_subjects")),
        sa.PrimaryKeyConstraint("tenant_id", "worker_id", "month", "resident_id",
                                name=op.f("pk_grid_ratings")),
    )


def downgrade() -> None:
    op.drop_table("grid_ratings")
