"""The plugin's own tables, in its own MetaData; the Alembic branch ``order_grabbing`` creates
them.

Like the core's, every primary key and every foreign key leads with ``tenant_id`` (JF-ORG-1).
Foreign keys point at the core's tables (tenants, subjects, org units, pools, transactions,
claims).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
    Uuid,
)

from jifen.store import tables as core

metadata = core.plugin_metadata()


def _subject_fk(column: str) -> ForeignKeyConstraint:
    return ForeignKeyConstraint(["tenant_id", column],
                                [core.subjects.c.tenant_id, core.subjects.c.id])


def _unit_fk(column: str) -> ForeignKeyConstraint:
    return ForeignKeyConstraint(["tenant_id", column],
                                [core.org_units.c.tenant_id, core.org_units.c.id])


department_remits = Table(
    "department_remits",
    metadata,
    Column("tenant_id", Uuid, primary_key=True),
    Column("department_id", Uuid, primary_key=True),
    Column("category", String(64), primary_key=True),
    _subject_fk("department_id"),
)

department_staff = Table(
    "department_staff",
    metadata,
    Column("tenant_id", Uuid, primary_key=True),
    Column("department_id", Uuid, primary_key=True),
    Column("subject_id", Uuid, primary_key=True),
    Column("share_percent", Integer, nullable=False),
    _subject_fk("department_id"),
    _subject_fk("subject_id"),
    CheckConstraint("share_percent > 0 AND share_percent <= 100", name="share"),
)

problem_orders = Table(
    "problem_orders",
    metadata,
    Column("tenant_id", Uuid, primary_key=True),
    Column("id", Uuid, primary_key=True),
    Column("idempotency_key", String(200), nullable=False),
    Column("request_hash", String(64), nullable=False),
    Column("community_id", Uuid, nullable=False),
    Column("grid_id", Uuid, nullable=False),
    Column("category", String(64), nullable=False),
    Column("description", String(1000), nullable=False),
    Column("source", String(16), nullable=False),
    Column("reporter_id", Uuid, nullable=True),
    Column("reporter_days", Integer, nullable=False),
    Column("reward", BigInteger, nullable=False),
    Column("pool", String(64), nullable=False),
    Column("deadline", core.Timestamp, nullable=False),
    Column("allowance_seconds", BigInteger, nullable=False),
    Column("posted_by", Uuid, nullable=False),
    Column("posted_at", core.Timestamp, nullable=False),
    Column("state", String(16), nullable=False),
    Column("department_id", Uuid, nullable=True),
    Column("grabbed_at", core.Timestamp, nullable=True),
    Column("evidence", String(1000), nullable=True),
    Column("completed_at", core.Timestamp, nullable=True),
    Column("reporter_response", String(16), nullable=True),
    Column("reporter_reason", String(1000), nullable=True),
    Column("verified_by", Uuid, nullable=True),
    Column("verified_at", core.Timestamp, nullable=True),
    Column("transaction_id", Uuid, nullable=True),
    Column("reporter_claim_id", Uuid, nullable=True),
    Column("reporter_reward_note", String(500), nullable=True),
    Column("send_backs", Integer, nullable=False),
    Column("reopened", Integer, nullable=False),
    ForeignKeyConstraint(["tenant_id"], [core.tenants.c.id]),
    _unit_fk("community_id"),
    _unit_fk("grid_id"),
    _subject_fk("reporter_id"),
    _subject_fk("posted_by"),
    _subject_fk("department_id"),
    _subject_fk("verified_by"),
    ForeignKeyConstraint(["tenant_id", "pool"], [core.pools.c.tenant_id, core.pools.c.code]),
    ForeignKeyConstraint(["tenant_id", "transaction_id"],
                         [core.transactions.c.tenant_id, core.transactions.c.id]),
    ForeignKeyConstraint(["tenant_id", "reporter_claim_id"],
                         [core.claims.c.tenant_id, core.claims.c.id]),
    UniqueConstraint("tenant_id", "idempotency_key"),
    CheckConstraint("reward > 0", name="reward"),
    CheckConstraint("state IN ('open', 'grabbed', 'completed', 'verified')", name="state"),
    CheckConstraint("source IN ('photo_report', 'inspection')", name="source"),
    Index("ix_problem_orders_tenant_state_category", "tenant_id", "state", "category"),
)

order_lapses = Table(
    "order_lapses",
    metadata,
    Column("tenant_id", Uuid, primary_key=True),
    Column("id", Uuid, primary_key=True),
    Column("order_id", Uuid, nullable=False),
    Column("department_id", Uuid, nullable=False),
    Column("grabbed_at", core.Timestamp, nullable=False),
    Column("deadline", core.Timestamp, nullable=False),
    Column("reopened_at", core.Timestamp, nullable=False),
    ForeignKeyConstraint(["tenant_id", "order_id"],
                         [problem_orders.c.tenant_id, problem_orders.c.id]),
    _subject_fk("department_id"),
    UniqueConstraint("tenant_id", "order_id", "deadline"),
)
