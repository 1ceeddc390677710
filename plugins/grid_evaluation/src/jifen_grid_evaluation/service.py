"""Grid-worker monthly evaluation (一月一评定、一月一奖励): JF-GRID-1, JF-GRID-2, JF-FUND-1.

Everything goes through :class:`GridEvaluation`, built on a jifen `Platform`. A month's run
scores every grid worker of the tenant from that month's metrics by the published formula,
grades them and rewards material points per grade from a funding pool. Each batch of workers
is one ledger transaction (``platform.ledger.run``): the workers already evaluated are
skipped, the pool's limit is checked under its lock (``jifen.funding.draw``), the rewards are
posted with their provenance, and the evaluation rows and audit entries are written, all or
nothing. Each reward's idempotency key names the worker, the month and the revision, so no run
rewards anyone twice. A correction reverses the current reward and posts the next revision.
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, time
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo

import yaml  # type: ignore[import-untyped]
from pydantic import ValidationError
from sqlalchemy import Connection, RowMapping
from sqlalchemy.exc import IntegrityError

from jifen import audit_log, subjects, tenants
from jifen.errors import InvalidInput, NotFound, PoolExhausted
from jifen.funding import KIND, Issue, draw
from jifen.ledger import Poster, subject_account
from jifen.model import SubjectCreate, TransactionRequest, new_id
from jifen.platform import Platform
from jifen.store.bulk import insert_many
from jifen_grid_evaluation import ratings, rows, scoring
from jifen_grid_evaluation import tables as t
from jifen_grid_evaluation.csvfile import MetricsRow
from jifen_grid_evaluation.errors import (
    AlreadyEvaluated,
    CorrectionUnchanged,
    InvalidFormula,
    InvalidLevel,
    MonthNotEnded,
    NoPool,
    NotAGrid,
    NotAGridWorker,
    NotEvaluated,
)
from jifen_grid_evaluation.model import (
    LEVELS,
    Correction,
    Evaluation,
    EvaluationReport,
    Formula,
    Metrics,
    PublishedFormula,
    RankingEntry,
    RankingGroup,
    Worker,
    next_month,
    parse_month,
)

SOURCE = "grid-evaluation"
_T = TypeVar("_T")


def reward_key(worker_id: uuid.UUID, month: str, revision: int) -> str:
    """The idempotency key of a worker's reward for a month, in one revision (JF-LED-3)."""
    return f"{SOURCE}:{month}:{worker_id}:r{revision}"


@dataclass(frozen=True)
class _Plan:
    """One worker to evaluate: the metrics and what they score."""

    worker_id: uuid.UUID
    metrics: Metrics
    result: scoring.Result


@dataclass(frozen=True)
class _Run:
    """What every evaluation of a batch shares."""

    tenant_id: uuid.UUID
    month: str
    published: PublishedFormula
    pool: str | None
    at: datetime
    by: str


