"""``jifen surveys …``: the command group this plugin adds through ``register_commands``.

Each command opens the platform the way jifen's own commands do (``--database`` or
``JIFEN_DATABASE_URL``) and names the tenant with ``--tenant``; errors are jifen errors, so the
``jifen`` command prints ``error[<code>]: <message>`` and exits 2.
"""

from __future__ import annotations

import csv
import uuid
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from jifen import subjects
from jifen.cli import DatabaseOption, TenantOption, console, open_platform
from jifen.platform import Platform
from jifen_surveys.model import REASONS
from jifen_surveys.service import Surveys, export_columns, load_definition

app = typer.Typer(help="Surveys and quizzes with rewards (JF-ENG-1).", no_args_is_help=True)
CodeArgument = Annotated[str, typer.Argument(help="The survey's code.")]


def _open(database: str | None, tenant: str) -> tuple[Platform, Surveys, uuid.UUID]:
    """The platform, its surveys and the id of the tenant named by ``--tenant``."""
    platform: Platform = open_platform(database)
    return platform, Surveys(platform), platform.tenant(tenant).id


@app.command("create")
def create(
    file: Annotated[Path, typer.Argument(help="The survey's YAML or JSON file.", exists=True,
                                         dir_okay=False)],
    tenant: TenantOption,
    database: DatabaseOption = None,
) -> None:
    """Create a survey or quiz from its file."""
    definition = load_definition(file)
    _, surveys, tenant_id = _open(database, tenant)
    survey = surveys.create(tenant_id, definition)
    cap = f", at most {survey.max_rewarded} rewarded" if survey.max_rewarded else ""
    console.print(f"{survey.kind} {survey.code} created: {len(survey.questions)} question(s), "
                  f"reward {survey.reward} from pool {survey.pool}{cap}")


@app.command("list")
def list_command(tenant: TenantOption, database: DatabaseOption = None) -> None:
    """List the tenant's surveys and quizzes."""
    platform, surveys, tenant_id = _open(database, tenant)
    now = platform.clock.now()
    table = Table("code", "kind", "title", "organiser", "pool", "reward", "cap", "state")
    for survey in surveys.list_surveys(tenant_id):
        table.add_row(survey.code, survey.kind, survey.title, survey.organiser, survey.pool,
                      str(survey.reward), str(survey.max_rewarded or "-"), survey.state(now))
    console.print(table)


@app.command("respond")
def respond(
    code: CodeArgument,
    tenant: TenantOption,
    subject: Annotated[str, typer.Option("--subject", help="The resident's public code.")],
    answer: Annotated[list[str], typer.Option(
        "--answer", help="QUESTION=CHOICE, once per question.")],
    key: Annotated[str | None, typer.Option(
        "--key", help="Idempotency key (default: one per survey and resident).")] = None,
    database: DatabaseOption = None,
) -> None:
    """Answer a survey for a resident (for demos and tests)."""
    answers = dict(_pair(item) for item in answer)
    platform, surveys, tenant_id = _open(database, tenant)
    with platform.db.read() as conn:
        who = subjects.find_by_code(conn, tenant_id, subject)
    response = surveys.respond(tenant_id, code, who.id, answers, key or f"cli:{code}:{subject}")
    if response.not_rewarded:
        console.print(f"response stored, not rewarded: {REASONS[response.not_rewarded]}")
    else:
        console.print(f"response stored, rewarded {response.reward} material points")


@app.command("results")
def results(code: CodeArgument, tenant: TenantOption, database: DatabaseOption = None) -> None:
    """Counts per choice and, for a quiz, the pass rate."""
    _, surveys, tenant_id = _open(database, tenant)
    found = surveys.results(tenant_id, code)
    console.print(f"{found.kind} {found.code} — {found.title}: {found.responses} response(s), "
                  f"{found.rewarded} rewarded")
    if found.pass_rate is not None:
        console.print(f"pass rate {found.pass_rate:.0%} ({found.passed} of {found.responses})")
    for question in found.questions:
        table = Table("choice", "count", title=f"{question.id}: {question.text}")
        for choice, count in question.counts.items():
            mark = " ✓" if choice == question.correct else ""
            table.add_row(choice + mark, str(count))
        console.print(table)


@app.command("export")
def export(
    code: CodeArgument,
    tenant: TenantOption,
    out: Annotated[Path, typer.Option("--out", help="The CSV file to write.", dir_okay=False)],
    database: DatabaseOption = None,
) -> None:
    """Write the responses to a CSV file, residents as pseudonyms only (JF-PRIV)."""
    _, surveys, tenant_id = _open(database, tenant)
    rows = surveys.export(tenant_id, code)
    columns = export_columns(surveys.get(tenant_id, code))
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    console.print(f"wrote {len(rows)} response(s) to {out}")


def _pair(item: str) -> tuple[str, str]:
    question, sep, choice = item.partition("=")
    if not sep or not question:
        raise typer.BadParameter(f"{item!r}: expected QUESTION=CHOICE", param_hint="--answer")
    return question, choice
