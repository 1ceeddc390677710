"""jifen-merchant-redemption: redemption of material points at merchants (JF-RED-*, JF-FUND-2).

This module is the plugin (entry point ``jifen`` → ``merchant_redemption``): it registers the
``settled`` account type, the plugin's Alembic branch, the ``jifen merchants`` commands, and through
``register_routers`` its HTTP endpoints and the merchant page.
The API is `MerchantRedemption` (in `jifen_merchant_redemption.service`); the modules hold:

- ``rules``: the integer arithmetic of caps, quotes and refunds, and the category defaults;
- ``merchants``: enrolment and lookup of merchants;
- ``redemption`` / ``refunds`` / ``settlement``: the work each write runs in its transaction;
- ``models``: the value types; ``errors``: the error codes; ``tables``: the plugin's tables;
- ``access``: who may act for a merchant; ``api``: the HTTP endpoints; ``pages`` and
  ``templates/``: the merchant page (the till);
- ``cli``: the ``jifen merchants`` command group; ``migrations/``: the Alembic branch.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from jifen import hookimpl
from jifen.model import AccountType

from .models import Merchant, Redemption, Refund, ReportLine, SettlementLine, SettlementReport
from .rules import DEFAULT_CAPS, DEFAULT_REFUND_WINDOW_DAYS, Quote
from .service import MerchantRedemption

if TYPE_CHECKING:
    import typer
    from fastapi import APIRouter
    from rich.console import Console

    from jifen.clock import MovableClock
    from jifen.platform import Platform

MIGRATIONS = Path(__file__).parent / "migrations"

__all__ = ["DEFAULT_CAPS", "DEFAULT_REFUND_WINDOW_DAYS", "MIGRATIONS", "Merchant",
           "MerchantRedemption", "Quote", "Redemption", "Refund", "ReportLine",
           "SettlementLine", "SettlementReport"]


@hookimpl
def register_account_types(register: Callable[[AccountType], None]) -> None:
    # JF-FUND-2: settled points leave the merchant's settlement account for the pool's
    # ``settled:material:<pool>`` account, whose balance is what the pool has settled.
    register(AccountType(name="settled", label="settled redemptions", system=True))


@hookimpl
def register_migrations(register: Callable[[Path], None]) -> None:
    register(MIGRATIONS)


@hookimpl
def register_commands(app: typer.Typer) -> None:
    from .cli import merchants_app

    if not any(group.name == "merchants" for group in app.registered_groups):
        app.add_typer(merchants_app, name="merchants")


@hookimpl
def register_routers(register: Callable[[APIRouter, str], None]) -> None:
    """The endpoints under ``/v1/tenants/{tenant}/merchants`` and ``…/settlements``, and the
    merchant page under ``/t/{tenant}/merchant``."""
    from . import api, pages

    register(api.merchants_router, api.MERCHANTS)
    register(api.settlements_router, api.SETTLEMENTS)
    register(pages.router, pages.PREFIX)


@hookimpl
def seed_demo(platform: Platform, tenant_id: uuid.UUID, clock: MovableClock,
              console: Console) -> None:
    """`jifen demo`: July purchases, a refund and the settlement (see ``demo``)."""
    from .demo import seed

    seed(platform, tenant_id, clock, console)
