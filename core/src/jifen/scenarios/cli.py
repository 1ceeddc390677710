"""``jifen scenarios``: list scenarios, consent, check, book, quota rounds and replay.

Registered by the built-in plugin ``jifen.builtins.scenario_modes`` through
``register_commands``. Subjects are named by their public codes (JF-SUB-4).
"""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from jifen import subjects
from jifen.cli import DatabaseOption, TenantOption, console, open_platform
from jifen.scenarios.model import RoundCreate

scenarios_app = typer.Typer(help="Scenarios: benefits that moral points unlock (JF-SCN-*).",
                            no_args_is_help=True)
round_app = typer.Typer(help="Quota rounds (JF-SCN-3).", no_args_is_help=True)
scenarios_app.add_typer(round_app, name="round")

SubjectOption = Annotated[str, typer.Option("--subject", help="The subject's public code.")]
ScenarioArgument = Annotated[str, typer.Argument(help="The scenario's code.")]
RoundArgument = Annotated[str, typer.Argument(help="The round's id.")]


def _subject(platform: Any, tenant_id: uuid.UUID, code: str) -> uuid.UUID:
    with platform.db.read() as conn:
        return subjects.find_by_code(conn, tenant_id, code).id


def _uuid(value: str, option: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not an id", param_hint=option) from None


def _json(value: Any) -> None:
    typer.echo(json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True, default=str))


@scenarios_app.command("list")
def list_scenarios(tenant: Annotated[str | None, typer.Option(
        "--tenant", help="Show the tenant's resolved rules.")] = None,
        database: DatabaseOption = None) -> None:
    """List the scenarios the plugins register, with their mode and rule version."""
    platform = open_platform(database)
    tenant_id = platform.tenant(tenant).id if tenant else None
    table = Table("scenario", "name", "provider", "mode", "min score", "use", "rule version",
                  "from")
    for code, spec in sorted(platform.scenarios.specs().items()):
        rule = platform.scenarios.rule(tenant_id, code) if tenant_id else spec
        eligibility = rule.eligibility
        table.add_row(code, spec.name, spec.provider, spec.mode,
                      str(eligibility.min_score) if eligibility.min_score is not None else "",
                      spec.use_effect, rule.rule_version,
                      platform.scenarios.registry.origin(code))
    console.print(table)


@scenarios_app.command("consent")
def consent_command(
    scenario: ScenarioArgument, tenant: TenantOption, subject: SubjectOption,
    given_by: Annotated[str | None, typer.Option(
        "--given-by", help="Who consents (a guardian, for a child); default: the subject.")] = None,
    withdraw: Annotated[bool, typer.Option("--withdraw", help="Withdraw consent.")] = False,
    counter: Annotated[bool, typer.Option(
        "--counter", help="Recorded by an operator at a service counter (JF-PRIV-5).")] = False,
    database: DatabaseOption = None,
) -> None:
    """Grant (or --withdraw) consent to a scenario (JF-SCN-1, JF-PRIV-4)."""
    platform = open_platform(database)
    tenant_id = platform.tenant(tenant).id
    who = _subject(platform, tenant_id, subject)
    giver = _subject(platform, tenant_id, given_by) if given_by else who
    via = "counter" if counter else "online"
    action = platform.scenarios.withdraw_consent if withdraw else platform.scenarios.grant_consent
    record = action(tenant_id, scenario, who, given_by=giver, via=via)
    console.print(f"consent to {scenario} {'withdrawn' if withdraw else 'granted'} "
                  f"({record.via}, record {record.id})", highlight=False)


@scenarios_app.command("check")
def check_command(scenario: ScenarioArgument, tenant: TenantOption, subject: SubjectOption,
                  database: DatabaseOption = None) -> None:
    """Decide whether a subject is eligible now, record the decision and print it."""
    platform = open_platform(database)
    tenant_id = platform.tenant(tenant).id
    decision = platform.scenarios.check(tenant_id, scenario, _subject(platform, tenant_id, subject))
    verdict = "eligible" if decision.eligible else "not eligible: " + ", ".join(decision.reasons)
    console.print(f"{scenario}: {verdict} (score {decision.score_value}, {decision.method} "
                  f"{decision.method_version}, rule {decision.rule_version}); decision "
                  f"{decision.id}", highlight=False)


@scenarios_app.command("replay")
def replay_command(decision_id: Annotated[str, typer.Argument(help="The decision's id.")],
                   tenant: TenantOption, database: DatabaseOption = None) -> None:
    """Recompute a recorded decision and print both; exit 1 if they differ (JF-SCN-5)."""
    platform = open_platform(database)
    report = platform.scenarios.replay(platform.tenant(tenant).id,
                                       _uuid(decision_id, "DECISION_ID"))
    _json({"recorded": report.recorded, "replayed": report.replayed})
    for difference in report.differences:
        console.print(f"[red]DIFFERS[/red] {difference}", highlight=False)
    if not report.identical:
        raise typer.Exit(1)
    console.print(f"[green]decision {report.decision_id} ({report.kind}) replays identically"
                  "[/green]", highlight=False)


