"""``jifen grid …``: the command group this plugin adds through ``register_commands``.

Each command opens the platform the way jifen's own commands do (``--database`` or
``JIFEN_DATABASE_URL``) and names the tenant with ``--tenant``; errors are jifen errors, so the
``jifen`` command prints ``error[<code>]: <message>`` and exits 2.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from jifen.cli import DatabaseOption, TenantOption, console, open_platform
from jifen.errors import NotFound
from jifen.platform import Platform
from jifen_grid_evaluation.csvfile import load_metrics_csv
from jifen_grid_evaluation.model import EvaluationReport, Metrics, PublishedFormula, RankingGroup
from jifen_grid_evaluation.service import GridEvaluation, load_formula

app = typer.Typer(help="Grid-worker monthly evaluation and rewards (JF-GRID-1/2).",
                  no_args_is_help=True)
metrics_app = typer.Typer(help="Monthly metrics of grid workers.", no_args_is_help=True)
app.add_typer(metrics_app, name="metrics")

MonthArgument = Annotated[str, typer.Argument(help="The month, YYYY-MM.")]
ByOption = Annotated[str, typer.Option("--by", help="Who does it (recorded in the audit log).")]
Count = Annotated[int | None, typer.Option(min=0)]


def _open(database: str | None, tenant: str) -> tuple[Platform, GridEvaluation, uuid.UUID]:
    """The platform, its grid evaluation and the id of the tenant named by ``--tenant``."""
    platform: Platform = open_platform(database)
    return platform, GridEvaluation(platform), platform.tenant(tenant).id


@app.command("formula")
def formula(
    tenant: TenantOption,
    publish: Annotated[Path | None, typer.Option(
        "--publish", help="Publish this YAML/JSON formula as the next version.", exists=True,
        dir_okay=False)] = None,
    by: ByOption = "operator",
    database: DatabaseOption = None,
) -> None:
    """Show the formula in force, or publish a new version of it first."""
    _, grid, tenant_id = _open(database, tenant)
    if publish is not None:
        before = grid.formula(tenant_id).version
        published = grid.publish_formula(tenant_id, load_formula(publish), published_by=by)
        verb = "unchanged" if published.version == before else "published"
        console.print(f"formula {verb}: version {published.version}")
    _print_formula(grid.formula(tenant_id))


@metrics_app.command("import")
def metrics_import(
    file: Annotated[Path, typer.Argument(help="The CSV file.", exists=True, dir_okay=False)],
    tenant: TenantOption,
    by: ByOption = "operator",
    database: DatabaseOption = None,
) -> None:
    """Record monthly metrics from a CSV file: all of its rows, or (on any error) none."""
    lines = load_metrics_csv(file)
    _, grid, tenant_id = _open(database, tenant)
    count = grid.import_metrics(tenant_id, lines, recorded_by=by)
    console.print(f"recorded the metrics of {count} worker-month(s) from {file.name}")


@app.command("evaluate")
def evaluate(month: MonthArgument, tenant: TenantOption, by: ByOption = "operator",
             database: DatabaseOption = None) -> None:
    """Evaluate and reward every grid worker for a month that has ended (idempotent)."""
    _, grid, tenant_id = _open(database, tenant)
    _print_report(grid.evaluate(tenant_id, month, evaluated_by=by))


@app.command("correct")
def correct(
    month: MonthArgument,
    tenant: TenantOption,
    worker: Annotated[str, typer.Option("--worker", help="The worker's public code.")],
    reason: Annotated[str, typer.Option("--reason", help="Why the evaluation is corrected.")],
    by: ByOption,
    orders_done: Count = None, ratings_count: Count = None, ratings_sum: Count = None,
    responses_count: Count = None, response_minutes: Count = None, inspections: Count = None,
    database: DatabaseOption = None,
) -> None:
    """Correct a worker's evaluated month: the metrics given change, the others stay."""
    changes = {name: value for name, value in (
        ("orders_done", orders_done), ("ratings_count", ratings_count),
        ("ratings_sum", ratings_sum), ("responses_count", responses_count),
        ("response_minutes", response_minutes), ("inspections", inspections))
        if value is not None}
    _, grid, tenant_id = _open(database, tenant)
    worker_id = _worker_id(grid, tenant_id, worker)
    evaluated = grid.evaluations(tenant_id, month, worker_id=worker_id)
    base = evaluated[0].metrics if evaluated else Metrics()
    metrics = Metrics.model_validate({**base.model_dump(), **changes})
    done = grid.correct(tenant_id, worker_id, month, metrics, reason, by)
    old, new = done.previous, done.current
    console.print(f"{worker} {month}: revision {old.revision} → {new.revision}, score "
                  f"{old.score} ({old.grade}, {old.reward} points) → {new.score} ({new.grade}, "
                  f"{new.reward} points)")


