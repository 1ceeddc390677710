"""``jifen bank-vip …``: the command group this plugin adds through ``register_commands``.

``code`` runs on the city's database (``--database`` or ``JIFEN_DATABASE_URL``, ``--tenant``);
``keys export`` writes the public keys the bank needs; ``verify`` is the bank's offline check
and opens no database at all. Errors are jifen errors: the ``jifen`` command prints
``error[<code>]: <message>`` and exits 2.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from jifen import subjects
from jifen.cli import (
    DatabaseOption,
    TenantOption,
    console,
    open_platform,
    qr_format,
    write_public_keys,
)
from jifen.codes import load_public_keys
from jifen.platform import Platform
from jifen_bank_vip.service import BankVip, qr, verify_vip_code

app = typer.Typer(help="A partner bank's VIP lane for residents at or above a score (JF-SCN-2).",
                  no_args_is_help=True)
keys_app = typer.Typer(help="The tenant's public keys, for the bank's offline checks.",
                       no_args_is_help=True)
app.add_typer(keys_app, name="keys")


def _open(database: str | None, tenant: str) -> tuple[Platform, BankVip, uuid.UUID]:
    platform: Platform = open_platform(database)
    return platform, BankVip(platform), platform.tenant(tenant).id


@app.command("code")
def code(
    tenant: TenantOption,
    subject: Annotated[str, typer.Option("--subject", help="The resident's public code.")],
    qr_file: Annotated[Path | None, typer.Option(
        "--qr", help="Also write the code as a QR image (.svg or .png).", dir_okay=False)] = None,
    database: DatabaseOption = None,
) -> None:
    """Issue the resident's VIP-lane code; print it on stdout (and --qr: as an image)."""
    fmt = qr_format(qr_file) if qr_file is not None else None
    platform, vip, tenant_id = _open(database, tenant)
    with platform.db.read() as conn:
        who = subjects.find_by_code(conn, tenant_id, subject)
    issued = vip.code(tenant_id, who.id)
    if qr_file is not None and fmt is not None:
        qr_file.write_bytes(qr(issued.token, fmt))
    typer.echo(issued.token)
    typer.echo(f"{issued.benefit}: valid until {issued.valid_until}; the code expires at "
               f"{issued.expires_at.isoformat()} (decision {issued.decision_id})", err=True)


@app.command("verify")
def verify(
    token: Annotated[str, typer.Argument(metavar="CODE", help="The code (the QR's text).")],
    public_keys: Annotated[Path, typer.Option(
        "--public-keys", help="The keys file of `jifen bank-vip keys export`.", exists=True,
        dir_okay=False)],
    now: Annotated[str | None, typer.Option(
        "--now", help="Verify as of this ISO instant (default: now).")] = None,
) -> None:
    """The bank's offline check: only the public keys, no database, no network. Prints what
    the bank learns — ``VIP lane: valid until <date>``, nothing else (JF-CODE-2)."""
    moment = _instant(now)
    keys, tenant = load_public_keys(public_keys)
    console.print(verify_vip_code(token, keys, now=moment, tenant=tenant).text, highlight=False)


@keys_app.command("export")
def keys_export(
    tenant: TenantOption,
    out: Annotated[Path | None, typer.Option(
        "--out", help="The JSON file to write (default: stdout).", dir_okay=False)] = None,
    database: DatabaseOption = None,
) -> None:
    """Write the tenant's public keys (JSON) for the bank's offline checks."""
    _, vip, tenant_id = _open(database, tenant)
    write_public_keys(tenant, vip.public_keys(tenant_id), out)



def _instant(value: str | None) -> datetime:
    if value is None:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise typer.BadParameter(f"{value!r}: expected an ISO instant with its zone",
                                 param_hint="--now")
    return moment
