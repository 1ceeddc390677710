"""The ``jifen`` command (Typer). Errors print ``error[<code>]: <message>`` and exit 2."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from jifen.errors import JifenError

app = typer.Typer(help="jifen — points-based grassroots governance platform", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
audit_app = typer.Typer(help="Audit the ledger.", no_args_is_help=True)
ledger_app = typer.Typer(help="Ledger operations.", no_args_is_help=True)
plugins_app = typer.Typer(help="Installed plugins.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(audit_app, name="audit")
app.add_typer(ledger_app, name="ledger")
app.add_typer(plugins_app, name="plugins")

console = Console()
DatabaseOption = Annotated[str | None, typer.Option(
    "--database", envvar="JIFEN_DATABASE_URL",
    help="Database URL (default: sqlite:///jifen.db).")]
TenantOption = Annotated[str, typer.Option("--tenant", help="Tenant code.")]


def open_platform(database: str | None, *, upgrade: bool = False):  # type: ignore[no-untyped-def]
    from jifen.platform import Platform
    from jifen.store import Database, default_url
    from jifen.store.migrate import upgrade as upgrade_schema

    url = database or default_url()
    if upgrade:
        upgrade_schema(url)
    return Platform(Database(url))


@db_app.command("upgrade")
def db_upgrade(database: DatabaseOption = None) -> None:
    """Apply the schema migrations (Alembic) to the database."""
    from jifen.store import default_url
    from jifen.store.migrate import current_revision, upgrade

    url = database or default_url()
    upgrade(url)
    console.print(f"database at revision {current_revision(url)}")


@audit_app.command("verify")
def audit_verify(tenant: TenantOption, database: DatabaseOption = None) -> None:
    """Re-derive every balance and lot from postings and check the hash chain (JF-LED-5/6)."""
    platform = open_platform(database)
    report = platform.audit(platform.tenant(tenant).id)
    console.print(f"checked {report.transactions} transactions, {report.postings} postings, "
                  f"{report.accounts} accounts, {report.lots} lots")
    for problem in report.problems:
        console.print(f"[red]PROBLEM[/red] {problem}", highlight=False)
    if not report.ok:
        raise typer.Exit(1)
    console.print("[green]ledger verified: balances, lots and hash chain agree[/green]")


@ledger_app.command("expire")
def ledger_expire(tenant: TenantOption, database: DatabaseOption = None) -> None:
    """Post the expiry of every expired lot (JF-EXP-1); idempotent."""
    platform = open_platform(database)
    posted = platform.ledger.expire(platform.tenant(tenant).id)
    console.print(f"expired {len(posted)} lot(s)")


@plugins_app.command("list")
def plugins_list() -> None:
    """List the plugins, where they come from and the hooks they implement."""
    from jifen.plugins import make_plugin_manager, plugin_distributions

    table = Table("plugin", "from", "hooks")
    for name, dist, hooks in plugin_distributions(make_plugin_manager()):
        table.add_row(name, dist, ", ".join(hooks))
    console.print(table)


@app.command("demo")
def demo(database: DatabaseOption = None) -> None:
    """Run the demo city on the embedded SQLite default (idempotent: re-running posts nothing
    twice)."""
    from jifen.demo import run_demo

    run_demo(open_platform(database, upgrade=True), console)


def main() -> None:
    from jifen.plugins import make_plugin_manager

    try:
        make_plugin_manager().hook.register_commands(app=app)
        code = app(standalone_mode=False)
        sys.exit(code if isinstance(code, int) else 0)
    except JifenError as exc:
        Console(stderr=True).print(str(exc), highlight=False, markup=False)
        sys.exit(2)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        sys.exit(1)
    except Exception as exc:  # click usage errors
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        raise
