"""The plugin's own tables, in its own MetaData; the Alembic branch ``grid_evaluation`` creates
them.

Like the core's, every primary key and every foreign key leads with ``tenant_id`` (JF-ORG-1).
Foreign keys point at the core's tables (tenants, subjects, pools, transactions).

- ``grid_metrics``: one row per worker and month, upserted until the month is evaluated.
- ``grid_formulas``: the published formulas of a tenant, one row per version (JF-GRID-1).
- ``grid_evaluations``: one row per worker, month and revision; a correction marks the current
  row superseded (with its reason) and adds the next revision (JF-GRID-2).
- ``grid_ratings``: one row per resident, worker and month: a resident's 1–5 rating of their
  grid's worker, given once a month through the HTTP API (JF-GRID-1).
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
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

grid_metrics = Table(
    "grid_metrics",
    metadata,
    Column("tenant_id", Uuid, primary_key=True),
    Column("worker_id", Uuid, primary_key=True),
    Column("month", String(7), primary_key=True),
    Column("orders_done", Integer, nullable=False),
    Column("ratings_count", Integer, nullable=False),
    Column("ratings_sum", Integer, nullable=False),
    Column("responses_count", Integer, nullable=False),
    Column("response_minutes", BigInteger, nullable=False),
    Column("inspections", Integer, nullable=False),
    Column("recorded_at", core.Timestamp, nullable=False),
    Column("recorded_by", String(200), nullable=False),
    ForeignKeyConstraint(["tenant_id", "worker_id"],
                         [core.subjects.c.tenant_id, core.subjects.c.id]),
)

grid_formulas = Table(
    "grid_formulas",
    metadata,
    Column("tenant_id", Uuid, primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("definition", JSON, nullable=False),
    Column("published_at", core.Timestamp, nullable=False),
    Column("published_by", String(200), nullable=False),
    ForeignKeyConstraint(["tenant_id"], [core.tenants.c.id]),
    CheckConstraint("version > 0", name="version"),
)

grid_evaluations = Table(
    "grid_evaluations",
    metadata,
    Column("tenant_id", Uuid, primary_key=True),
    Column("id", Uuid, primary_key=True),
    Column("worker_id", Uuid, nullable=False),
    Column("month", String(7), nullable=False),
    Column("revision", Integer, nullable=False),
    Column("state", String(16), nullable=False),
    Column("formula_version", Integer, nullable=False),
    Column("metrics", JSON, nullable=False),
    Column("score_tenths", Integer, nullable=False),
    Column("grade", String(8), nullable=False),
    Column("reward", BigInteger, nullable=False),
    Column("pool", String(64), nullable=True),
    Column("transaction_id", Uuid, nullable=True),
    Column("evaluated_at", core.Timestamp, nullable=False),
    Column("evaluated_by", String(200), nullable=False),
    Column("reason", String(1000), nullable=False),
    Column("superseded_at", core.Timestamp, nullable=True),
    Column("superseded_by", String(200), nullable=True),
    Column("superseded_reason", String(1000), nullable=True),
    ForeignKeyConstraint(["tenant_id", "worker_id"],
                         [core.subjects.c.tenant_id, core.subjects.c.id]),
    ForeignKeyConstraint(["tenant_id", "pool"], [core.pools.c.tenant_id, core.pools.c.code]),
    ForeignKeyConstraint(["tenant_id", "transaction_id"],
                         [core.transactions.c.tenant_id, core.transactions.c.id]),
    # JF-GRID-2: one row per revision, so two runs cannot both evaluate a worker's month.
    UniqueConstraint("tenant_id", "worker_id", "month", "revision"),
    Index("ix_grid_evaluations_tenant_id_month", "tenant_id", "month"),
    CheckConstraint("score_tenths BETWEEN 0 AND 1000", name="score"),
    CheckConstraint("state IN ('current', 'superseded')", name="state"),
    CheckConstraint("reward >= 0", name="reward"),
)

grid_ratings = Table(
    "grid_ratings",
    metadata,
    Column("tenant_id", Uuid, primary_key=True),
    Column("worker_id", Uuid, primary_key=True),
    Column("month", String(7), primary_key=True),
    Column("resident_id", Uuid, primary_key=True),
    Column("rating", Integer, nullable=False),
    Column("rated_at", core.Timestamp, nullable=False),
    ForeignKeyConstraint(["tenant_id", "worker_id"],
                         [core.subjects.c.tenant_id, core.subjects.c.id]),
    ForeignKeyConstraint(["tenant_id", "resident_id"],
                         [core.subjects.c.tenant_id, core.subjects.c.id]),
    CheckConstraint("rating BETWEEN 1 AND 5", name="rating"),
)