@scenarios_app.command("book")
def book_command(
    scenario: ScenarioArgument, tenant: TenantOption, subject: SubjectOption,
    unit: Annotated[str, typer.Option("--unit", help="The provider unit.")],
    day: Annotated[str, typer.Option("--day", help="The day, YYYY-MM-DD.")],
    key: Annotated[str, typer.Option("--key", help="Idempotency key.")],
    database: DatabaseOption = None,
) -> None:
    """Book a priority slot (JF-SCN-4) and print the code confirming it."""
    platform = open_platform(database)
    tenant_id = platform.tenant(tenant).id
    booking = platform.scenarios.book(tenant_id, scenario, _subject(platform, tenant_id, subject),
                                      unit, _date(day, "--day"), key)
    typer.echo(booking.token or "")
    Console(stderr=True).print(f"booked {booking.unit} on {booking.day} (booking {booking.id})",
                               highlight=False)


@round_app.command("create")
def round_create(
    scenario: ScenarioArgument, tenant: TenantOption,
    name: Annotated[str, typer.Option("--name", help="The round's name.")],
    quota: Annotated[list[str], typer.Option(
        "--quota", help="SLOT=N, once per slot (e.g. '第一小学:2-A→1-A=15').")],
    opens: Annotated[str, typer.Option("--opens", help="Window opens, ISO instant with zone.")],
    closes: Annotated[str, typer.Option("--closes", help="Window closes, ISO instant with zone.")],
    database: DatabaseOption = None,
) -> None:
    """Open a quota round; prints its id and the SHA-256 of its lottery seed."""
    quotas = {}
    for item in quota:
        slot, _, number = item.rpartition("=")
        if not slot or not number.isdigit():
            raise typer.BadParameter(f"{item!r}: expected SLOT=N", param_hint="--quota")
        quotas[slot] = int(number)
    platform = open_platform(database)
    created = platform.scenarios.create_round(platform.tenant(tenant).id, scenario, RoundCreate(
        name=name, quotas=quotas, opens_at=_instant(opens, "--opens"),
        closes_at=_instant(closes, "--closes")))
    console.print(f"round {created.id}; seed sha256 {created.seed_sha256}", highlight=False)


@round_app.command("apply")
def round_apply(
    round_id: RoundArgument, tenant: TenantOption, subject: SubjectOption,
    slot: Annotated[str, typer.Option("--slot", help="The slot applied for.")],
    applied_by: Annotated[str | None, typer.Option(
        "--applied-by", help="A guardian applying for a child; default: the subject.")] = None,
    database: DatabaseOption = None,
) -> None:
    """Apply to a round during its window."""
    platform = open_platform(database)
    tenant_id = platform.tenant(tenant).id
    who = _subject(platform, tenant_id, subject)
    by = _subject(platform, tenant_id, applied_by) if applied_by else who
    application = platform.scenarios.apply(tenant_id, _uuid(round_id, "ROUND_ID"), who, slot,
                                           applied_by=by)
    console.print(f"application {application.id}", highlight=False)


@round_app.command("draw")
def round_draw(round_id: RoundArgument, tenant: TenantOption,
               database: DatabaseOption = None) -> None:
    """Rank the applications after the window closes and record the draw."""
    platform = open_platform(database)
    decision = platform.scenarios.draw(platform.tenant(tenant).id, _uuid(round_id, "ROUND_ID"))
    selected = sum(1 for e in decision.result["entries"] if e["selected"])
    console.print(f"drawn: {selected} selected of {len(decision.result['entries'])}; "
                  f"decision {decision.id}; seed {decision.inputs['seed']}", highlight=False)


@round_app.command("publish")
def round_publish(round_id: RoundArgument, tenant: TenantOption,
                  publisher: Annotated[str, typer.Option("--publisher", help="Publisher's code.")],
                  database: DatabaseOption = None) -> None:
    """Put the drawn list under public notice and print it (masked names)."""
    platform = open_platform(database)
    tenant_id = platform.tenant(tenant).id
    rid = _uuid(round_id, "ROUND_ID")
    platform.scenarios.publish_round(tenant_id, rid,
                                     publisher=_subject(platform, tenant_id, publisher))
    _print_list(platform.scenarios.public_list(tenant_id, rid))


@round_app.command("close")
def round_close(round_id: RoundArgument, tenant: TenantOption,
                database: DatabaseOption = None) -> None:
    """After the notice, make the list final and print the final list."""
    platform = open_platform(database)
    tenant_id = platform.tenant(tenant).id
    rid = _uuid(round_id, "ROUND_ID")
    platform.scenarios.close_round(tenant_id, rid)
    _print_list(platform.scenarios.public_list(tenant_id, rid))


def _print_list(listing: Any) -> None:
    title = (f"{listing.round} — {'final list' if listing.final else 'public notice'} "
             f"{listing.notice_starts_on} to {listing.notice_ends_on}; seed sha256 "
             f"{listing.seed_sha256}")
    table = Table("slot", "rank", "name", "score", "selected", title=title)
    for entry in listing.entries:
        table.add_row(entry.slot, str(entry.rank), entry.name, entry.score,
                      "yes" if entry.selected else "")
    console.print(table)


def _date(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r}: expected YYYY-MM-DD", param_hint=option) from None


def _instant(value: str, option: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise typer.BadParameter(f"{value!r}: expected an ISO instant with its zone",
                                 param_hint=option)
    return moment
