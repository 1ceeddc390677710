"""jifen-surveys: surveys and quizzes that reward material points from a funding pool (JF-ENG-1).

The plugin implements four hooks: ``register_migrations`` (its tables, in the Alembic branch
``surveys``), ``register_commands`` (the ``jifen surveys`` command group), ``register_routers``
(its HTTP endpoints, `jifen_surveys.api`) and ``seed_demo``. Everything else is plain Python on
jifen's public API: :class:`Surveys` on a `Platform`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from jifen import hookimpl

if TYPE_CHECKING:
    from fastapi import APIRouter
    from rich.console import Console

    from jifen.clock import MovableClock
    from jifen.platform import Platform
from jifen_surveys.errors import (
    AlreadyAnswered,
    InvalidDefinition,
    MissingAnswer,
    SurveyExists,
    SurveyNotOpen,
    UnknownChoice,
    UnknownQuestion,
)
from jifen_surveys.model import (
    Question,
    QuestionResults,
    Survey,
    SurveyDefinition,
    SurveyResponse,
    SurveyResults,
)
from jifen_surveys.service import Surveys, export_columns, load_definition

__all__ = [
    "AlreadyAnswered",
    "InvalidDefinition",
    "MissingAnswer",
    "Question",
    "QuestionResults",
    "Survey",
    "SurveyDefinition",
    "SurveyExists",
    "SurveyNotOpen",
    "SurveyResponse",
    "SurveyResults",
    "Surveys",
    "UnknownChoice",
    "UnknownQuestion",
    "export_columns",
    "load_definition",
]


@hookimpl
def register_migrations(register: Callable[[Path], None]) -> None:
    """The plugin's Alembic branch ``surveys`` (tables ``surveys`` and ``survey_responses``)."""
    register(Path(__file__).parent / "migrations")


@hookimpl
def register_commands(app: typer.Typer) -> None:
    """The ``jifen surveys`` command group."""
    from jifen_surveys.cli import app as surveys_app  # imported only when the CLI starts

    app.add_typer(surveys_app, name="surveys")


@hookimpl
def register_routers(register: Callable[[APIRouter, str], None]) -> None:
    """The HTTP endpoints under ``/v1/tenants/{tenant}/surveys`` (`jifen_surveys.api`)."""
    from jifen_surveys.api import PREFIX, router

    register(router, PREFIX)


@hookimpl
def seed_demo(platform: Platform, tenant_id: uuid.UUID, clock: MovableClock,
              console: Console) -> None:
    """`jifen demo`: a July quiz in the demo city (see `jifen_surveys.demo`)."""
    from jifen_surveys.demo import seed

    seed(platform, tenant_id, clock, console)
