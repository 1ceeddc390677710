"""scenarios: consent, decisions, marks, counters, bookings, quota rounds (JF-SCN-*)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from jifen.store.triggers import drop_append_only, make_append_only

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

APPEND_ONLY = ('scenario_consents', 'scenario_decisions', 'scenario_marks')


def _subject_fk(table: str, column: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(['tenant_id', column], ['subjects.tenant_id', 'subjects.id'],
                                   name=op.f(f'fk_{table}_tenant_id_{column}_subjects'))


def _tenant_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'],
                                   name=op.f(f'fk_{table}_tenant_id_tenants'))


def upgrade() -> None:
    op.create_table('scenario_consents',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('scenario', sa.String(length=64), nullable=False),
    sa.Column('subject_id', sa.Uuid(), nullable=False),
    sa.Column('granted', sa.Boolean(), nullable=False),
    sa.Column('given_by', sa.Uuid(), nullable=False),
    sa.Column('via', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    _subject_fk('scenario_consents', 'subject_id'),
    _subject_fk('scenario_consents', 'given_by'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_scenario_consents'))
    )
    op.create_index('ix_scenario_consents_subject', 'scenario_consents', ['tenant_id', 'scenario', 'subject_id'], unique=False)
    op.create_table('scenario_decisions',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('scenario', sa.String(length=64), nullable=False),
    sa.Column('subject_id', sa.Uuid(), nullable=True),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('as_of', sa.DateTime(timezone=True), nullable=False),
    sa.Column('score_value', sa.String(length=64), nullable=True),
    sa.Column('method', sa.String(length=100), nullable=True),
    sa.Column('method_version', sa.String(length=50), nullable=True),
    sa.Column('rule', sa.JSON(), nullable=False),
    sa.Column('rule_version', sa.String(length=80), nullable=False),
    sa.Column('inputs', sa.JSON(), nullable=False),
    sa.Column('result', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    _tenant_fk('scenario_decisions'),
    _subject_fk('scenario_decisions', 'subject_id'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_scenario_decisions'))
    )
    op.create_index('ix_scenario_decisions_subject', 'scenario_decisions', ['tenant_id', 'scenario', 'subject_id'], unique=False)
    op.create_table('scenario_marks',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('scenario', sa.String(length=64), nullable=False),
    sa.Column('subject_id', sa.Uuid(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('decision_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    _subject_fk('scenario_marks', 'subject_id'),
    sa.ForeignKeyConstraint(['tenant_id', 'decision_id'], ['scenario_decisions.tenant_id', 'scenario_decisions.id'], name=op.f('fk_scenario_marks_tenant_id_decision_id_scenario_decisions')),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_scenario_marks'))
    )
    op.create_index('ix_scenario_marks_subject', 'scenario_marks', ['tenant_id', 'scenario', 'subject_id'], unique=False)
    op.create_table('scenario_counters',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('scenario', sa.String(length=64), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('used', sa.Integer(), nullable=False),
    sa.CheckConstraint('used >= 0', name=op.f('ck_scenario_counters_used')),
    _tenant_fk('scenario_counters'),
    sa.PrimaryKeyConstraint('tenant_id', 'scenario', 'key', name=op.f('pk_scenario_counters'))
    )
    op.create_table('scenario_bookings',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('scenario', sa.String(length=64), nullable=False),
    sa.Column('subject_id', sa.Uuid(), nullable=False),
    sa.Column('unit', sa.String(length=100), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('idempotency_key', sa.String(length=200), nullable=False),
    sa.Column('decision_id', sa.Uuid(), nullable=False),
    sa.Column('transaction_id', sa.Uuid(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("state in ('booked','cancelled')", name=op.f('ck_scenario_bookings_state')),
    _subject_fk('scenario_bookings', 'subject_id'),
    sa.ForeignKeyConstraint(['tenant_id', 'decision_id'], ['scenario_decisions.tenant_id', 'scenario_decisions.id'], name=op.f('fk_scenario_bookings_tenant_id_decision_id_scenario_decisions')),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_scenario_bookings')),
    sa.UniqueConstraint('tenant_id', 'scenario', 'idempotency_key', name=op.f('uq_scenario_bookings_tenant_id_scenario_idempotency_key'))
    )
    op.create_table('scenario_rounds',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('scenario', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('quotas', sa.JSON(), nullable=False),
    sa.Column('opens_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closes_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('seed_sha256', sa.String(length=64), nullable=False),
    sa.Column('seed_enc', sa.LargeBinary(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('created_by', sa.Uuid(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('draw_decision_id', sa.Uuid(), nullable=True),
    sa.Column('published_by', sa.Uuid(), nullable=True),
    sa.Column('notice_starts_on', sa.Date(), nullable=True),
    sa.Column('notice_ends_on', sa.Date(), nullable=True),
    sa.Column('finalised_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("state in ('open','drawn','in_notice','final')", name=op.f('ck_scenario_rounds_state')),
    _tenant_fk('scenario_rounds'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_scenario_rounds'))
    )
    op.create_table('scenario_applications',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('round_id', sa.Uuid(), nullable=False),
    sa.Column('applicant_id', sa.Uuid(), nullable=False),
    sa.Column('slot', sa.String(length=100), nullable=False),
    sa.Column('applied_by', sa.Uuid(), nullable=False),
    sa.Column('applied_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id', 'round_id'], ['scenario_rounds.tenant_id', 'scenario_rounds.id'], name=op.f('fk_scenario_applications_tenant_id_round_id_scenario_rounds')),
    _subject_fk('scenario_applications', 'applicant_id'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_scenario_applications')),
    sa.UniqueConstraint('tenant_id', 'round_id', 'applicant_id', name=op.f('uq_scenario_applications_tenant_id_round_id_applicant_id'))
    )
    op.create_table('scenario_round_objections',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('round_id', sa.Uuid(), nullable=False),
    sa.Column('application_id', sa.Uuid(), nullable=False),
    sa.Column('raised_by', sa.Uuid(), nullable=True),
    sa.Column('raised_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('grounds', sa.String(length=1000), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('decided_by', sa.Uuid(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decision_reason', sa.String(length=1000), nullable=True),
    sa.CheckConstraint("state in ('open','upheld','dismissed')", name=op.f('ck_scenario_round_objections_state')),
    sa.ForeignKeyConstraint(['tenant_id', 'application_id'], ['scenario_applications.tenant_id', 'scenario_applications.id'], name=op.f('fk_scenario_round_objections_tenant_id_application_id_scenario_applications')),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_scenario_round_objections'))
    )
    op.create_index('ix_scenario_round_objections_round', 'scenario_round_objections', ['tenant_id', 'round_id'], unique=False)
    for table in APPEND_ONLY:
        make_append_only(table)


def downgrade() -> None:
    for table in APPEND_ONLY:
        drop_append_only(table)
    op.drop_index('ix_scenario_round_objections_round', table_name='scenario_round_objections')
    op.drop_table('scenario_round_objections')
    op.drop_table('scenario_applications')
    op.drop_table('scenario_rounds')
    op.drop_table('scenario_bookings')
    op.drop_table('scenario_counters')
    op.drop_index('ix_scenario_marks_subject', table_name='scenario_marks')
    op.drop_table('scenario_marks')
    op.drop_index('ix_scenario_decisions_subject', table_name='scenario_decisions')
    op.drop_table('scenario_decisions')
    op.drop_index('ix_scenario_consents_subject', table_name='scenario_consents')
    op.drop_table('scenario_consents')
