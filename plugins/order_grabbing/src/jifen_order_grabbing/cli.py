"""``jifen orders …``: the command group this plugin adds through ``register_commands``.

Each command opens the platform the way jifen's own commands do (``--database`` or
``JIFEN_DATABASE_URL``) and names the tenant with ``--tenant``. Subjects are named by their
public code (``--department``, ``--actor``, ``--reporter``); an order by its id or the last
characters of it (at least 6, as ``list`` shows 8; ids begin with their time, so the ends
differ). Errors are jifen errors, so the ``jifen``
command prints ``error[<code>]: <message>`` and exits 2.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

import typer
from rich.table import Table

from jifen import subjects
from jifen.cli import DatabaseOption, TenantOption, console, open_platform
from jifen.errors import InvalidInput, NotFound
from jifen.platform import Platform
from jifen_order_grabbing.models import DEFAULT_REPORTER_DAYS, Order, OrderPost, OrderState
from jifen_order_grabbing.ranking import ranking_table
from jifen_order_grabbing.service import Orders

app = typer.Typer(help="The problem list with order grabbing, 网格下单、全员抢单 (JF-ORD-*).",
                  no_args_is_help=True)
OrderArgument = Annotated[str, typer.Argument(help="The order's id (or its last characters).")]
DepartmentOption = Annotated[str, typer.Option("--department", help="The department's code.")]
ActorOption = Annotated[str, typer.Option(
    "--actor", help="Code of the subject acting for the community (a reviewer).")]


class _Context:
    """The platform, the plugin's service and the tenant named by ``--tenant``."""

    def __init__(self, database: str | None, tenant: str) -> None:
        self.platform: Platform = open_platform(database)
        self.orders = Orders(self.platform)
        self.tenant_id = self.platform.tenant(tenant).id

    def subject(self, code: str) -> uuid.UUID:
        with self.platform.db.read() as conn:
            return subjects.find_by_code(conn, self.tenant_id, code).id

    def order(self, ref: str) -> uuid.UUID:
        try:
            return uuid.UUID(ref)
        except ValueError:
            pass
        if len(ref) < 6:
            raise InvalidInput("give at least 6 characters of the order's id", order=ref)
        found = [o.id for o in self.orders.list_orders(self.tenant_id) if str(o.id).endswith(ref)]
        if len(found) != 1:
            raise NotFound(f"{len(found) or 'no'} orders end with {ref!r}", order=ref)
        return found[0]


@app.command("remit")
def remit(
    department: Annotated[str, typer.Argument(help="The department's code.")],
    tenant: TenantOption,
    category: Annotated[list[str] | None, typer.Option(
        "--category", help="A problem category it covers; repeat for several.")] = None,
    database: DatabaseOption = None,
) -> None:
    """Set a department's remit (the problem categories it covers), or show it."""
    ctx = _Context(database, tenant)
    department_id = ctx.subject(department)
    if category:
        ctx.orders.set_remit(ctx.tenant_id, department_id, category)
    found = next(d for d in ctx.orders.departments(ctx.tenant_id) if d.id == department_id)
    console.print(f"{found.name} covers: {', '.join(found.categories) or '(nothing)'}")


@app.command("staff")
def staff(
    department: Annotated[str, typer.Argument(help="The department's code.")],
    tenant: TenantOption,
    share: Annotated[list[str], typer.Option(
        "--share", help="CODE=PERCENT: a staff member and their share; repeat for several.")],
    database: DatabaseOption = None,
) -> None:
    """Set a department's staff and their shares of its rewards (the department keeps the rest)."""
    ctx = _Context(database, tenant)
    shares = {ctx.subject(code): percent for code, percent in map(_share, share)}
    ctx.orders.set_staff(ctx.tenant_id, ctx.subject(department), shares)
    console.print(f"{len(shares)} staff member(s), {sum(shares.values())}% shared")


@app.command("post")
def post(
    tenant: TenantOption,
    actor: ActorOption,
    community: Annotated[str, typer.Option("--community", help="The community's org code.")],
    grid: Annotated[str, typer.Option("--grid", help="The grid (org code in the community).")],
    category: Annotated[str, typer.Option("--category", help="The problem category.")],
    description: Annotated[str, typer.Option("--description", help="What is wrong, where.")],
    deadline: Annotated[datetime, typer.Option(
        "--deadline", help="When it must be done (ISO 8601 with time zone).",
        formats=["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M%z"])],
    reward: Annotated[int, typer.Option("--reward", help="Material points for the department.")],
    pool: Annotated[str | None, typer.Option("--pool", help="Funding pool (default: the "
                                                            "tenant's default pool).")] = None,
    reporter: Annotated[str | None, typer.Option(
        "--reporter", help="Code of the resident whose photo report it is (else: inspection).")
    ] = None,
    reporter_days: Annotated[int, typer.Option("--reporter-days")] = DEFAULT_REPORTER_DAYS,
    key: Annotated[str | None, typer.Option("--key", help="Idempotency key.")] = None,
    database: DatabaseOption = None,
) -> None:
    """Post a problem as an order (JF-ORD-1)."""
    ctx = _Context(database, tenant)
    request = OrderPost(
        idempotency_key=key or f"cli:{uuid.uuid4()}", community=community, grid=grid,
        category=category, description=description, deadline=deadline, reward=reward,
        pool=pool, reporter_id=ctx.subject(reporter) if reporter else None,
        reporter_days=reporter_days)
    order = ctx.orders.post(ctx.tenant_id, request, ctx.subject(actor))
    console.print(f"order {order.id} posted: {order.category} in {order.grid}, reward "
                  f"{order.reward} from {order.pool}, due {order.deadline.isoformat()}")


