"""lots: a partial index for the expiry job (only lots with points left)

The expiry job (`ledger.expire`, hourly) searched `ix_lots_open (tenant_id, account_id,
expires_at)` with no account, so each run read every lot the tenant ever had and grew slower
with the tenant's history; `ix_lots_expiring` holds only the lots with points left, by expiry
(benchmarks/README.md, "city.py"; docs/guides/scale.md).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 12:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_lots_expiring', 'lots', ['tenant_id', 'expires_at'], unique=False,
                    postgresql_where=sa.text('remaining > 0'),
                    sqlite_where=sa.text('remaining > 0'))


def downgrade() -> None:
    op.drop_index('ix_lots_expiring', table_name='lots')
