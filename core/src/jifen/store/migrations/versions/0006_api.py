"""api: idempotency records of HTTP writes and demo login passwords (JF-API-*, JF-PRIV-1)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('api_idempotency',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('principal', sa.String(length=200), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('method', sa.String(length=10), nullable=False),
    sa.Column('path', sa.String(length=500), nullable=False),
    sa.Column('request_hash', sa.String(length=64), nullable=False),
    sa.Column('status', sa.Integer(), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'],
                            name=op.f('fk_api_idempotency_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('tenant_id', 'principal', 'key', name=op.f('pk_api_idempotency'))
    )
    op.create_table('api_passwords',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('subject_id', sa.Uuid(), nullable=False),
    sa.Column('hash', sa.String(length=200), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id', 'subject_id'], ['subjects.tenant_id', 'subjects.id'],
                            name=op.f('fk_api_passwords_tenant_id_subject_id_subjects')),
    sa.PrimaryKeyConstraint('tenant_id', 'subject_id', name=op.f('pk_api_passwords'))
    )


def downgrade() -> None:
    op.drop_table('api_passwords')
    op.drop_table('api_idempotency')
