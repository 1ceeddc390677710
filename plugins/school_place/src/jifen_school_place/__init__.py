"""jifen-school-place: school-place upgrades (品德积分助力学位升级) — a quota round per school and
place type, ranked by the score a child uses (a guardian's, JF-SUB-2), with a lottery from a
published seed on ties, a public list with masked names and objections (JF-SCN-3, JF-DUE-2,
JF-DUE-4, JF-PRIV-4).

The plugin is thin: it registers one scenario, ``school-place-upgrade``, allocated by the
core's built-in ``quota_round`` mode, and adds the words of the education bureau on top of
``platform.scenarios`` (:class:`SchoolPlaces`), the ``jifen school-place`` commands and its
part of ``jifen demo``, and its HTTP endpoints (`jifen_school_place.api`). Hooks:
``register_scenarios``, ``register_commands``, ``register_routers``, ``seed_demo``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING

import typer
from fastapi import APIRouter

from jifen import hookimpl
from jifen.scenarios import ScenarioSpec
from jifen_school_place.errors import GuardianApplies, InvalidRoundFile, UnknownEntry
from jifen_school_place.model import (
    MIN_SCORE,
    SCENARIO,
    SPEC,
    PlaceUpgrade,
    SchoolRound,
    parse_slot,
    slot,
)
from jifen_school_place.service import SchoolPlaces, load_round

if TYPE_CHECKING:
    from rich.console import Console

    from jifen.clock import MovableClock
    from jifen.platform import Platform

__all__ = [
    "MIN_SCORE",
    "SCENARIO",
    "SPEC",
    "GuardianApplies",
    "InvalidRoundFile",
    "PlaceUpgrade",
    "SchoolPlaces",
    "SchoolRound",
    "UnknownEntry",
    "load_round",
    "parse_slot",
    "slot",
]


@hookimpl
def register_scenarios(register: Callable[[ScenarioSpec], None]) -> None:
    """The scenario ``school-place-upgrade`` (quota round, JF-SCN-1, JF-SCN-3)."""
    register(SPEC)


@hookimpl
def register_commands(app: typer.Typer) -> None:
    """The ``jifen school-place`` command group."""
    from jifen_school_place.cli import app as school_app  # imported only when the CLI starts

    app.add_typer(school_app, name="school-place")


@hookimpl
def register_routers(register: Callable[[APIRouter, str], None]) -> None:
    """The endpoints under ``/v1/tenants/{tenant}/school-place``."""
    from jifen_school_place.api import PREFIX, router

    register(router, PREFIX)


@hookimpl
def seed_demo(platform: Platform, tenant_id: uuid.UUID, clock: MovableClock,
              console: Console) -> None:
    """`jifen demo`: a round of 15 upgrades 2-A → 1-A that 武小朵 wins (see
    `jifen_school_place.demo`)."""
    from jifen_school_place.demo import seed

    seed(platform, tenant_id, clock, console)
