"""Reading and writing the plugin's rows, inside a caller's connection (no transactions here)."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, RowMapping, func, insert, select, update

from jifen.store import tables as core
from jifen_grid_evaluation import tables as t
from jifen_grid_evaluation.model import Evaluation, Formula, Metrics, PublishedFormula, Worker

WORKER_TYPE = "grid_worker"
METRIC_FIELDS = tuple(Metrics.model_fields)


# --- workers -----------------------------------------------------------------------------

def workers(conn: Connection, tenant_id: uuid.UUID,
            ids: Collection[uuid.UUID] | None = None) -> list[Worker]:
    """The tenant's grid workers (or those of ``ids``), by code, with their unit's code."""
    s, u = core.subjects, core.org_units
    query = (select(s.c.id, s.c.code, s.c.name, u.c.code.label("grid"))
             .join(u, (u.c.tenant_id == s.c.tenant_id) & (u.c.id == s.c.org_unit_id))
             .where(s.c.tenant_id == tenant_id, s.c.type == WORKER_TYPE).order_by(s.c.code))
    if ids is not None:
        query = query.where(s.c.id.in_(list(ids)))
    return [Worker.model_validate(dict(row)) for row in conn.execute(query).mappings()]


def worker_by(conn: Connection, tenant_id: uuid.UUID, column: str, value: str) -> uuid.UUID | None:
    """The id of the grid worker whose ``code`` or ``external_ref`` is ``value``, if any."""
    s = core.subjects
    return conn.execute(select(s.c.id).where(s.c.tenant_id == tenant_id, s.c.type == WORKER_TYPE,
                                             s.c[column] == value)).scalar()


# --- formulas ----------------------------------------------------------------------------

def latest_formula(conn: Connection, tenant_id: uuid.UUID) -> PublishedFormula:
    """The formula in force: the latest published version, else the default (version 0)."""
    f = t.grid_formulas
    row = conn.execute(select(f).where(f.c.tenant_id == tenant_id)
                       .order_by(f.c.version.desc()).limit(1)).mappings().first()
    return _published(row) if row else PublishedFormula(version=0, formula=Formula())


def formula_version(conn: Connection, tenant_id: uuid.UUID, version: int) -> PublishedFormula:
    """A formula by its version (0: the plugin's default)."""
    if version == 0:
        return PublishedFormula(version=0, formula=Formula())
    f = t.grid_formulas
    row = conn.execute(select(f).where(f.c.tenant_id == tenant_id, f.c.version == version)
                       ).mappings().one()
    return _published(row)


def insert_formula(conn: Connection, tenant_id: uuid.UUID, version: int, formula: Formula,
                   at: datetime, by: str) -> PublishedFormula:
    conn.execute(insert(t.grid_formulas).values(
        tenant_id=tenant_id, version=version, definition=formula.model_dump(mode="json"),
        published_at=at, published_by=by))
    return PublishedFormula(version=version, formula=formula, published_at=at, published_by=by)


def _published(row: RowMapping) -> PublishedFormula:
    return PublishedFormula(version=row["version"],
                            formula=Formula.model_validate(row["definition"]),
                            published_at=row["published_at"], published_by=row["published_by"])


# --- metrics -----------------------------------------------------------------------------

def month_metrics(conn: Connection, tenant_id: uuid.UUID, month: str,
                  ids: Collection[uuid.UUID] | None = None) -> dict[uuid.UUID, Metrics]:
    """The recorded metrics of a month, per worker (workers without a row are left out)."""
    m = t.grid_metrics
    query = select(m).where(m.c.tenant_id == tenant_id, m.c.month == month)
    if ids is not None:
        query = query.where(m.c.worker_id.in_(list(ids)))
    return {row["worker_id"]: Metrics(**{k: row[k] for k in METRIC_FIELDS})
            for row in conn.execute(query).mappings()}


def upsert_metrics(conn: Connection, tenant_id: uuid.UUID, worker_id: uuid.UUID, month: str,
                   metrics: Metrics, at: datetime, by: str) -> None:
    """Insert or replace a worker's metrics for a month."""
    m = t.grid_metrics
    key = (m.c.tenant_id == tenant_id) & (m.c.worker_id == worker_id) & (m.c.month == month)
    values = {**metrics.model_dump(), "recorded_at": at, "recorded_by": by}
    if conn.execute(select(m.c.month).where(key)).first() is None:
        conn.execute(insert(m).values(tenant_id=tenant_id, worker_id=worker_id, month=month,
                                      **values))
    else:
        conn.execute(update(m).where(key).values(**values))


# --- evaluations -------------------------------------------------------------------------

def evaluated_ids(conn: Connection, tenant_id: uuid.UUID, month: str,
                  ids: Collection[uuid.UUID] | None = None) -> set[uuid.UUID]:
    """The workers with an evaluation of ``month`` (among ``ids``, if given)."""
    e = t.grid_evaluations
    query = select(e.c.worker_id).where(e.c.tenant_id == tenant_id, e.c.month == month,
                                        e.c.revision == 1)
    if ids is not None:
        query = query.where(e.c.worker_id.in_(list(ids)))
    return set(conn.execute(query).scalars())


def evaluations(conn: Connection, tenant_id: uuid.UUID, month: str, *,
                worker_id: uuid.UUID | None = None, current_only: bool = True,
                lock: bool = False) -> list[Evaluation]:
    """A month's evaluations (the current revisions unless told otherwise), by worker and
    revision."""
    e = t.grid_evaluations
    query = select(e).where(e.c.tenant_id == tenant_id, e.c.month == month)
    if worker_id is not None:
        query = query.where(e.c.worker_id == worker_id)
    if current_only:
        query = query.where(e.c.state == "current")
    if lock and conn.dialect.name != "sqlite":  # SQLite serialises writers already
        query = query.with_for_update()
    rows = conn.execute(query.order_by(e.c.worker_id, e.c.revision)).mappings()
    return [_evaluation(row) for row in rows]


def evaluation_row(tenant_id: uuid.UUID, evaluation: Evaluation) -> dict[str, Any]:
    """The table row of an evaluation."""
    row = evaluation.model_dump(exclude={"score", "metrics"})
    return {"tenant_id": tenant_id, **row, "metrics": evaluation.metrics.model_dump(),
            "score_tenths": int(evaluation.score * 10)}


def supersede(conn: Connection, tenant_id: uuid.UUID, evaluation_id: uuid.UUID, at: datetime,
              by: str, reason: str) -> None:
    e = t.grid_evaluations
    conn.execute(update(e).where(e.c.tenant_id == tenant_id, e.c.id == evaluation_id).values(
        state="superseded", superseded_at=at, superseded_by=by, superseded_reason=reason))


def _evaluation(row: RowMapping) -> Evaluation:
    values = dict(row)
    values.pop("tenant_id")
    values["score"] = Decimal(values.pop("score_tenths")).scaleb(-1)
    return Evaluation.model_validate(values)


# --- the org tree ------------------------------------------------------------------------

def units(conn: Connection, tenant_id: uuid.UUID) -> dict[uuid.UUID, RowMapping]:
    """Every org unit of the tenant, by id."""
    u = core.org_units
    return {row["id"]: row for row in conn.execute(
        select(u.c.id, u.c.code, u.c.name, u.c.level, u.c.path).where(
            u.c.tenant_id == tenant_id)).mappings()}


def worker_units(conn: Connection, tenant_id: uuid.UUID,
                 ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID]:
    """Each worker's org unit."""
    s = core.subjects
    return dict(conn.execute(select(s.c.id, s.c.org_unit_id).where(
        s.c.tenant_id == tenant_id, s.c.id.in_(list(ids)))).all())


def next_formula_version(conn: Connection, tenant_id: uuid.UUID) -> int:
    f = t.grid_formulas
    found = conn.execute(select(func.max(f.c.version)).where(f.c.tenant_id == tenant_id)).scalar()
    return int(found or 0) + 1

