"""``jifen school-place …``: the command group this plugin adds through ``register_commands``.

Each command opens the platform the way jifen's own commands do (``--database`` or
``JIFEN_DATABASE_URL``) and names the tenant with ``--tenant``; people are named by their public
code (``--child``, ``--guardian``, …). Errors are jifen errors, so the ``jifen`` command prints
``error[<code>]: <message>`` and exits 2.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from jifen import subjects
from jifen.cli import DatabaseOption, TenantOption, console, open_platform
from jifen.platform import Platform
from jifen.scenarios import PublicRoundList
from jifen_school_place.service import SchoolPlaces, load_round

app = typer.Typer(help="School-place upgrades: a quota round per school and place type, "
                       "ranked by the guardian's moral score (JF-SCN-3).", no_args_is_help=True)
RoundArgument = Annotated[str, typer.Argument(help="The round's id.")]
SlotOption = Annotated[str, typer.Option(
    "--slot", help="The upgrade SCHOOL:FROM→TO, e.g. '第一小学:2-A→1-A'.")]


class _Session:
    """The platform, the service and the tenant named by ``--tenant``."""

    def __init__(self, database: str | None, tenant: str) -> None:
        self.platform: Platform = open_platform(database)
        self.places = SchoolPlaces(self.platform)
        self.tenant_id = self.platform.tenant(tenant).id

    def who(self, code: str) -> uuid.UUID:
        with self.platform.db.read() as conn:
            return subjects.find_by_code(conn, self.tenant_id, code).id


def _uuid(value: str, name: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r}: expected an id", param_hint=name) from None


def _print_list(listing: PublicRoundList) -> None:
    kind = "final list" if listing.final else "public notice"
    table = Table("slot", "rank", "name", "score", "selected",
                  title=f"{listing.round} — {kind} {listing.notice_starts_on} to "
                        f"{listing.notice_ends_on} (names masked, JF-DUE-4)")
    for entry in listing.entries:
        table.add_row(entry.slot, str(entry.rank), entry.name, entry.score,
                      "yes" if entry.selected else "")
    console.print(table)
    seed = listing.seed or "(published when the window closes)"
    console.print(f"seed sha256 {listing.seed_sha256}; seed {seed}", highlight=False)


@app.command("open-round")
def open_round(
    file: Annotated[Path, typer.Argument(help="The round's YAML or JSON file.", exists=True,
                                         dir_okay=False)],
    tenant: TenantOption,
    opened_by: Annotated[str | None, typer.Option(
        "--opened-by", help="The official's public code.")] = None,
    database: DatabaseOption = None,
) -> None:
    """Open a round for a school year from its file; prints its id and the seed's SHA-256."""
    definition = load_round(file)
    s = _Session(database, tenant)
    created = s.places.open_round(s.tenant_id, definition,
                                  opened_by=s.who(opened_by) if opened_by else None)
    console.print(f"round {created.id} opened: {created.name}; "
                  f"{sum(created.quotas.values())} place(s) in {len(created.quotas)} slot(s); "
                  f"seed sha256 {created.seed_sha256}", highlight=False)


@app.command("apply")
def apply(
    round_id: RoundArgument, tenant: TenantOption, slot: SlotOption,
    child: Annotated[str, typer.Option("--child", help="The child's public code.")],
    guardian: Annotated[str, typer.Option("--guardian", help="The guardian's public code.")],
    consent: Annotated[bool, typer.Option(
        "--consent", help="Record the guardian's consent first (JF-PRIV-4).")] = False,
    database: DatabaseOption = None,
) -> None:
    """A guardian applies for a child during the window."""
    s = _Session(database, tenant)
    child_id, guardian_id = s.who(child), s.who(guardian)
    if consent:
        s.places.grant_consent(s.tenant_id, child_id, guardian_id=guardian_id)
    application = s.places.apply(s.tenant_id, _uuid(round_id, "ROUND_ID"), child_id, slot,
                                 guardian_id=guardian_id)
    console.print(f"application {application.id} for {slot}", highlight=False)


@app.command("draw")
def draw(round_id: RoundArgument, tenant: TenantOption, database: DatabaseOption = None) -> None:
    """Rank and select after the window has closed (the seed is published)."""
    s = _Session(database, tenant)
    decision = s.places.draw(s.tenant_id, _uuid(round_id, "ROUND_ID"))
    entries = decision.result["entries"]
    console.print(f"drawn: {sum(e['selected'] for e in entries)} selected, "
                  f"{sum(e['rank'] is not None for e in entries)} ranked, {len(entries)} "
                  f"applied; decision {decision.id}; seed {decision.inputs['seed']}",
                  highlight=False)


@app.command("publish")
def publish(
    round_id: RoundArgument, tenant: TenantOption,
    publisher: Annotated[str, typer.Option("--publisher", help="The official's public code.")],
    database: DatabaseOption = None,
) -> None:
    """Put the drawn list under public notice and print it."""
    s = _Session(database, tenant)
    _print_list(s.places.publish(s.tenant_id, _uuid(round_id, "ROUND_ID"),
                                 publisher=s.who(publisher)))


@app.command("list")
def list_command(round_id: RoundArgument, tenant: TenantOption,
                 database: DatabaseOption = None) -> None:
    """Print the list under notice, or the final list."""
    s = _Session(database, tenant)
    _print_list(s.places.public_list(s.tenant_id, _uuid(round_id, "ROUND_ID")))


@app.command("object")
def object_command(
    round_id: RoundArgument, tenant: TenantOption, slot: SlotOption,
    rank: Annotated[int, typer.Option("--rank", min=1, help="The rank on the public list.")],
    grounds: Annotated[str, typer.Option("--grounds", help="Why the entry is wrong.")],
    raised_by: Annotated[str | None, typer.Option(
        "--by", help="The objector's public code (default: anonymous).")] = None,
    database: DatabaseOption = None,
) -> None:
    """Object to an entry of the list under notice (JF-DUE-2)."""
    s = _Session(database, tenant)
    objection = s.places.object(s.tenant_id, _uuid(round_id, "ROUND_ID"), slot=slot, rank=rank,
                                grounds=grounds, raised_by=s.who(raised_by) if raised_by else None)
    console.print(f"objection {objection.id} to rank {rank} of {slot}", highlight=False)


@app.command("decide")
def decide(
    objection_id: Annotated[str, typer.Argument(help="The objection's id.")],
    tenant: TenantOption,
    decider: Annotated[str, typer.Option("--decider", help="The official's public code.")],
    reason: Annotated[str, typer.Option("--reason", help="The reason for the decision.")],
    uphold: Annotated[bool, typer.Option(
        "--uphold/--dismiss", help="Uphold (the entry leaves the list) or dismiss.")] = False,
    database: DatabaseOption = None,
) -> None:
    """Decide an objection with reasons; upheld re-ranks the round."""
    s = _Session(database, tenant)
    decided = s.places.decide(s.tenant_id, _uuid(objection_id, "OBJECTION_ID"), s.who(decider),
                              upheld=uphold, reason=reason)
    console.print(f"objection {decided.id} {decided.state}", highlight=False)


@app.command("close")
def close(round_id: RoundArgument, tenant: TenantOption, database: DatabaseOption = None) -> None:
    """After the notice, make the list final and print it."""
    s = _Session(database, tenant)
    _print_list(s.places.close(s.tenant_id, _uuid(round_id, "ROUND_ID")))