class GridEvaluation:
    """The grid workers, formulas, metrics and monthly evaluations of every tenant."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform

    # workers ---------------------------------------------------------------------------------

    def add_worker(self, tenant_id: uuid.UUID, name: str, grid: str, *,
                   external_ref: str | None = None) -> Worker:
        """Create a grid worker: a core subject of type ``grid_worker`` attached to the grid
        ``grid`` (`grid.not_a_grid` for another level, `not_found` for an unknown unit)."""
        with self.platform.db.read() as conn:
            unit = tenants.get_org_unit(conn, tenant_id, grid)
        if unit.level != "grid":
            raise NotAGrid(f"a grid worker belongs to a grid, not to the {unit.level} {grid!r}",
                           org_unit=grid)
        subject = self.platform.create_subject(tenant_id, SubjectCreate(
            type=rows.WORKER_TYPE, name=name, org_unit_code=grid, external_ref=external_ref))
        return Worker(id=subject.id, code=subject.code, name=subject.name, grid=grid)

    def workers(self, tenant_id: uuid.UUID) -> list[Worker]:
        """Every grid worker of the tenant, by code."""
        with self.platform.db.read() as conn:
            return rows.workers(conn, tenant_id)

    # the formula -----------------------------------------------------------------------------

    def formula(self, tenant_id: uuid.UUID) -> PublishedFormula:
        """The formula in force: the latest published, else the plugin's default (version 0)."""
        with self.platform.db.read() as conn:
            return rows.latest_formula(conn, tenant_id)

    def publish_formula(self, tenant_id: uuid.UUID, formula: Formula, *,
                        published_by: str) -> PublishedFormula:
        """Publish a new version of the tenant's formula (JF-GRID-1); it applies to the months
        evaluated from now on. Publishing the formula in force again changes nothing. The pool
        it names must exist (`not_found`); the audit log records who published it (JF-DUE-5)."""
        _require(published_by, "published_by")
        if formula.pool is not None:
            self.platform.funding.pool(tenant_id, formula.pool)
        with self.platform.db.write() as conn:
            current = rows.latest_formula(conn, tenant_id)
            if current.version and current.formula == formula:
                return current
            now = self.platform.clock.now()
            published = rows.insert_formula(conn, tenant_id, rows.next_formula_version(
                conn, tenant_id), formula, now, published_by)
            audit_log.record(conn, tenant_id, now, None, "grid.formula_published", "grid_formula",
                             None, "", {"version": str(published.version),
                                        "formula": json.dumps(formula.model_dump(mode="json"),
                                                              ensure_ascii=False)},
                             actor=published_by)
        return published

    # metrics ---------------------------------------------------------------------------------

    def record_metrics(self, tenant_id: uuid.UUID, worker_id: uuid.UUID, month: str,
                       metrics: Metrics, *, recorded_by: str = "operator") -> None:
        """Record (or replace) a worker's metrics for a month, until the month is evaluated
        (`grid.already_evaluated`: use :meth:`correct` then). The ratings residents gave on
        the platform that month (:meth:`rate`) are added to the ratings recorded here."""
        parse_month(month)
        with self.platform.db.write() as conn:
            self._record(conn, tenant_id, worker_id, month, metrics, recorded_by)

    def import_metrics(self, tenant_id: uuid.UUID, lines: Sequence[MetricsRow], *,
                       recorded_by: str = "operator") -> int:
        """Record the metrics of a file's rows (`load_metrics_csv`), all of them or none;
        returns how many were recorded. An unknown worker is refused naming its line."""
        with self.platform.db.write() as conn:
            for line in lines:
                worker_id = rows.worker_by(conn, tenant_id, line.key, line.worker)
                if worker_id is None:
                    raise NotFound(f"line {line.line}: no grid worker with {line.key} "
                                   f"{line.worker!r}", worker=line.worker)
                self._record(conn, tenant_id, worker_id, line.month, line.metrics, recorded_by)
        return len(lines)

    def rate(self, tenant_id: uuid.UUID, resident_id: uuid.UUID, worker_code: str,
             rating: int) -> ratings.Rating:
        """A resident rates their grid's worker for the current month (`ratings.rate`)."""
        return ratings.rate(self.platform, tenant_id, resident_id, worker_code, rating)

    def metrics(self, tenant_id: uuid.UUID, worker_id: uuid.UUID, month: str) -> Metrics:
        """A worker's recorded metrics for a month (zeros when none were recorded)."""
        parse_month(month)
        with self.platform.db.read() as conn:
            return rows.month_metrics(conn, tenant_id, month, [worker_id]).get(worker_id,
                                                                               Metrics())

    def _record(self, conn: Connection, tenant_id: uuid.UUID, worker_id: uuid.UUID, month: str,
                metrics: Metrics, by: str) -> None:
        _check_worker(conn, tenant_id, worker_id)
        if rows.evaluated_ids(conn, tenant_id, month, [worker_id]):
            raise AlreadyEvaluated(f"{month} is evaluated for this worker; correct it instead",
                                   month=month, worker=str(worker_id))
        now = self.platform.clock.now()
        count, total = ratings.platform_ratings(conn, tenant_id, worker_id, month)
        metrics = metrics.model_copy(update={"ratings_count": metrics.ratings_count + count,
                                             "ratings_sum": metrics.ratings_sum + total})
        rows.upsert_metrics(conn, tenant_id, worker_id, month, metrics, now, by)
        audit_log.record(conn, tenant_id, now, None, "grid.metrics_recorded", "grid_worker",
                         worker_id, "", {"month": month, **_strings(metrics)}, actor=by)

    # evaluation ------------------------------------------------------------------------------

    def evaluate(self, tenant_id: uuid.UUID, month: str, *, evaluated_by: str = "operator",
                 batch_size: int = 1000) -> EvaluationReport:
        """Evaluate and reward every grid worker of the tenant for ``month`` (JF-GRID-1).

        Refused, with nothing written: a month that has not ended in the tenant's time zone
        (`grid.month_not_ended`), rewards due with no pool (`grid.no_pool`), or more than the
        pool has left (`funding.pool_exhausted`). Workers evaluated already are skipped, so a
        second run evaluates and rewards no one (JF-GRID-2); a worker added since is evaluated.
        Each batch of ``batch_size`` workers commits on its own.
        """
        self._check_ended(tenant_id, month)
        published = self.formula(tenant_id)
        pool = self._pool(tenant_id, published.formula)
        with self.platform.db.read() as conn:
            everyone = rows.workers(conn, tenant_id)
            done = rows.evaluated_ids(conn, tenant_id, month)
            recorded = rows.month_metrics(conn, tenant_id, month)
        plans = [_plan(published.formula, w.id, recorded.get(w.id, Metrics()))
                 for w in everyone if w.id not in done]
        self._check_funds(tenant_id, pool, sum(p.result.points for p in plans))
        # Open the rewarded workers' accounts first, so that each batch's work runs once.
        self.platform.ledger.open_accounts(tenant_id, [
            subject_account(p.worker_id, KIND) for p in plans if p.result.points > 0])
        evaluated: list[Evaluation] = []
        for start in range(0, len(plans), batch_size):
            run = _Run(tenant_id, month, published, pool, self.platform.clock.now(), evaluated_by)
            evaluated += self._batch(run, plans[start:start + batch_size])
        return EvaluationReport(month=month, formula_version=published.version,
                                evaluated=evaluated,
                                already_evaluated=len(everyone) - len(evaluated))

    def correct(self, tenant_id: uuid.UUID, worker_id: uuid.UUID, month: str, metrics: Metrics,
                reason: str, corrected_by: str) -> Correction:
        """Correct a worker's evaluated month (JF-GRID-2): record the corrected metrics, reverse
        the current reward, and post the next revision's, scored by the same formula version.

        The superseded evaluation is kept, with the reason, who corrected it and when; the
        audit log records the correction. Refused: no evaluation (`grid.not_evaluated`), the
        same metrics again (`grid.correction_unchanged`), an empty reason or name
        (`input.invalid`), a pool short of the new reward (`funding.pool_exhausted`).
        """
        parse_month(month)
        _require(reason, "reason")
        _require(corrected_by, "corrected_by")

        def work(conn: Connection, post: Poster) -> Correction:
            previous = _current(conn, tenant_id, worker_id, month)
            if previous.metrics == metrics:
                raise CorrectionUnchanged("these are the metrics evaluated already",
                                          month=month, worker=str(worker_id))
            published = rows.formula_version(conn, tenant_id, previous.formula_version)
            run = _Run(tenant_id, month, published, previous.pool, self.platform.clock.now(),
                       corrected_by)
            return self._replace(conn, post, run, previous, metrics, reason)

        return self.platform.ledger.run(tenant_id, work)

    def evaluations(self, tenant_id: uuid.UUID, month: str, *, worker_id: uuid.UUID | None = None,
                    include_superseded: bool = False) -> list[Evaluation]:
        """A month's evaluations: the current revisions, or every revision."""
        parse_month(month)
        with self.platform.db.read() as conn:
            return rows.evaluations(conn, tenant_id, month, worker_id=worker_id,
                                    current_only=not include_superseded)

    def ranking(self, tenant_id: uuid.UUID, month: str, level: str) -> list[RankingGroup]:
        """The month's ranking in every org unit of ``level`` (street, district, community or
        city), units by code: by score, highest first, ties by worker code (JF-GRID-1)."""
        parse_month(month)
        if level not in LEVELS:
            raise InvalidLevel(f"rankings are per {', '.join(LEVELS)}, not {level!r}", level=level)
        with self.platform.db.read() as conn:
            current = rows.evaluations(conn, tenant_id, month)
            ids = [e.worker_id for e in current]
            people = {w.id: w for w in rows.workers(conn, tenant_id, ids)}
            placed = rows.worker_units(conn, tenant_id, ids)
            tree = rows.units(conn, tenant_id)
        groups: dict[uuid.UUID, list[Evaluation]] = defaultdict(list)
        for evaluation in current:
            unit = _ancestor(tree, placed[evaluation.worker_id], level)
            if unit is not None:
                groups[unit].append(evaluation)
        return sorted((_group(tree[unit], found, people) for unit, found in groups.items()),
                      key=lambda group: group.unit_code)

    # the write path --------------------------------------------------------------------------

    def _batch(self, run: _Run, plans: list[_Plan]) -> list[Evaluation]:
        """Evaluate one batch in one ledger transaction, skipping workers a concurrent run
        evaluated meanwhile (its rows win the unique constraint; the batch is then redone).
        Rewards and rows are built once, outside ``work``, which the ledger may run twice."""
        drafts = [_draft(run, plan, 1, "") for plan in plans]

        def work(conn: Connection, post: Poster) -> list[Evaluation]:
            done = rows.evaluated_ids(conn, run.tenant_id, run.month, [p.worker_id for p in plans])
            fresh = [d for d in drafts if d.evaluation.worker_id not in done]
            return _write(conn, post, run, fresh, "grid.evaluated")

        return _retry_once(lambda: self.platform.ledger.run(run.tenant_id, work))

    def _replace(self, conn: Connection, post: Poster, run: _Run, previous: Evaluation,
                 metrics: Metrics, reason: str) -> Correction:
        """Inside a correction's transaction: supersede, reverse, re-post."""
        rows.upsert_metrics(conn, run.tenant_id, previous.worker_id, run.month, metrics, run.at,
                            run.by)
        reversal = None
        if previous.transaction_id is not None:
            reversal = post.reverse(previous.transaction_id, reward_key(
                previous.worker_id, run.month, previous.revision) + ":reversal", reason)
        rows.supersede(conn, run.tenant_id, previous.id, run.at, run.by, reason)
        plan = _plan(run.published.formula, previous.worker_id, metrics)
        draft = _draft(run, plan, previous.revision + 1, reason)
        [current] = _write(conn, post, run, [draft], "grid.corrected")
        superseded = previous.model_copy(update={
            "state": "superseded", "superseded_at": run.at, "superseded_by": run.by,
            "superseded_reason": reason})
        return Correction(previous=superseded, current=current,
                          reversal_id=reversal.id if reversal else None)

    # checks ----------------------------------------------------------------------------------

    def _check_ended(self, tenant_id: uuid.UUID, month: str) -> None:
        """`grid.month_not_ended` unless the month is over in the tenant's time zone."""
        first = parse_month(month)
        with self.platform.db.read() as conn:
            zone = ZoneInfo(tenants.get_tenant_by_id(conn, tenant_id).timezone)
        ends = datetime.combine(next_month(first), time(), zone)
        now = self.platform.clock.now().astimezone(zone)
        if now < ends:
            raise MonthNotEnded(f"{month} ends at {ends.isoformat()} ({zone.key}); it is "
                                f"{now.isoformat(timespec='seconds')}", month=month)

    def _pool(self, tenant_id: uuid.UUID, formula: Formula) -> str | None:
        """The formula's pool, else the tenant's ``default_pool``."""
        if formula.pool is not None:
            return formula.pool
        config = self.platform.policy(tenant_id).config
        return config.default_pool if config is not None else None

    def _check_funds(self, tenant_id: uuid.UUID, pool: str | None, demand: int) -> None:
        """Refuse a run the pool cannot pay in full before any batch posts (each batch checks
        again under the pool's lock)."""
        if not demand:
            return
        if pool is None:
            raise NoPool("rewards are due but no funding pool is named by the formula or the "
                         "tenant's default_pool")
        status = self.platform.funding.pool(tenant_id, pool)
        if demand > status.remaining:
            raise PoolExhausted(f"pool {pool!r} has {status.remaining} points left of its limit "
                                f"{status.limit_points}; the month's rewards need {demand}",
                                pool=pool, remaining=str(status.remaining))


