"""``jifen hospital …``: the command group this plugin adds through ``register_commands``.

``book`` and ``cancel`` run on the city's database (``--database`` or ``JIFEN_DATABASE_URL``,
``--tenant``); ``keys export`` writes the public keys the hospital needs; ``verify`` is the
hospital's offline check and opens no database at all. Errors are jifen errors: the ``jifen``
command prints ``error[<code>]: <message>`` and exits 2.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
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
from jifen.codes import load_public_keys, render_qr
from jifen.platform import Platform
from jifen_hospital_priority.service import (
    HospitalPriority,
    verify_confirmation,
)

app = typer.Typer(help="Priority specialist appointments (优先挂专家号, JF-SCN-4).",
                  no_args_is_help=True)
keys_app = typer.Typer(help="The tenant's public keys, for the hospital's offline checks.",
                       no_args_is_help=True)
app.add_typer(keys_app, name="keys")

SubjectOption = Annotated[str, typer.Option("--subject", help="The resident's public code.")]
QrOption = Annotated[Path | None, typer.Option(
    "--qr", help="Also write the code as a QR image (.svg or .png).", dir_okay=False)]


def _open(database: str | None, tenant: str) -> tuple[Platform, HospitalPriority, uuid.UUID]:
    platform: Platform = open_platform(database)
    return platform, HospitalPriority(platform), platform.tenant(tenant).id


def _subject(platform: Platform, tenant_id: uuid.UUID, code: str) -> uuid.UUID:
    with platform.db.read() as conn:
        return subjects.find_by_code(conn, tenant_id, code).id


@app.command("book")
def book(
    tenant: TenantOption,
    subject: SubjectOption,
    department: Annotated[str, typer.Option(
        "--department", help="The department, e.g. 市中心医院:心内科.")],
    day: Annotated[str, typer.Option("--day", help="The day of the slot, YYYY-MM-DD.")],
    key: Annotated[str | None, typer.Option(
        "--key", help="Idempotency key (default: one per resident, department and day).")] = None,
    booked_by: Annotated[str | None, typer.Option(
        "--booked-by", help="A guardian booking for a child (public code).")] = None,
    qr: QrOption = None,
    database: DatabaseOption = None,
) -> None:
    """Book a priority slot; print the confirmation code for the hospital on stdout."""
    when = _date(day, "--day")
    fmt = qr_format(qr) if qr is not None else None
    platform, hospital, tenant_id = _open(database, tenant)
    who = _subject(platform, tenant_id, subject)
    by = _subject(platform, tenant_id, booked_by) if booked_by else None
    booking = hospital.book(tenant_id, who, department, when,
                            key or f"cli:{subject}:{department}:{when}", booked_by=by)
    token = booking.token or ""
    if qr is not None and fmt is not None:
        qr.write_bytes(render_qr(token, fmt))
    typer.echo(token)
    typer.echo(f"booked {booking.unit} on {booking.day} (booking {booking.id}, "
               f"decision {booking.decision_id})", err=True)


@app.command("cancel")
def cancel(
    booking_id: Annotated[str, typer.Argument(help="The booking's id.")],
    tenant: TenantOption,
    reason: Annotated[str, typer.Option("--reason", help="Why.")] = "",
    database: DatabaseOption = None,
) -> None:
    """Cancel a booking: its slot and the resident's monthly use are freed."""
    _, hospital, tenant_id = _open(database, tenant)
    booking = hospital.cancel(tenant_id, _uuid(booking_id, "BOOKING_ID"), reason=reason)
    console.print(f"cancelled: {booking.unit} on {booking.day} is free again", highlight=False)


@app.command("verify")
def verify(
    code: Annotated[str, typer.Argument(help="The confirmation code (the QR's text).")],
    public_keys: Annotated[Path, typer.Option(
        "--public-keys", help="The keys file of `jifen hospital keys export`.", exists=True,
        dir_okay=False)],
    hospital: Annotated[str | None, typer.Option(
        "--hospital", help="Refuse slots at other hospitals, e.g. 市中心医院.")] = None,
    now: Annotated[str | None, typer.Option(
        "--now", help="Verify as of this ISO instant (default: now).")] = None,
) -> None:
    """The hospital's offline check: only the public keys, no database, no network. Prints
    what the hospital learns — the benefit and its validity, nothing else (JF-CODE-2)."""
    moment = _instant(now)
    keys, tenant = load_public_keys(public_keys)
    shown = verify_confirmation(code, keys, now=moment, tenant=tenant, hospital=hospital)
    console.print(shown.text, highlight=False)


@keys_app.command("export")
def keys_export(
    tenant: TenantOption,
    out: Annotated[Path | None, typer.Option(
        "--out", help="The JSON file to write (default: stdout).", dir_okay=False)] = None,
    database: DatabaseOption = None,
) -> None:
    """Write the tenant's public keys (JSON) for the hospital's offline checks."""
    _, hospital, tenant_id = _open(database, tenant)
    write_public_keys(tenant, hospital.public_keys(tenant_id), out)



def _date(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r}: expected YYYY-MM-DD", param_hint=option) from None


def _uuid(value: str, option: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not an id", param_hint=option) from None


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
