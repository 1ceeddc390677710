"""The ``jifen merchants`` command group: add, list, quote, redeem, refund, settle, report.

Amounts are typed and shown in yuan with at most two decimals and handled as integer fen. Errors
print ``error[<code>]: <message>`` on stderr and exit 2, like the core's commands.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from jifen.errors import JifenError
from jifen.platform import Platform

from .models import Merchant
from .rules import DEFAULT_CAPS, parse_yuan, yuan
from .service import MerchantRedemption

merchants_app = typer.Typer(help="Merchants: redemption of material points, refunds and "
                                 "settlement (JF-RED-*, JF-FUND-2).", no_args_is_help=True)

DatabaseOption = Annotated[str | None, typer.Option(
    "--database", envvar="JIFEN_DATABASE_URL", help="Database URL (default: sqlite:///jifen.db).")]
TenantOption = Annotated[str, typer.Option("--tenant", help="Tenant code.")]
MerchantOption = Annotated[str, typer.Option("--merchant", help="The merchant's public code.")]
KeyOption = Annotated[str, typer.Option("--key", help="Idempotency key of this request.")]


@contextmanager
def _session(database: str | None, tenant: str) -> Iterator[tuple[MerchantRedemption, uuid.UUID]]:
    """Open the platform; print a jifen error as ``error[<code>]: …`` and exit 2."""
    from jifen.store import Database, default_url

    try:
        platform = Platform(Database(database or default_url()))
        try:
            yield MerchantRedemption(platform), platform.tenant(tenant).id
        finally:
            platform.db.dispose()
    except JifenError as exc:
        Console(stderr=True).print(str(exc), highlight=False, markup=False)
        raise typer.Exit(2) from None


def _fen(option: str, text: str) -> int:
    try:
        return parse_yuan(text)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint=option) from None


def _merchant(service: MerchantRedemption, tenant_id: uuid.UUID, code: str) -> Merchant:
    return service.merchant(tenant_id, _subject_id(service, tenant_id, code))


def _subject_id(service: MerchantRedemption, tenant_id: uuid.UUID, code: str) -> uuid.UUID:
    from jifen import subjects

    with service.platform.db.read() as conn:
        return subjects.find_by_code(conn, tenant_id, code).id


@merchants_app.command("add")
def add(
    tenant: TenantOption,
    name: Annotated[str, typer.Option("--name", help="The merchant's name.")],
    org_unit: Annotated[str, typer.Option("--org-unit", help="Org unit code it belongs to.")],
    category: Annotated[str, typer.Option(
        "--category", help=f"One of {', '.join(f'{c} ({p} %)' for c, p in DEFAULT_CAPS.items())}.")
    ] = "other",
    cap: Annotated[int | None, typer.Option(
        "--cap", help="Cap percent for this merchant, overriding its category's.")] = None,
    refund_days: Annotated[int, typer.Option("--refund-days", help="Refund window in days.")] = 7,
    database: DatabaseOption = None,
) -> None:
    """Create a merchant with its category, cap and refund window (JF-RED-1)."""
    with _session(database, tenant) as (service, tenant_id):
        merchant = service.add_merchant(tenant_id, name, org_unit, category=category,
                                        cap_percent=cap, refund_window_days=refund_days)
    Console().print(f"merchant {merchant.code} ({merchant.name}) added: {merchant.category}, cap "
                  f"{merchant.cap_percent} %, refunds within {merchant.refund_window_days} days",
                  highlight=False)


@merchants_app.command("list")
def list_merchants(tenant: TenantOption, database: DatabaseOption = None) -> None:
    """List the merchants with their cap and refund window."""
    with _session(database, tenant) as (service, tenant_id):
        found = service.merchants(tenant_id)
    table = Table("code", "name", "category", "cap %", "refund days", "id")
    for m in found:
        cap = f"{m.cap_percent}" + ("" if m.cap_percent_override is None else " (own)")
        table.add_row(m.code, m.name, m.category, cap, str(m.refund_window_days), str(m.id))
    Console().print(table)


@merchants_app.command("quote")
def quote(
    tenant: TenantOption,
    merchant: MerchantOption,
    bill: Annotated[str, typer.Option("--bill", help="The bill in yuan, e.g. 58.00.")],
    subject: Annotated[str | None, typer.Option(
        "--subject", help="The resident's public code, to count their points.")] = None,
    database: DatabaseOption = None,
) -> None:
    """How many points a bill allows at a merchant and what they deduct (JF-RED-2)."""
    bill_fen = _fen("--bill", bill)
    with _session(database, tenant) as (service, tenant_id):
        found = _merchant(service, tenant_id, merchant)
        who = _subject_id(service, tenant_id, subject) if subject else None
        result = service.quote(tenant_id, found.id, bill_fen, who)
    Console().print(
        f"bill {yuan(result.bill_fen)} yuan at {result.cap_percent} %: cap {yuan(result.cap_fen)} "
        f"yuan; at most {result.max_points} points, deducting {yuan(result.value_fen)} yuan"
        + ("" if result.balance is None else f" (the resident has {result.balance} usable)"),
        highlight=False)


@merchants_app.command("redeem")
def redeem(
    tenant: TenantOption,
    merchant: MerchantOption,
    bill: Annotated[str, typer.Option("--bill", help="The bill in yuan, e.g. 58.00.")],
    pay_code: Annotated[str, typer.Option("--pay-code", help="The resident's pay code.")],
    key: KeyOption,
    points: Annotated[int | None, typer.Option(
        "--points", help="Use these points (default: the most allowed).")] = None,
    database: DatabaseOption = None,
) -> None:
    """Redeem points on a bill with the resident's pay code (JF-RED-2/3/5)."""
    bill_fen = _fen("--bill", bill)
    with _session(database, tenant) as (service, tenant_id):
        found = _merchant(service, tenant_id, merchant)
        done = service.redeem(tenant_id, found.id, bill_fen, pay_code, key, points)
    Console().print(f"redemption {done.id}: {done.points} points deduct {yuan(done.value_fen)} "
                  f"yuan; the resident pays {yuan(done.due_fen)} yuan", highlight=False)