# --- helpers -----------------------------------------------------------------------------------

def _plan(formula: Formula, worker_id: uuid.UUID, metrics: Metrics) -> _Plan:
    return _Plan(worker_id, metrics, scoring.evaluate(formula, metrics))


@dataclass(frozen=True)
class _Draft:
    """An evaluation before its reward is posted, with the reward's issuance (if any)."""

    evaluation: Evaluation
    issue: Issue | None
    request: TransactionRequest | None


def _draft(run: _Run, plan: _Plan, revision: int, reason: str) -> _Draft:
    result = plan.result
    evaluation = Evaluation(
        id=new_id(), worker_id=plan.worker_id, month=run.month, revision=revision,
        state="current", formula_version=run.published.version, metrics=plan.metrics,
        score=result.score, grade=result.grade, reward=result.points, pool=run.pool,
        transaction_id=None, evaluated_at=run.at, evaluated_by=run.by, reason=reason)
    if not result.points:
        return _Draft(evaluation, None, None)
    issue = _issue(run, plan, revision)
    return _Draft(evaluation, issue, issue.request())


def _write(conn: Connection, post: Poster, run: _Run, drafts: list[_Draft],
           action: str) -> list[Evaluation]:
    """Inside a ledger transaction: draw the rewards from the pool, post them, write the
    evaluations and their audit entries."""
    if not drafts:
        return []
    paid = [d for d in drafts if d.issue is not None]
    if paid and run.pool is None:
        raise NoPool("rewards are due but no funding pool is named by the formula or the "
                     "tenant's default_pool")
    draw(conn, run.tenant_id, [d.issue for d in paid if d.issue is not None])
    posted = post([d.request for d in paid if d.request is not None])
    transactions = {d.evaluation.id: tx.id for d, tx in zip(paid, posted, strict=True)}
    made = [d.evaluation.model_copy(update={"transaction_id": transactions.get(d.evaluation.id)})
            for d in drafts]
    insert_many(conn, t.grid_evaluations, [rows.evaluation_row(run.tenant_id, e) for e in made])
    audit_log.record_many(conn, run.tenant_id, run.at, None, action, "grid_evaluation",
                          [(e.id, e.reason, _audit_data(e)) for e in made], actor=run.by)
    return made


