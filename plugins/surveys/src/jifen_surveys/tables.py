"""The plugin's own tables, in its own MetaData; the Alembic branch ``surveys`` creates them.

Like the core's, every primary key and every foreign key leads with ``tenant_id`` (JF-ORG-1).
Foreign keys point at the core's tables (tenants, subjects, pools, transactions).
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKeyConstraint,
    Integer,
    String,
    Table,
    UniqueConstraint,
    Uuid,
)

from jifen.store import tables as core

metadata = core.plugin_metadata()

surveys = Table(
    "surveys",
    metadata,
    Column("tenant_id", Uuid, primary_key=True),
    Column("id", Uuid, primary_key=True),
    Column("code", String(64), nullable=False),
    Column("title", String(200), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("organiser", String(200), nullable=False),
    Column("pool", String(64), nullable=False),
    Column("reward", BigInteger, nullable=False),
    Column("max_rewarded", Integer, nullable=True),
    Column("pass_mark", Integer, nullable=True),
    Column("questions", JSON, nullable=False),
    Column("opens_at", core.Timestamp, nullable=False),
    Column("closes_at", core.Timestamp, nullable=False),
    Column("created_at", core.Timestamp, nullable=False),
    ForeignKeyConstraint(["tenant_id"], [core.tenants.c.id]),
    ForeignKeyConstraint(["tenant_id", "pool"], [core.pools.c.tenant_id, core.pools.c.code]),
    UniqueConstraint("tenant_id", "code"),
    CheckConstraint("reward > 0", name="reward"),
)

survey_responses = Table(
    "survey_responses",
    metadata,
    Column("tenant_id", Uuid, primary_key=True),
    Column("id", Uuid, primary_key=True),
    Column("survey_id", Uuid, nullable=False),
    Column("subject_id", Uuid, nullable=False),
    Column("idempotency_key", String(200), nullable=False),
    Column("answers", JSON, nullable=False),
    Column("correct", Integer, nullable=True),
    Column("passed", Boolean, nullable=True),
    Column("reward", BigInteger, nullable=False),
    Column("not_rewarded", String(32), nullable=True),
    Column("transaction_id", Uuid, nullable=True),
    Column("answered_at", core.Timestamp, nullable=False),
    ForeignKeyConstraint(["tenant_id", "survey_id"], [surveys.c.tenant_id, surveys.c.id]),
    ForeignKeyConstraint(["tenant_id", "subject_id"],
                         [core.subjects.c.tenant_id, core.subjects.c.id]),
    ForeignKeyConstraint(["tenant_id", "transaction_id"],
                         [core.transactions.c.tenant_id, core.transactions.c.id]),
    # JF-ENG-1: one response (so at most one reward) per resident per survey, under any concurrency.
    UniqueConstraint("tenant_id", "survey_id", "subject_id"),
    UniqueConstraint("tenant_id", "idempotency_key"),
)
