"""jifen-bank-vip: a partner bank's VIP lane for residents at or above a score (JF-SCN-2).

A threshold-mode scenario: a resident whose contribution score is at or above the threshold,
and who consents, gets a short-lived verify-benefit code (text and QR); the bank verifies it
offline with the tenant's public key and learns only ``VIP lane: valid until <date>``
(JF-CODE-2, JF-PRIV-2).

The plugin implements four hooks — ``register_scenarios`` (the scenario), ``register_commands``
(``jifen bank-vip``), ``register_routers`` (``/v1/tenants/{tenant}/bank-vip``, see
`jifen_bank_vip.api`) and ``seed_demo`` — and is otherwise plain Python on jifen's public API:
:class:`BankVip` on a `Platform`, :func:`verify_vip_code` for the bank.
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
from jifen_bank_vip.errors import NotAVipCode
from jifen_bank_vip.scenario import BANK, BENEFIT, SCENARIO, SPEC, THRESHOLD
from jifen_bank_vip.service import (
    BankVip,
    VipPass,
    qr,
    verify_vip_code,
)

if TYPE_CHECKING:
    from rich.console import Console

    from jifen.clock import MovableClock
    from jifen.platform import Platform

__all__ = [
    "BANK",
    "BENEFIT",
    "SCENARIO",
    "SPEC",
    "THRESHOLD",
    "BankVip",
    "NotAVipCode",
    "VipPass",
    "keys_document",
    "load_public_keys",
    "qr",
    "verify_vip_code",
]


@hookimpl
def register_scenarios(register: Callable[[ScenarioSpec], None]) -> None:
    """The scenario ``bank-vip`` (threshold mode, JF-SCN-2)."""
    register(SPEC)


@hookimpl
def register_commands(app: typer.Typer) -> None:
    """The ``jifen bank-vip`` command group."""
    from jifen_bank_vip.cli import app as bank_vip_app  # imported only when the CLI starts

    app.add_typer(bank_vip_app, name="bank-vip")


@hookimpl
def register_routers(register: Callable[[APIRouter, str], None]) -> None:
    """The endpoints ``/v1/tenants/{tenant}/bank-vip/code`` and ``…/verify``."""
    from jifen_bank_vip.api import PREFIX, router

    register(router, PREFIX)


@hookimpl
def seed_demo(platform: Platform, tenant_id: uuid.UUID, clock: MovableClock,
              console: Console) -> None:
    """`jifen demo`: 武先生 shows a VIP-lane code at the bank (see `jifen_bank_vip.demo`)."""
    from jifen_bank_vip.demo import seed

    seed(platform, tenant_id, clock, console)