def _issue(run: _Run, plan: _Plan, revision: int) -> Issue:
    """The reward of one evaluation, with its provenance (JF-DUE-1)."""
    result = plan.result
    return Issue(
        pool=run.pool or "", subject_id=plan.worker_id, amount=result.points,
        idempotency_key=reward_key(plan.worker_id, run.month, revision),
        memo=f"网格员月度评定 grid evaluation {run.month}: {result.score} ({result.grade})",
        metadata={"source": SOURCE, "month": run.month,
                  "formula_version": str(run.published.version), "score": str(result.score),
                  "grade": result.grade, "revision": str(revision)})


def _current(conn: Connection, tenant_id: uuid.UUID, worker_id: uuid.UUID,
             month: str) -> Evaluation:
    found = rows.evaluations(conn, tenant_id, month, worker_id=worker_id, lock=True)
    if not found:
        raise NotEvaluated(f"{month} has no evaluation for this worker", month=month,
                           worker=str(worker_id))
    return found[0]


def _check_worker(conn: Connection, tenant_id: uuid.UUID, worker_id: uuid.UUID) -> None:
    subject = subjects.get_subject(conn, tenant_id, worker_id)
    if subject.type != rows.WORKER_TYPE:
        raise NotAGridWorker(f"the subject is a {subject.type}, not a grid worker",
                             subject=str(worker_id))


