"""jifen-order-grabbing: the problem list with order grabbing (网格下单、全员抢单, JF-ORD-1..4).

Communities post problems as orders, departments whose remit covers the category grab them
(exactly one grab wins), complete them with evidence, and are rewarded from a funding pool
when the community — and the reporting resident, if any — verifies; overdue orders reopen, and
department points per period give the assessment ranking (考核).

The plugin implements six hooks: ``register_migrations`` (its tables, in the Alembic branch
``order_grabbing``), ``register_commands`` (the ``jifen orders`` command group),
``register_catalogue_items`` (the reporter's reward ``order.report_verified``),
``register_routers`` (its HTTP endpoints, `jifen_order_grabbing.api`), ``register_jobs``
(``orders.reopen_overdue``) and ``seed_demo`` (a month of orders in the demo city).
Everything else is plain Python on jifen's public API: :class:`Orders` on a `Platform`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from jifen import hookimpl
from jifen.config import CatalogueItem
from jifen_order_grabbing.errors import (
    AlreadyGrabbed,
    AwaitingReporter,
    EvidenceRequired,
    InvalidOrder,
    InvalidTransition,
    NotADepartment,
    NotInRemit,
    NotTheGrabber,
    NotTheReporter,
    ReasonRequired,
    ReporterObjected,
    ReporterWindowClosed,
)
from jifen_order_grabbing.models import (
    DEFAULT_REPORTER_DAYS,
    Department,
    Lapse,
    Order,
    OrderPost,
    OrderState,
    RankingRow,
)
from jifen_order_grabbing.service import REPORT_ITEM, Orders

if TYPE_CHECKING:
    from fastapi import APIRouter
    from rich.console import Console

    from jifen.clock import MovableClock
    from jifen.jobs import JobFunction
    from jifen.platform import Platform

__all__ = [
    "DEFAULT_REPORTER_DAYS",
    "REPORT_ITEM",
    "AlreadyGrabbed",
    "AwaitingReporter",
    "Department",
    "EvidenceRequired",
    "InvalidOrder",
    "InvalidTransition",
    "Lapse",
    "NotADepartment",
    "NotInRemit",
    "NotTheGrabber",
    "NotTheReporter",
    "Order",
    "OrderPost",
    "OrderState",
    "Orders",
    "RankingRow",
    "ReasonRequired",
    "ReporterObjected",
    "ReporterWindowClosed",
    "report_item",
]


def report_item() -> CatalogueItem:
    """The catalogue item a reporting resident earns when their report led to a verified order
    (JF-ORD-4): 20 material points from the tenant's default pool, auto-awarded (no review, no
    notice), in the category ``photo_report`` so that the tenant's caps on photo reports
    apply. A tenant file may define an item with the same code to change it."""
    return CatalogueItem(
        code=REPORT_ITEM, name="随手拍·问题经核实解决 (a photo report led to a verified order)",
        category="photo_report", kind="material", amount=20, evidence_required=True,
        review_level="community", notice_required=False, auto_award=True,
        valid_from=date(2024, 1, 1))


@hookimpl
def register_migrations(register: Callable[[Path], None]) -> None:
    """The plugin's Alembic branch ``order_grabbing`` (departments' remits and staff, orders,
    lapses)."""
    register(Path(__file__).parent / "migrations")


@hookimpl
def register_commands(app: typer.Typer) -> None:
    """The ``jifen orders`` command group."""
    from jifen_order_grabbing.cli import app as orders_app  # imported only when the CLI starts

    app.add_typer(orders_app, name="orders")


@hookimpl
def register_catalogue_items(register: Callable[[CatalogueItem], None]) -> None:
    """The reporter's reward, ``order.report_verified`` (JF-ORD-4)."""
    register(report_item())


@hookimpl
def register_routers(register: Callable[[APIRouter, str], None]) -> None:
    """The HTTP endpoints under ``/v1/tenants/{tenant}/orders`` (`jifen_order_grabbing.api`)."""
    from jifen_order_grabbing.api import PREFIX, router

    register(router, PREFIX)


REOPEN_EVERY = 600.0
"""Seconds between the scheduler's runs of ``orders.reopen_overdue``."""


def reopen_overdue(platform: Platform, tenant_id: uuid.UUID) -> None:
    """Reopen the orders held past their deadline (JF-ORD-3); idempotent."""
    Orders(platform).reopen_overdue(tenant_id)


@hookimpl
def register_jobs(register: Callable[[str, float, JobFunction], None]) -> None:
    """``orders.reopen_overdue``, every ten minutes."""
    register("orders.reopen_overdue", REOPEN_EVERY, reopen_overdue)


@hookimpl
def seed_demo(platform: Platform, tenant_id: uuid.UUID, clock: MovableClock,
              console: Console) -> None:
    """July 2024 in the demo city: departments grab, complete and are rewarded; the ranking."""
    from jifen_order_grabbing.demo import run_july

    run_july(platform, tenant_id, clock, console)
