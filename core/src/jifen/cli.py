"""The ``jifen`` command (Typer). Errors print ``error[<code>]: <message>`` and exit 2."""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.console import Console
from rich.table import Table

from jifen.errors import JifenError

app = typer.Typer(help="jifen — points-based grassroots governance platform", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
audit_app = typer.Typer(help="Audit the ledger.", no_args_is_help=True)
ledger_app = typer.Typer(help="Ledger operations.", no_args_is_help=True)
plugins_app = typer.Typer(help="Installed plugins.", no_args_is_help=True)
tenant_app = typer.Typer(help="Tenants and their configuration files.", no_args_is_help=True)
notices_app = typer.Typer(help="Public notices of awards and deductions.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(audit_app, name="audit")
app.add_typer(ledger_app, name="ledger")
app.add_typer(plugins_app, name="plugins")
app.add_typer(tenant_app, name="tenant")
app.add_typer(notices_app, name="notices")
token_app = typer.Typer(help="API bearer tokens.", no_args_is_help=True)
password_app = typer.Typer(help="Demo login passwords.", no_args_is_help=True)
jobs_app = typer.Typer(help="Periodic jobs (notice closing, expiry, plugins' jobs).",
                       no_args_is_help=True)
app.add_typer(token_app, name="token")
app.add_typer(password_app, name="password")
app.add_typer(jobs_app, name="jobs")
codes_app = typer.Typer(help="Signed short-lived codes and their QR images (码上生活).",
                        no_args_is_help=True)
app.add_typer(codes_app, name="codes")
plugin_app = typer.Typer(help="Write a new plugin.", no_args_is_help=True)
app.add_typer(plugin_app, name="plugin")
role_app = typer.Typer(help="Roles of subjects at org units (JF-PRIV-1).", no_args_is_help=True)
app.add_typer(role_app, name="role")

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


@tenant_app.command("apply")
def tenant_apply(
    file: Annotated[Path, typer.Argument(help="The tenant's YAML file.")],
    approved_by: Annotated[str, typer.Option(
        "--approved-by", help="The supervision committee's approval (JF-CAT-6).")],
    database: DatabaseOption = None,
) -> None:
    """Create or update a tenant from its file: all of it, or (on any error) nothing."""
    platform = open_platform(database, upgrade=True)
    result = platform.apply_config(file, approved_by=approved_by)
    if result.unchanged:
        console.print(f"tenant {result.tenant.code}: unchanged (configuration version "
                      f"{result.version})")
        return
    verb = "created" if result.created else "updated"
    console.print(f"tenant {result.tenant.code} {verb}: configuration version {result.version}, "
                  f"{result.units_added} org unit(s) added, {result.items_published} catalogue "
                  "version(s) published")


@tenant_app.command("init")
def tenant_init(
    out: Annotated[Path | None, typer.Option(
        "--out", help="The tenant file to write (default: CODE.yaml).", dir_okay=False)] = None,
    code: Annotated[str | None, typer.Option("--code", help="Tenant code, e.g. baotou.")] = None,
    name: Annotated[str | None, typer.Option("--name", help="City name.")] = None,
    timezone: Annotated[str | None, typer.Option("--timezone", help="Time zone.")] = None,
    district: Annotated[str | None, typer.Option("--district", help="First district.")] = None,
    street: Annotated[str | None, typer.Option("--street", help="First street.")] = None,
    community: Annotated[str | None, typer.Option(
        "--community", help="First community.")] = None,
    grids: Annotated[int | None, typer.Option("--grids", help="Grids in it.")] = None,
    pool_owner: Annotated[str | None, typer.Option(
        "--pool-owner", help="Who funds material points.")] = None,
    budget_yuan: Annotated[int | None, typer.Option(
        "--budget-yuan", help="Yearly budget for material points, in yuan.")] = None,
    valid_from: Annotated[str | None, typer.Option(
        "--valid-from", help="Date the catalogue takes effect, YYYY-MM-DD.")] = None,
    interactive: Annotated[bool, typer.Option(
        "--interactive", "-i", help="Ask for every value not given as an option.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing file.")] = False,
) -> None:
    """Start a new city's tenant file from the template (org tree, settings, a funding pool, a
    starter catalogue) and validate it; then edit it and `jifen tenant apply` it."""
    from jifen.config import iter_units
    from jifen.scaffold import CITY_QUESTIONS, city_defaults, new_tenant_file

    given = {"code": code, "name": name, "timezone": timezone, "district": district,
             "street": street, "community": community, "grids": grids, "pool_owner": pool_owner,
             "budget_yuan": budget_yuan, "valid_from": valid_from}
    defaults = city_defaults(date.today())
    answers: dict[str, str] = {}
    for key, question, _ in CITY_QUESTIONS:
        if given[key] is not None:
            answers[key] = str(given[key])
        elif interactive:
            answers[key] = str(typer.prompt(question, default=defaults.get(key)))
        elif key in defaults:
            answers[key] = defaults[key]
        else:
            raise typer.BadParameter("give it, or use --interactive", param_hint=f"--{key}")
    target = out or Path(f"{answers['code']}.yaml")
    config = new_tenant_file(answers, target, force=force)
    units = sum(1 for _ in iter_units(config))
    console.print(f"wrote {target}: tenant {config.code}, {units} org units, "
                  f"{len(config.catalogue)} catalogue items, pool {config.default_pool} — valid",
                  highlight=False, soft_wrap=True)
    console.print(f"next: edit it, then jifen tenant apply {target} --approved-by \"…\"",
                  highlight=False, markup=False, soft_wrap=True)


@notices_app.command("close")
def notices_close(tenant: TenantOption, database: DatabaseOption = None) -> None:
    """Post every award whose notice ended without an upheld objection (JF-EARN-3); idempotent."""
    platform = open_platform(database)
    report = platform.claims.close_notices(platform.tenant(tenant).id)
    console.print(f"finalised {report.finalised} claim(s), closed {report.batches_closed} "
                  "notice batch(es)")
    for claim_id, code in report.failed.items():
        console.print(f"[red]NOT POSTED[/red] claim {claim_id}: {code}", highlight=False)
    if report.failed:
        raise typer.Exit(1)


@plugins_app.command("list")
def plugins_list(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List the plugins, where they come from, the hooks they implement and the profiles of
    the standard the installed plugins cover."""
    from jifen.doctor import PROFILE_PLUGINS
    from jifen.plugins import make_plugin_manager, plugin_distributions

    pm = make_plugin_manager()
    rows = plugin_distributions(pm)
    active = {name for name, _ in pm.list_name_plugin()}
    missing = {profile: [p for p in needed if p not in active]
               for profile, needed in PROFILE_PLUGINS.items()}
    if as_json:
        typer.echo(json.dumps({"plugins": [{"name": n, "from": d, "hooks": h} for n, d, h in rows],
                               "profiles": missing}, ensure_ascii=False, indent=2))
        return
    table = Table("plugin", "from", "hooks")
    for name, dist, hooks in rows:
        table.add_row(name, dist, ", ".join(hooks))
    console.print(table)
    _print_profiles(missing)


def _print_profiles(missing: Mapping[str, list[str]]) -> None:
    covered = [profile for profile, needs in missing.items() if not needs]
    console.print(f"profiles covered: {', '.join(covered)}", highlight=False)
    for profile, needs in missing.items():
        if needs:
            console.print(f"  {profile} also needs the plugins {', '.join(needs)}",
                          highlight=False)


@plugin_app.command("new")
def plugin_new(
    name: Annotated[str, typer.Argument(help="The plugin's name, e.g. parking: distribution "
                                        "jifen-parking, module jifen_parking.")],
    directory: Annotated[Path, typer.Option(
        "--dir", help="Folder to create jifen-NAME in.", file_okay=False)] = Path("."),
) -> None:
    """Write a new plugin distribution: pyproject with the jifen entry point, a hook
    implementation, tests on jifen's pytest fixtures and a docs page."""
    from jifen.scaffold import new_plugin

    names, target, written = new_plugin(name, directory)
    console.print(f"created {names.dist} in {target} ({len(written)} files)", highlight=False,
                  soft_wrap=True)
    console.print(f"next: cd {target} && pip install -e '.[test]' && pytest && jifen plugins list",
                  highlight=False, markup=False, soft_wrap=True)


@app.command("doctor")
def doctor_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    database: DatabaseOption = None,
) -> None:
    """Check the installation: jifen and the plugins (their hooks), the profiles they cover, the
    database's schema and the master key. Exits 1 if anything is misconfigured."""
    from dataclasses import asdict

    from jifen.doctor import diagnose
    from jifen.store import default_url

    report = diagnose(database or default_url())
    if as_json:
        typer.echo(json.dumps({"ok": report.ok, "plugins": [
            {"name": n, "from": d, "hooks": h} for n, d, h in report.plugins],
            "profiles": report.profiles, "findings": [asdict(f) for f in report.findings]},
            ensure_ascii=False, indent=2))
    else:
        table = Table("plugin", "from", "hooks")
        for name, dist, hooks in report.plugins:
            table.add_row(name, dist, ", ".join(hooks))
        console.print(table)
        _print_profiles(report.profiles)
        style = {"ok": "green", "warning": "yellow", "problem": "red"}
        for f in report.findings:
            console.print(f"[{style[f.level]}]{f.level.upper():<8}[/] {f.topic}: ", end="")
            console.print(f.message, highlight=False, markup=False, soft_wrap=True)
    if not report.ok:
        raise typer.Exit(1)


@app.command("stats")
def stats_command(
    tenant: TenantOption,
    start: Annotated[str | None, typer.Option(
        "--from", help="First local date of the period, YYYY-MM-DD (default: the first day of "
        "the month of the period's last day).")] = None,
    end: Annotated[str | None, typer.Option(
        "--to", help="First local date after the period, YYYY-MM-DD (default: tomorrow, so "
        "the period runs through today).")] = None,
    level: Annotated[str, typer.Option(
        "--level", help="Org level of the rows: city, district, street, community or grid.")
    ] = "community",
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    database: DatabaseOption = None,
) -> None:
    """Totals per org unit and period: residents with moral points, moral points awarded and
    deducted, material points issued, redeemed, expired and settled (JF-STAT-1)."""
    from datetime import date, timedelta
    from zoneinfo import ZoneInfo

    from jifen import stats
    from jifen.errors import InvalidInput
    from jifen.model import Points

    def parse(option: str, value: str) -> date:
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise InvalidInput(f"{option} {value!r}: expected a date YYYY-MM-DD",
                               option=option) from None

    platform = open_platform(database)
    found = platform.tenant(tenant)
    today = platform.clock.now().astimezone(ZoneInfo(found.timezone)).date()
    until = parse("--to", end) if end is not None else today + timedelta(days=1)
    since = (parse("--from", start) if start is not None
             else (until - timedelta(days=1)).replace(day=1))
    with platform.db.read() as conn:
        report = stats.totals(conn, found.id, since, until, level)
    if as_json:
        typer.echo(report.model_dump_json(indent=2))
        return
    table = Table(level, "name",
                  title=f"{found.name} — {since} to {until} (exclusive), {found.timezone}")
    for heading in ("residents", "moral awarded", "moral deducted", "material issued",
                    "redeemed", "expired", "settled"):
        table.add_column(heading, justify="right")
    for row in [*report.rows, report.total]:
        table.add_row(
            row.org_code, row.org_name, str(row.residents_with_moral_points),
            str(Points(kind="moral", minor=row.moral_awarded)),
            str(Points(kind="moral", minor=row.moral_deducted)),
            *(str(getattr(row, name)) for name in (
                "material_issued", "material_redeemed", "material_expired", "material_settled")),
            style="bold" if row is report.total else None,
            end_section=row is report.rows[-1] if report.rows else False)
    console.print(table)


@app.command("pools")
def pools_command(tenant: TenantOption,
                  as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
                  database: DatabaseOption = None) -> None:
    """The tenant's funding pools: limit, issued and remaining material points (JF-FUND-1)."""
    import json

    platform = open_platform(database)
    pools = platform.funding.pools(platform.tenant(tenant).id)
    if as_json:
        typer.echo(json.dumps([{**p.model_dump(), "remaining": p.remaining} for p in pools],
                              ensure_ascii=False, indent=2))
        return
    table = Table("pool", "name", "owner", title=f"{tenant} — funding pools (points)")
    for heading in ("limit", "issued", "remaining"):
        table.add_column(heading, justify="right")
    for p in pools:
        table.add_row(p.code, p.name, p.owner, str(p.limit_points), str(p.issued),
                      str(p.remaining))
    console.print(table)


@app.command("export")
def export_command(
    tenant: TenantOption,
    subject: Annotated[str, typer.Option("--subject", help="The subject's public code.")],
    out: Annotated[Path | None, typer.Option(
        "--out", help="The JSON file to write (default: standard output).", dir_okay=False)
    ] = None,
    database: DatabaseOption = None,
) -> None:
    """All of a resident's data as JSON, for the resident, at a service counter (JF-PRIV-3,
    JF-PRIV-5); includes their national ID and phone in clear: hand it to them only."""
    import json

    from jifen import subjects

    platform = open_platform(database)
    tenant_id = platform.tenant(tenant).id
    with platform.db.read() as conn:
        found = subjects.find_by_code(conn, tenant_id, subject)
    text = json.dumps(platform.export_subject(tenant_id, found.id), ensure_ascii=False, indent=2)
    if out is None:
        typer.echo(text)
        return
    out.write_text(text + "\n", encoding="utf-8")
    console.print(f"wrote the data of {subject} to {out}", highlight=False)


@app.command("score")
def score(
    tenant: TenantOption,
    subject: Annotated[str, typer.Option("--subject", help="The subject's public code.")],
    scenario: Annotated[bool, typer.Option(
        "--scenario", help="As a scenario sees it: a child may use a guardian's score.")] = False,
    lines: Annotated[int, typer.Option("--lines", help="Postings to show.")] = 20,
    database: DatabaseOption = None,
) -> None:
    """A subject's contribution score with its explanation (JF-SCORE-1/2)."""
    from jifen import subjects
    from jifen.reports import approver_names, print_score

    platform = open_platform(database)
    tenant_id = platform.tenant(tenant).id
    with platform.db.read() as conn:
        who = subjects.find_by_code(conn, tenant_id, subject)
    result = platform.score(tenant_id, who.id, for_scenario=scenario)
    with platform.db.read() as conn:
        names = approver_names(conn, tenant_id, result)
    print_score(console, result, who.name, lines=lines, names=names)


class CodePurpose(StrEnum):
    """What a code is for (JF-CODE-1)."""

    pay = "pay"
    verify_benefit = "verify-benefit"
    identify = "identify"


PurposeOption = Annotated[CodePurpose, typer.Option("--purpose", help="What the code is for.")]


@codes_app.command("issue")
def codes_issue(
    tenant: TenantOption,
    subject: Annotated[str, typer.Option("--subject", help="The subject's public code.")],
    purpose: PurposeOption,
    benefit: Annotated[str | None, typer.Option(
        "--benefit", help="The benefit a verify-benefit code shows.")] = None,
    valid_until: Annotated[str | None, typer.Option(
        "--valid-until", help="The last day of the benefit's validity, YYYY-MM-DD.")] = None,
    lifetime: Annotated[int, typer.Option("--lifetime", help="Seconds the code lives.")] = 60,
    qr: Annotated[Path | None, typer.Option(
        "--qr", help="Also write the code as a QR image: FILE.svg or FILE.png.")] = None,
    database: DatabaseOption = None,
) -> None:
    """Issue a subject's code and print it (JF-CODE-1); --qr writes its QR image (JF-CODE-3)."""
    from datetime import timedelta

    from jifen import subjects
    from jifen.codes import render_qr

    fmt = qr_format(qr)
    until = _option_date("--valid-until", valid_until)
    platform = open_platform(database)
    tenant_id = platform.tenant(tenant).id
    with platform.db.read() as conn:
        who = subjects.find_by_code(conn, tenant_id, subject)
    issued = platform.codes.issue(tenant_id, who.id, purpose.value, benefit=benefit,
                                  valid_until=until, lifetime=timedelta(seconds=lifetime))
    if qr is not None:
        qr.write_bytes(render_qr(issued.token, fmt))
    typer.echo(issued.token)
    Console(stderr=True).print(
        f"{purpose.value} code of {who.code}, key {issued.key_id}, expires "
        f"{issued.expires_at:%Y-%m-%d %H:%M:%S} UTC" + (f"; QR image {qr}" if qr else ""),
        highlight=False, markup=False)


@codes_app.command("verify")
def codes_verify(
    token: Annotated[str, typer.Argument(help="The code (the text of its QR image).")],
    tenant: TenantOption,
    purpose: PurposeOption,
    database: DatabaseOption = None,
) -> None:
    """Check a code online without using it: tenant, key, signature, purpose, expiry, not used
    (JF-CODE-1). A refused code exits 2 with its error code."""
    from jifen import subjects
    from jifen.codes import BenefitCode

    platform = open_platform(database)
    tenant_id = platform.tenant(tenant).id
    result = platform.codes.verify(tenant_id, token, purpose.value)
    expires = f"{result.expires_at:%Y-%m-%d %H:%M:%S} UTC"
    if isinstance(result, BenefitCode):
        console.print(f"valid verify-benefit code: {result.benefit}, valid until "
                      f"{result.valid_until}; the code expires {expires}", highlight=False)
        return
    with platform.db.read() as conn:
        who = subjects.get_subject(conn, tenant_id, result.subject_id)
    console.print(f"valid {result.purpose} code of subject {who.code}; the code expires "
                  f"{expires}", highlight=False)


@codes_app.command("keys")
def codes_keys(
    tenant: TenantOption,
    rotate: Annotated[bool, typer.Option(
        "--rotate", help="First make a new signing key and retire the current one.")] = False,
    as_json: Annotated[bool, typer.Option(
        "--json", help="Print only the published public keys, as JSON.")] = False,
    database: DatabaseOption = None,
) -> None:
    """The tenant's code-signing keys; the published ones are what providers verify benefit
    codes with, offline (JF-CODE-2). Makes the first key if the tenant has none."""
    import json

    platform = open_platform(database)
    tenant_id = platform.tenant(tenant).id
    if rotate:
        new = platform.codes.rotate_key(tenant_id)
        Console(stderr=True).print(f"new signing key {new.key_id}", highlight=False)
    published = platform.codes.public_keys(tenant_id)
    if as_json:
        typer.echo(json.dumps(published, indent=2))
        return
    table = Table("key id", "state", "created", "retired", "public key (base64)")
    for key in platform.codes.keys(tenant_id):
        state = ("signing" if key.active else
                 "published" if key.key_id in published else "withdrawn")
        table.add_row(key.key_id, state, f"{key.created_at:%Y-%m-%d %H:%M:%S}",
                      f"{key.retired_at:%Y-%m-%d %H:%M:%S}" if key.retired_at else "",
                      key.public_key)
    console.print(table)


def qr_format(path: Path | None) -> Literal["svg", "png"]:
    """The image format a ``--qr`` file asks for by its suffix (.svg by default); a usage
    error (exit 2) for any other. Plugins' commands that write QR codes use it too."""
    suffix = path.suffix.lower() if path is not None else ".svg"
    if suffix not in (".svg", ".png"):
        raise typer.BadParameter("the QR image file must end in .svg or .png", param_hint="--qr")
    return "svg" if suffix == ".svg" else "png"


def _option_date(option: str, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r}: expected a date YYYY-MM-DD",
                                 param_hint=option) from None


@app.command("serve")
def serve(
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8000,
    test_mode: Annotated[bool, typer.Option(
        "--test-mode", help="Offer POST /test/clock on a movable clock (JF-API-2). Never in "
        "production.")] = False,
    scheduler: Annotated[bool, typer.Option(
        "--scheduler/--no-scheduler", help="Run the periodic jobs while serving.")] = True,
    database: DatabaseOption = None,
) -> None:
    """Serve the HTTP API (uvicorn) on the database, migrating it first."""
    import uvicorn

    from jifen.api import ApiSettings, create_app
    from jifen.clock import MovableClock

    platform = open_platform(database, upgrade=True)
    if test_mode:
        platform = type(platform)(platform.db, clock=MovableClock())
    app_ = create_app(platform, ApiSettings(test_mode=test_mode, scheduler=scheduler))
    console.print(f"jifen API on http://{host}:{port}/ (OpenAPI: /openapi.json)"
                  + (" [yellow]test mode[/yellow]" if test_mode else ""))
    uvicorn.run(app_, host=host, port=port, log_level="info")


@role_app.command("grant")
def role_grant(
    tenant: TenantOption,
    subject: Annotated[str, typer.Option("--subject", help="The subject's code.")],
    role: Annotated[str, typer.Option("--role", help="The role, e.g. reviewer.")],
    at: Annotated[str, typer.Option(
        "--at", help="The org unit (code) it is held at; it covers the units below.")],
    database: DatabaseOption = None,
) -> None:
    """Give a subject a role at an org unit, recorded in the audit log (JF-PRIV-1): e.g. a
    community's reviewer, who approves the claims of that community's residents."""
    from jifen import subjects
    from jifen.api.auth import Role

    name = Role.parse(role).name
    platform = open_platform(database)
    tenant_id = platform.tenant(tenant).id
    with platform.db.read() as conn:
        who = subjects.find_by_code(conn, tenant_id, subject)
    platform.grant_role(tenant_id, who.id, name, at)
    console.print(f"{who.code} is {name} at {at}", highlight=False)


@token_app.command("issue")
def token_issue(
    tenant: TenantOption,
    subject: Annotated[str, typer.Option(
        "--subject", help="The subject's code (or, for operator, auditor and provider tokens, "
        "a name).")],
    role: Annotated[list[str], typer.Option(
        "--role", help="A role (repeatable): resident, grid_worker, reviewer, admin, "
        "department, merchant, provider, auditor, operator.")],
    scope: Annotated[str | None, typer.Option(
        "--scope", help="The org unit (code) the roles are held at.")] = None,
    ttl: Annotated[int, typer.Option("--ttl", help="Lifetime in seconds.")] = 3600,
    database: DatabaseOption = None,
) -> None:
    """Print a signed bearer token (JWT, HS256) for the API (JF-PRIV-1)."""
    from jifen.api.auth import Role, issue_token

    roles = [Role(Role.parse(name).name, scope) for name in role]
    token, expires = issue_token(open_platform(database), tenant, subject, roles, ttl=ttl)
    typer.echo(token)
    Console(stderr=True).print(f"roles {', '.join(map(str, roles))}; expires "
                               f"{expires:%Y-%m-%d %H:%M:%S} UTC", highlight=False, markup=False)


@password_app.command("set")
def password_set(
    tenant: TenantOption,
    subject: Annotated[str, typer.Option("--subject", help="The subject's code.")],
    password: Annotated[str, typer.Option(
        "--password", prompt=True, hide_input=True, confirmation_prompt=True,
        envvar="JIFEN_PASSWORD", help="The password (prompted for when not given).")],
    database: DatabaseOption = None,
) -> None:
    """Set a subject's login password (stored as an argon2id hash)."""
    from jifen import subjects
    from jifen.api.auth import set_password

    platform = open_platform(database)
    tenant_id = platform.tenant(tenant).id
    with platform.db.read() as conn:
        who = subjects.find_by_code(conn, tenant_id, subject)
    set_password(platform, tenant_id, who.id, password)
    console.print(f"password set for {who.code}", highlight=False)


@jobs_app.command("run")
def jobs_run(
    tenant: Annotated[str | None, typer.Option(
        "--tenant", help="Only this tenant (default: every tenant).")] = None,
    job: Annotated[list[str] | None, typer.Option(
        "--job", help="Only this job (repeatable; default: every job).")] = None,
    database: DatabaseOption = None,
) -> None:
    """Run the periodic jobs once (what the server's scheduler runs); idempotent."""
    from jifen.jobs import collect_jobs, run_once

    platform = open_platform(database)
    jobs = [j for j in collect_jobs(platform.pm) if not job or j.name in job]
    tenant_ids = [platform.tenant(tenant).id] if tenant else None
    failures = run_once(platform, jobs, tenant_ids)
    for name, failed in failures.items():
        console.print(f"{name}: " + (f"[red]{failed} tenant(s) failed[/red]" if failed else "ok"))
    if any(failures.values()):
        raise typer.Exit(1)


@app.command("demo")
def demo(
    database: DatabaseOption = None,
    serve_: Annotated[bool, typer.Option(
        "--serve", help="Then serve the demo city (API and web pages) and print the URL and the "
        "demo logins.")] = False,
    host: Annotated[str, typer.Option("--host", help="With --serve: address to listen on.")]
    = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="With --serve: port to listen on.")] = 8000,
) -> None:
    """Run the demo city on the embedded SQLite default (idempotent: re-running posts nothing
    twice); with ``--serve``, serve it too."""
    from jifen.demo import DEMO_PASSWORD, demo_logins, run_demo

    platform = open_platform(database, upgrade=True)
    run_demo(platform, console)
    if not serve_:
        return
    import uvicorn

    from jifen.api import ApiSettings, create_app

    tenant, logins = demo_logins(platform)
    base = f"http://{host}:{port}"
    console.print(f"\njifen demo on {base}/ — notice board {base}/t/{tenant}/notices, "
                  f"login {base}/t/{tenant}/login", highlight=False)
    for role, name, code in logins:
        console.print(f"  {role:<9} {name}: subject code {code}, password {DEMO_PASSWORD}",
                      highlight=False, markup=False)
    uvicorn.run(create_app(platform, ApiSettings(scheduler=True)), host=host, port=port,
                log_level="info")