def _retry_once(call: Callable[[], _T]) -> _T:
    """Run ``call``; if a concurrent run won the evaluations' unique constraint, run it again
    (it then skips what the other run evaluated)."""
    try:
        return call()
    except IntegrityError as exc:
        if "grid_evaluations" not in str(exc.orig):
            raise
        return call()


def _ancestor(tree: dict[uuid.UUID, RowMapping], unit_id: uuid.UUID,
              level: str) -> uuid.UUID | None:
    """The unit of ``level`` on the path from the root to ``unit_id``, if any."""
    for part in tree[unit_id]["path"].split("/"):
        if tree[uuid.UUID(part)]["level"] == level:
            return uuid.UUID(part)
    return None


def _group(unit: RowMapping, found: list[Evaluation],
           people: dict[uuid.UUID, Worker]) -> RankingGroup:
    ordered = sorted(found, key=lambda e: (-e.score, people[e.worker_id].code))
    return RankingGroup(unit_code=unit["code"], unit_name=unit["name"], level=unit["level"],
                        entries=[_entry(rank, e, people[e.worker_id])
                                 for rank, e in enumerate(ordered, start=1)])


def _entry(rank: int, evaluation: Evaluation, worker: Worker) -> RankingEntry:
    return RankingEntry(rank=rank, worker_id=worker.id, worker_code=worker.code, name=worker.name,
                        grid=worker.grid, score=evaluation.score, grade=evaluation.grade,
                        reward=evaluation.reward)


def _audit_data(evaluation: Evaluation) -> dict[str, str]:
    return {"worker": str(evaluation.worker_id), "month": evaluation.month,
            "revision": str(evaluation.revision),
            "formula_version": str(evaluation.formula_version), "score": str(evaluation.score),
            "grade": evaluation.grade, "reward": str(evaluation.reward),
            "transaction": str(evaluation.transaction_id or "")}


def _strings(metrics: Metrics) -> dict[str, str]:
    return {name: str(value) for name, value in metrics.model_dump().items()}


def _require(value: str, name: str) -> None:
    if not value.strip():
        raise InvalidInput(f"{name} must not be empty", field=name)


def load_formula(path: str | Path) -> Formula:
    """Read a formula from a YAML or JSON file (`grid.invalid_formula`, naming every field)."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise InvalidFormula(f"{path.name}: not valid YAML or JSON: {exc}") from exc
    try:
        return Formula.model_validate(data or {})
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'file'}: {e['msg']}"
                             for e in exc.errors())
        raise InvalidFormula(f"{path.name}: {problems}") from exc
