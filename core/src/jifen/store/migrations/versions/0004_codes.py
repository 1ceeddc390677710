"""signed short-lived codes: signing keys and used codes (JF-CODE-1, JF-CODE-2)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 11:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('code_keys',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('key_id', sa.String(length=32), nullable=False),
    sa.Column('public_key', sa.LargeBinary(length=32), nullable=False),
    sa.Column('private_key_enc', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_code_keys_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('tenant_id', 'key_id', name=op.f('pk_code_keys'))
    )
    op.create_table('used_codes',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('code_id', sa.Uuid(), nullable=False),
    sa.Column('purpose', sa.String(length=32), nullable=False),
    sa.Column('subject_id', sa.Uuid(), nullable=True),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_used_codes_tenant_id_tenants')),
    sa.ForeignKeyConstraint(['tenant_id', 'subject_id'], ['subjects.tenant_id', 'subjects.id'], name=op.f('fk_used_codes_tenant_id_subject_id_subjects')),
    sa.PrimaryKeyConstraint('tenant_id', 'code_id', name=op.f('pk_used_codes'))
    )
    op.create_index('ix_used_codes_expires', 'used_codes', ['tenant_id', 'expires_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_used_codes_expires', table_name='used_codes')
    op.drop_table('used_codes')
    op.drop_table('code_keys')
