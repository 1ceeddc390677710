"""Grid-worker evaluation over HTTP under ``/v1/tenants/{tenant}/grid`` (JF-GRID-1, JF-GRID-2),
mounted by the ``register_routers`` hook.

Residents rate their own grid's worker once a month; operators record the month's other
metrics, run the month's evaluation (re-running it rewards no one twice) and correct an
evaluated month; a grid worker reads their own evaluations, operators and auditors everyone's.
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from jifen.api.deps import Context, TenantAuth
from jifen.api.problems import PROBLEM_RESPONSES
from jifen.errors import Forbidden, NotFound
from jifen_grid_evaluation import rows
from jifen_grid_evaluation.model import (
    Correction,
    Evaluation,
    EvaluationReport,
    Metrics,
    PublishedFormula,
)
from jifen_grid_evaluation.ratings import Rating
from jifen_grid_evaluation.service import GridEvaluation

PREFIX = "/v1/tenants/{tenant}/grid"
router = APIRouter(tags=["grid evaluation"], responses=PROBLEM_RESPONSES)
OPERATOR = "operator"
MONTH = Field(pattern=r"^\d{4}-\d{2}$", description="YYYY-MM", examples=["2024-08"])


class RatingIn(BaseModel):
    """A resident's rating of a grid worker of their own grid, for the current month."""

    model_config = ConfigDict(extra="forbid")

    worker: str = Field(min_length=1, max_length=64, description="the grid worker's code")
    rating: int = Field(ge=1, le=5)


class MetricsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    worker: str = Field(min_length=1, max_length=64)
    month: str = MONTH
    metrics: Metrics


class WorkerMetrics(BaseModel):
    """A worker's metrics of a month as stored: the recorded ones plus residents' ratings."""

    worker: str
    month: str
    metrics: Metrics


class MonthIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    month: str = MONTH


class CorrectionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    worker: str = Field(min_length=1, max_length=64)
    month: str = MONTH
    metrics: Metrics
    reason: str = Field(min_length=1, max_length=1000)


def _worker_id(ctx: Context, code: str) -> uuid.UUID:
    with ctx.platform.db.read() as conn:
        found = rows.worker_by(conn, ctx.tenant_id, "code", code)
    if found is None:
        raise NotFound(f"no grid worker {code!r}", worker=code)
    return found


@router.get("/formula", response_model=PublishedFormula)
def formula(ctx: TenantAuth) -> PublishedFormula:
    """The published formula in force: weights, targets, grades and their rewards."""
    return GridEvaluation(ctx.platform).formula(ctx.tenant_id)


@router.post("/ratings", response_model=Rating, status_code=201)
def rate(body: RatingIn, ctx: TenantAuth) -> Rating:
    """A resident rates a worker of their own grid, 1–5, once this month (409
    `grid.already_rated`); a worker of another grid is 404 like an unknown one."""
    if not ctx.principal.has("resident"):
        raise Forbidden("grid workers are rated by residents (JF-GRID-1)")
    return GridEvaluation(ctx.platform).rate(ctx.tenant_id, ctx.actor, body.worker, body.rating)


@router.post("/metrics", response_model=WorkerMetrics)
def record_metrics(body: MetricsIn, ctx: TenantAuth) -> WorkerMetrics:
    """Record (replace) a worker's metrics of a month before it is evaluated (operators);
    the residents' ratings given on the platform are added to the ratings recorded."""
    ctx.require(OPERATOR)
    grid = GridEvaluation(ctx.platform)
    worker_id = _worker_id(ctx, body.worker)
    grid.record_metrics(ctx.tenant_id, worker_id, body.month, body.metrics,
                        recorded_by=ctx.principal.sub)
    return WorkerMetrics(worker=body.worker, month=body.month,
                         metrics=grid.metrics(ctx.tenant_id, worker_id, body.month))


@router.post("/evaluations", response_model=EvaluationReport)
def evaluate(body: MonthIn, ctx: TenantAuth) -> EvaluationReport:
    """Evaluate and reward every grid worker for an ended month (operators); a second run
    evaluates and rewards no one (JF-GRID-2). 409 `grid.month_not_ended` before its end."""
    ctx.require(OPERATOR)
    return GridEvaluation(ctx.platform).evaluate(ctx.tenant_id, body.month,
                                                 evaluated_by=ctx.principal.sub)


@router.get("/evaluations", response_model=list[Evaluation])
def evaluations(ctx: TenantAuth, month: str, worker: str | None = None,
                all_revisions: bool = False) -> list[Evaluation]:
    """A month's evaluations: operators and auditors see everyone's (or ``worker``'s), a grid
    worker their own; with ``all_revisions`` the superseded ones too."""
    if ctx.principal.has(OPERATOR, "auditor"):
        worker_id = None if worker is None else _worker_id(ctx, worker)
    elif ctx.principal.has("grid_worker"):
        worker_id = ctx.actor
    else:
        raise Forbidden("evaluations are read by the worker and by operators and auditors")
    return GridEvaluation(ctx.platform).evaluations(ctx.tenant_id, month, worker_id=worker_id,
                                                    include_superseded=all_revisions)


@router.post("/corrections", response_model=Correction)
def correct(body: CorrectionIn, ctx: TenantAuth) -> Correction:
    """Correct a worker's evaluated month (operators): the current reward is reversed and the
    next revision's posted, with the reason (JF-GRID-2)."""
    ctx.require(OPERATOR)
    return GridEvaluation(ctx.platform).correct(ctx.tenant_id, _worker_id(ctx, body.worker),
                                                body.month, body.metrics, body.reason,
                                                ctx.principal.sub)
