"""subjects by org unit, transactions by time: publishing and statistics read only their share

`claims.publish` and the review queue found the waiting claims through `ix_claims_state` and
filtered them by the subject's unit, so each community's publication read the waiting claims of
the whole city; with `ix_subjects_org_unit` they start from the unit's subjects. `jifen stats`
joined every posting of a kind to its transaction to keep the period's; with
`ix_transactions_created` it starts from the period's transactions (benchmarks/README.md,
"city.py"; docs/guides/scale.md).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 15:00:00
"""

from __future__ import annotations

from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_subjects_org_unit', 'subjects', ['tenant_id', 'org_unit_id'],
                    unique=False)
    op.create_index('ix_transactions_created', 'transactions', ['tenant_id', 'created_at'],
                    unique=False)


def downgrade() -> None:
    op.drop_index('ix_transactions_created', table_name='transactions')
    op.drop_index('ix_subjects_org_unit', table_name='subjects')
