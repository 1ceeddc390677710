"""jifen-hospital-priority: priority specialist appointments (优先挂专家号, JF-SCN-4).

A capacity-mode scenario: a daily quota of priority slots per hospital department, at most K
bookings per resident per month, a minimum contribution score and the resident's consent. A
booked slot is confirmed to the hospital by a verify-benefit code that the hospital checks
offline with the tenant's public key, learning only the benefit and its validity (JF-CODE-2).

The plugin implements four hooks — ``register_scenarios`` (the scenario), ``register_commands``
(``jifen hospital``), ``register_routers`` (``/v1/tenants/{tenant}/hospital``, see
`jifen_hospital_priority.api`) and ``seed_demo`` — and is otherwise plain Python on jifen's public API:
:class:`HospitalPriority` on a `Platform`, :func:`verify_confirmation` for the hospital.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING

import typer
from fastapi import APIRouter

from jifen import hookimpl
from jifen.codes import keys_document, load_public_keys
from jifen.scenarios import ScenarioSpec
from jifen_hospital_priority.errors import NotASlotConfirmation, OtherHospital
from jifen_hospital_priority.scenario import (
    BENEFIT,
    DAILY_QUOTA,
    DEPARTMENTS,
    HOSPITAL,
    MAX_USES_PER_MONTH,
    MIN_SCORE,
    SCENARIO,
    SPEC,
)
from jifen_hospital_priority.service import (
    HospitalPriority,
    SlotConfirmation,
    verify_confirmation,
)

if TYPE_CHECKING:
    from rich.console import Console

    from jifen.clock import MovableClock
    from jifen.platform import Platform

__all__ = [
    "BENEFIT",
    "DAILY_QUOTA",
    "DEPARTMENTS",
    "HOSPITAL",
    "MAX_USES_PER_MONTH",
    "MIN_SCORE",
    "SCENARIO",
    "SPEC",
    "HospitalPriority",
    "NotASlotConfirmation",
    "OtherHospital",
    "SlotConfirmation",
    "keys_document",
    "load_public_keys",
    "verify_confirmation",
]


@hookimpl
def register_scenarios(register: Callable[[ScenarioSpec], None]) -> None:
    """The scenario ``hospital-priority`` (capacity mode, JF-SCN-4)."""
    register(SPEC)


@hookimpl
def register_commands(app: typer.Typer) -> None:
    """The ``jifen hospital`` command group."""
    from jifen_hospital_priority.cli import app as hospital_app  # only when the CLI starts

    app.add_typer(hospital_app, name="hospital")


@hookimpl
def register_routers(register: Callable[[APIRouter, str], None]) -> None:
    """The endpoints under ``/v1/tenants/{tenant}/hospital``."""
    from jifen_hospital_priority.api import PREFIX, router

    register(router, PREFIX)


@hookimpl
def seed_demo(platform: Platform, tenant_id: uuid.UUID, clock: MovableClock,
              console: Console) -> None:
    """`jifen demo`: two residents book priority slots (see `jifen_hospital_priority.demo`)."""
    from jifen_hospital_priority.demo import seed

    seed(platform, tenant_id, clock, console)
