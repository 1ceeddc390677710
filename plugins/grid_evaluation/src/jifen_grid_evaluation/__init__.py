"""jifen-grid-evaluation: grid-worker monthly evaluation (一月一评定、一月一奖励): a published
formula, grades and material rewards from a funding pool (JF-GRID-1, JF-GRID-2).

The plugin implements four hooks: ``register_migrations`` (its tables, in the Alembic branch
``grid_evaluation``), ``register_commands`` (the ``jifen grid`` command group),
``register_routers`` (its HTTP endpoints, `jifen_grid_evaluation.api`) and ``seed_demo`` (six
grid workers of the demo city evaluated for July 2024). Everything else is plain Python on
jifen's public API: :class:`GridEvaluation` on a `Platform`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from jifen import hookimpl
from jifen_grid_evaluation.csvfile import MetricsRow, load_metrics_csv
from jifen_grid_evaluation.errors import (
    AlreadyEvaluated,
    AlreadyRated,
    CorrectionUnchanged,
    InvalidFormula,
    InvalidLevel,
    InvalidMetrics,
    InvalidMonth,
    MonthNotEnded,
    NoPool,
    NotAGrid,
    NotAGridWorker,
    NotAResident,
    NotEvaluated,
)
from jifen_grid_evaluation.model import (
    Correction,
    Evaluation,
    EvaluationReport,
    Formula,
    GradeRule,
    Metrics,
    PublishedFormula,
    RankingEntry,
    RankingGroup,
    Worker,
)
from jifen_grid_evaluation.ratings import Rating
from jifen_grid_evaluation.scoring import score
from jifen_grid_evaluation.service import GridEvaluation, load_formula, reward_key

if TYPE_CHECKING:
    from fastapi import APIRouter
    from rich.console import Console

    from jifen.clock import MovableClock
    from jifen.platform import Platform

__all__ = [
    "AlreadyEvaluated",
    "AlreadyRated",
    "Correction",
    "CorrectionUnchanged",
    "Evaluation",
    "EvaluationReport",
    "Formula",
    "GradeRule",
    "GridEvaluation",
    "InvalidFormula",
    "InvalidLevel",
    "InvalidMetrics",
    "InvalidMonth",
    "Metrics",
    "MetricsRow",
    "MonthNotEnded",
    "NoPool",
    "NotAGrid",
    "NotAGridWorker",
    "NotAResident",
    "NotEvaluated",
    "PublishedFormula",
    "RankingEntry",
    "RankingGroup",
    "Rating",
    "Worker",
    "load_formula",
    "load_metrics_csv",
    "reward_key",
    "score",
]


@hookimpl
def register_migrations(register: Callable[[Path], None]) -> None:
    """The plugin's Alembic branch ``grid_evaluation`` (``grid_metrics``, ``grid_formulas``,
    ``grid_evaluations``)."""
    register(Path(__file__).parent / "migrations")


@hookimpl
def register_commands(app: typer.Typer) -> None:
    """The ``jifen grid`` command group."""
    from jifen_grid_evaluation.cli import app as grid_app  # imported only when the CLI starts

    app.add_typer(grid_app, name="grid")


@hookimpl
def register_routers(register: Callable[[APIRouter, str], None]) -> None:
    """The HTTP endpoints under ``/v1/tenants/{tenant}/grid`` (`jifen_grid_evaluation.api`)."""
    from jifen_grid_evaluation.api import PREFIX, router

    register(router, PREFIX)


@hookimpl
def seed_demo(platform: Platform, tenant_id: uuid.UUID, clock: MovableClock,
              console: Console) -> None:
    """Six grid workers of the demo city, evaluated and ranked for July 2024."""
    from jifen_grid_evaluation.demo import seed

    seed(platform, tenant_id, clock, console)