def main() -> None:
    from jifen.plugins import make_plugin_manager

    try:
        try:
            pm = make_plugin_manager()
        except Exception as exc:  # a broken plugin must not stop `jifen doctor` from saying so
            Console(stderr=True).print(
                f"warning: the installed plugins do not load ({type(exc).__name__}: {exc}); "
                "their commands are missing; `jifen doctor` says more", highlight=False,
                markup=False)
            pm = make_plugin_manager(load_entry_points=False)
        pm.hook.register_commands(app=app)
        code = app(standalone_mode=False)
        sys.exit(code if isinstance(code, int) else 0)
    except JifenError as exc:
        Console(stderr=True).print(str(exc), highlight=False, markup=False)
        sys.exit(2)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        sys.exit(1)
    except Exception as exc:  # usage errors (Typer's click, or click itself, by version)
        show, exit_code = getattr(exc, "show", None), getattr(exc, "exit_code", None)
        if callable(show) and isinstance(exit_code, int):
            show()
            sys.exit(exit_code)
        raise


def write_public_keys(tenant_code: str, public_keys: Mapping[str, str], out: Path | None) -> None:
    """Print or write the tenant's public-keys file for a provider's offline checks
    (`jifen.codes.keys_document`, JF-CODE-2). Plugins' ``keys export`` commands use it."""
    from jifen.codes import keys_document

    text = json.dumps(keys_document(tenant_code, public_keys), indent=2, ensure_ascii=False)
    if out is None:
        typer.echo(text)
        return
    out.write_text(text + "\n", encoding="utf-8")
    console.print(f"wrote the public keys of {tenant_code} to {out}", highlight=False)