@app.command("list")
def list_command(
    tenant: TenantOption,
    department: Annotated[str | None, typer.Option(
        "--department", help="Only the open orders this department may grab.")] = None,
    state: Annotated[OrderState | None, typer.Option("--state")] = None,
    database: DatabaseOption = None,
) -> None:
    """List orders: all of them, in one state, or those open to a department."""
    ctx = _Context(database, tenant)
    if department:
        found = ctx.orders.open_orders(ctx.tenant_id, ctx.subject(department))
    else:
        found = ctx.orders.list_orders(ctx.tenant_id, state=state)
    _print_orders(found)


@app.command("grab")
def grab(order: OrderArgument, tenant: TenantOption, department: DepartmentOption,
         database: DatabaseOption = None) -> None:
    """Grab an open order for a department (exactly one grab wins, JF-ORD-2)."""
    ctx = _Context(database, tenant)
    found = ctx.orders.grab(ctx.tenant_id, ctx.order(order), ctx.subject(department))
    console.print(f"order {found.id} grabbed, due {found.deadline.isoformat()}")


@app.command("complete")
def complete(
    order: OrderArgument, tenant: TenantOption, department: DepartmentOption,
    evidence: Annotated[str, typer.Option("--evidence", help="Photo hash, work sheet, …")],
    database: DatabaseOption = None,
) -> None:
    """Report an order done, with evidence (JF-ORD-2)."""
    ctx = _Context(database, tenant)
    found = ctx.orders.complete(ctx.tenant_id, ctx.order(order), ctx.subject(department),
                                evidence)
    console.print(f"order {found.id} completed; awaiting verification")


@app.command("confirm")
def confirm(
    order: OrderArgument, tenant: TenantOption,
    reporter: Annotated[str, typer.Option("--reporter", help="The reporting resident's code.")],
    objection: Annotated[str | None, typer.Option(
        "--object", help="Refuse the completion, with this reason.")] = None,
    database: DatabaseOption = None,
) -> None:
    """The reporting resident confirms a completion, or objects to it (JF-ORD-2)."""
    ctx = _Context(database, tenant)
    order_id, who = ctx.order(order), ctx.subject(reporter)
    if objection is None:
        ctx.orders.confirm(ctx.tenant_id, order_id, who)
        console.print(f"order {order_id}: the reporter confirmed")
    else:
        ctx.orders.object(ctx.tenant_id, order_id, who, objection)
        console.print(f"order {order_id}: the reporter objected")


@app.command("verify")
def verify(order: OrderArgument, tenant: TenantOption, actor: ActorOption,
           database: DatabaseOption = None) -> None:
    """Verify a completed order and reward the department (JF-ORD-2, JF-ORD-3)."""
    ctx = _Context(database, tenant)
    found = ctx.orders.verify(ctx.tenant_id, ctx.order(order), ctx.subject(actor))
    note = f"; reporter: {found.reporter_reward_note}" if found.reporter_id else ""
    console.print(f"order {found.id} verified: {found.reward} points to the department{note}")


@app.command("send-back")
def send_back(
    order: OrderArgument, tenant: TenantOption, actor: ActorOption,
    reason: Annotated[str, typer.Option("--reason", help="What is still wrong.")],
    database: DatabaseOption = None,
) -> None:
    """Send a completed order back to its department, with a reason (JF-ORD-2)."""
    ctx = _Context(database, tenant)
    found = ctx.orders.send_back(ctx.tenant_id, ctx.order(order), ctx.subject(actor), reason)
    console.print(f"order {found.id} sent back ({found.send_backs} time(s))")


@app.command("reopen-overdue")
def reopen_overdue(tenant: TenantOption, database: DatabaseOption = None) -> None:
    """Reopen orders held past their deadline and record who let them lapse (JF-ORD-3)."""
    ctx = _Context(database, tenant)
    reopened = ctx.orders.reopen_overdue(ctx.tenant_id)
    console.print(f"{len(reopened)} overdue order(s) reopened")


@app.command("ranking")
def ranking(
    tenant: TenantOption,
    since: Annotated[datetime, typer.Option("--from", formats=["%Y-%m-%d"],
                                            help="First day of the period.")],
    until: Annotated[datetime, typer.Option("--to", formats=["%Y-%m-%d"],
                                            help="Last day of the period.")],
    database: DatabaseOption = None,
) -> None:
    """The departments' assessment ranking (考核) for a period (JF-ORD-3)."""
    ctx = _Context(database, tenant)
    print_ranking(ctx.orders, ctx.tenant_id, since.date(), until.date())


def print_ranking(orders: Orders, tenant_id: uuid.UUID, since: date, until: date) -> None:
    """Print the ranking of ``since``–``until`` as a table."""
    console.print(ranking_table(orders.ranking(tenant_id, since, until), since, until))


def _print_orders(found: list[Order]) -> None:
    table = Table("order", "state", "category", "grid", "reward", "deadline", "source")
    for order in found:
        table.add_row(str(order.id)[-8:], order.state.value, order.category, order.grid,
                      str(order.reward), order.deadline.isoformat(timespec="minutes"),
                      order.source)
    console.print(table)
    console.print(f"{len(found)} order(s)")


def _share(item: str) -> tuple[str, int]:
    code, sep, percent = item.partition("=")
    if not sep or not code or not percent.isdigit():
        raise typer.BadParameter(f"{item!r}: expected CODE=PERCENT", param_hint="--share")
    return code, int(percent)