@merchants_app.command("refund")
def refund(
    tenant: TenantOption,
    redemption: Annotated[str, typer.Option("--redemption", help="The redemption's id.")],
    key: KeyOption,
    amount: Annotated[str | None, typer.Option(
        "--amount", help="Yuan of the bill refunded (default: all that is left).")] = None,
    database: DatabaseOption = None,
) -> None:
    """Refund a redemption in full or in part within the refund window (JF-RED-4)."""
    refund_fen = None if amount is None else _fen("--amount", amount)
    try:
        redemption_id = uuid.UUID(redemption)
    except ValueError:
        raise typer.BadParameter("expected a redemption id (a UUID)",
                                 param_hint="--redemption") from None
    with _session(database, tenant) as (service, tenant_id):
        done = service.refund(tenant_id, redemption_id, refund_fen, idempotency_key=key)
    Console().print(f"refund {done.id}: {yuan(done.refund_fen)} yuan of the bill, "
                  f"{done.points} points back to the resident", highlight=False)


@merchants_app.command("settle")
def settle(
    tenant: TenantOption,
    until: Annotated[str | None, typer.Option(
        "--until", help="Settle redemptions made up to this ISO time with zone (default: now).")
    ] = None,
    database: DatabaseOption = None,
) -> None:
    """Settle unsettled redemptions per pool and merchant (JF-FUND-2); idempotent."""
    when = None
    if until is not None:
        try:
            when = datetime.fromisoformat(until)
        except ValueError:
            raise typer.BadParameter("expected an ISO date-time", param_hint="--until") from None
        if when.tzinfo is None:
            raise typer.BadParameter("give the time zone, e.g. +08:00", param_hint="--until")
    with _session(database, tenant) as (service, tenant_id):
        report = service.settle(tenant_id, until=when)
        names = {m.id: m.code for m in service.merchants(tenant_id)}
    if report.run_id is None:
        Console().print("nothing to settle")
        return
    table = Table("pool", "merchant", "points", "owed (yuan)",
                  title=f"settlement run {report.run_id}: {report.redemptions} redemption(s)")
    for line in report.lines:
        table.add_row(line.pool, names.get(line.merchant_id, str(line.merchant_id)),
                      str(line.points), yuan(line.fen_owed))
    table.add_row("total", "", str(report.points), yuan(report.fen_owed), style="bold")
    Console().print(table)


@merchants_app.command("report")
def report(tenant: TenantOption, database: DatabaseOption = None) -> None:
    """Redeemed, refunded and settled per pool and merchant, in points and yuan."""
    with _session(database, tenant) as (service, tenant_id):
        lines = service.report(tenant_id)
    table = Table("pool", "merchant", title="redemptions per pool and merchant")
    for heading in ("redeemed", "refunded", "settled", "unsettled", "redeemed ¥", "refunded ¥",
                    "settled ¥"):
        table.add_column(heading, justify="right")
    for line in lines:
        table.add_row(line.pool, line.merchant_code, str(line.redeemed_points),
                      str(line.refunded_points), str(line.settled_points),
                      str(line.unsettled_points), yuan(line.redeemed_fen),
                      yuan(line.refunded_fen), yuan(line.settled_fen))
    Console().print(table)