@app.command("ranking")
def ranking(
    month: MonthArgument,
    tenant: TenantOption,
    level: Annotated[str, typer.Option(
        "--level", help="street, district, community or city.")] = "street",
    database: DatabaseOption = None,
) -> None:
    """The month's ranking per street (or district, …): by score, ties by worker code."""
    _, grid, tenant_id = _open(database, tenant)
    groups = grid.ranking(tenant_id, month, level)
    if not groups:
        console.print(f"no evaluations for {month}")
    for group in groups:
        console.print(ranking_table(group, month))


def ranking_table(group: RankingGroup, month: str) -> Table:
    """One unit's ranking as a rich table (also used by the demo)."""
    table = Table("#", "worker", "name", "grid", "score", "grade", "points",
                  title=f"{group.unit_name} ({group.unit_code}) — {month}")
    for entry in group.entries:
        table.add_row(str(entry.rank), entry.worker_code, entry.name, entry.grid,
                      str(entry.score), entry.grade, str(entry.reward))
    return table


def _worker_id(grid: GridEvaluation, tenant_id: uuid.UUID, code: str) -> uuid.UUID:
    for found in grid.workers(tenant_id):
        if found.code == code:
            return found.id
    raise NotFound(f"no grid worker with code {code!r} in this tenant", worker=code)


def _print_report(report: EvaluationReport) -> None:
    if not report.evaluated:
        console.print(f"{report.month}: nothing new — {report.already_evaluated} worker(s) "
                      "evaluated already, no one rewarded again")
        return
    grades = ", ".join(f"{grade} {count}" for grade, count in report.grades.items())
    console.print(f"{report.month}: evaluated {len(report.evaluated)} worker(s) with formula "
                  f"version {report.formula_version} ({grades}); {report.points} points issued; "
                  f"{report.already_evaluated} evaluated already")


def _print_formula(published: PublishedFormula) -> None:
    f = published.formula
    origin = (f"published {published.published_at:%Y-%m-%d %H:%M} UTC by {published.published_by}"
              if published.version else "the plugin's default, never changed by this tenant")
    console.print(f"formula version {published.version} ({origin}); rewards from pool "
                  f"{f.pool or '(the tenant default_pool)'}")
    parts = Table("part", "weight", "rule", title="score = sum of the parts, 0–100, one decimal")
    parts.add_row("orders", str(f.orders.weight), f"× min(1, done / {f.orders.target})")
    parts.add_row("rating", str(f.rating.weight),
                  f"× (average − 1) / 4; no ratings count as {f.rating.neutral}")
    parts.add_row("response", str(f.response.weight),
                  f"× clamp((4·{f.response.target_minutes} − average minutes) / "
                  f"(3·{f.response.target_minutes}), 0, 1); none to respond to: full")
    parts.add_row("inspections", str(f.inspections.weight),
                  f"× min(1, inspections / {f.inspections.target})")
    console.print(parts)
    grades = Table("grade", "from score", "points")
    for rule in f.grades:
        grades.add_row(rule.grade, str(rule.min_score), str(rule.points))
    console.print(grades)
