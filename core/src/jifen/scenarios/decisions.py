"""Eligibility and decisions (JF-SCN-1, JF-SCN-5).

A decision is made from **inputs** gathered as of one instant and the scenario's **resolved
rule**, by the allocation mode's pure ``decide`` function; the row written to the append-only
table ``scenario_decisions`` records all three and the result, so that
[`replay`][jifen.scenarios.replay] can recompute it.

The inputs of a subject (``subject_inputs``) are a JSON object:

* ``subject``, ``as_of`` (ISO instant), ``local_date`` (the tenant's date at ``as_of``);
* ``consent``: the latest grant or withdrawal made at or before ``as_of`` (for a child, only a
  guardian's counts);
* ``residence``: the codes of the org units from the city down to the subject's own unit;
* ``score``: the score the scenario uses (a child may use a guardian's, JF-SUB-2), summarised:
  ``value`` (the sum of the counted lines' contributions), ``basis`` (whose postings),
  ``method``, ``method_version``, ``categories`` (those with at least one counted line) and
  ``reached_at`` (see [`reached_at`][jifen.scenarios.decisions.reached_at]);
* ``marked``: the points marked for this scenario on the basis subject (use effect ``mark``):
  the sum of its marks made at or before ``as_of`` and within the score's window (at or after
  ``window_start``); ``effective_score`` = ``value`` − ``marked``, the number every eligibility
  condition and ranking uses.

Postings, consents and marks written at the very instant ``as_of`` count; those written by the
decision itself (a ``consume`` debit, a mark) never count towards it.
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Context, Decimal, localcontext
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, and_, insert, select

from jifen import configure, tenants
from jifen.errors import PluginError
from jifen.ledger import Poster, subject_account, system_account
from jifen.model import Leg, TransactionRequest, new_id
from jifen.scenarios import consent
from jifen.scenarios.model import Decision, DecisionRequest, ResolvedRule
from jifen.scenarios.registry import ScenarioRegistry
from jifen.scoring import Score, ScoreLine
from jifen.store import tables as t

if TYPE_CHECKING:
    from jifen.platform import Platform

__all__ = ["CHECK_KINDS", "decide", "evaluate", "reached_at", "subject_inputs"]

CHECK_KINDS = ("check", "assertion", "benefit_code")
"""Kinds of decision every mode answers: is the subject eligible now?"""
_EXACT = Context(prec=200)
_TENTHS = 1


@dataclass(frozen=True)
class Verdict:
    """The common eligibility conditions evaluated on a subject's inputs."""

    eligible: bool
    reasons: list[str]


# --- pure: evaluation and the mode's decision -----------------------------------------------

def evaluate(rule: ResolvedRule, inputs: dict[str, Any]) -> Verdict:
    """The eligibility conditions of ``rule`` on recorded ``inputs`` (JF-SCN-1): consent,
    minimum score (on ``effective_score``), residence, required categories. Pure; every mode
    may use it. Reasons: ``no_consent``, ``below_min_score``, ``residence``,
    ``missing_category:<category>``."""
    wanted = rule.eligibility
    reasons: list[str] = []
    if wanted.consent and not inputs.get("consent"):
        reasons.append("no_consent")
    score = inputs.get("score") or {}
    if wanted.min_score is not None and (
            "effective_score" not in inputs
            or Decimal(inputs["effective_score"]) < wanted.min_score):
        reasons.append("below_min_score")
    if wanted.residence is not None and wanted.residence not in inputs.get("residence", []):
        reasons.append("residence")
    categories = set(score.get("categories", []))
    reasons += [f"missing_category:{c}" for c in wanted.required_categories if c not in categories]
    return Verdict(not reasons, reasons)


def decide(registry: ScenarioRegistry, kind: str, rule: ResolvedRule,
           inputs: dict[str, Any]) -> dict[str, Any]:
    """Ask the rule's mode to decide; the result must be a JSON object."""
    mode = registry.mode(rule.mode)
    result = mode.decide(DecisionRequest(kind=kind, rule=rule, inputs=inputs))
    try:
        text = json.dumps(result, sort_keys=True, ensure_ascii=False)
    except (TypeError, ValueError) as exc:
        raise PluginError(f"mode {mode.name!r} returned a result that is not JSON: {exc}") from None
    value = json.loads(text)
    if not isinstance(value, dict):
        raise PluginError(f"mode {mode.name!r} returned {type(value).__name__}, not an object")
    return value


def reached_at(lines: Sequence[ScoreLine], value: Decimal) -> datetime | None:
    """When a score first reached its value, for breaking ties (JF-SCN-3).

    The counted lines are taken in order of ``posted_at``; lines posted at the same instant
    are added together. The answer is the first instant at which the running sum of their
    contributions is at least ``value`` (the final score). A score with no counted line has
    none (``None``), and sorts after every date.
    """
    by_instant: dict[datetime, Decimal] = defaultdict(Decimal)
    with localcontext(_EXACT):
        for line in lines:
            if line.counted:
                by_instant[line.posted_at.astimezone(UTC)] += line.contribution
        running = Decimal(0)
        for instant in sorted(by_instant):
            running += by_instant[instant]
            if running >= value:
                return instant
    return None


def summarise(score: Score, exclude: frozenset[uuid.UUID] = frozenset()) -> dict[str, Any]:
    """The part of a score a decision records (lines of transactions in ``exclude`` — those the
    decision itself posted — left out)."""
    lines = [line for line in score.lines if line.counted and line.transaction_id not in exclude]
    with localcontext(_EXACT):
        value = sum((line.contribution for line in lines), Decimal(0))
    reached = reached_at(lines, value)
    return {"value": str(value), "basis": str(score.basis_subject_id), "method": score.method,
            "method_version": score.method_version,
            "categories": sorted({line.category for line in lines}),
            "window_start": score.window_start.isoformat() if score.window_start else None,
            "reached_at": reached.isoformat() if reached else None}


# --- gathering inputs -----------------------------------------------------------------------

def subject_inputs(platform: Platform, tenant_id: uuid.UUID, scenario: str,
                   ids: Sequence[uuid.UUID], as_of: datetime, before: uuid.UUID | None, *,
                   exclude: dict[uuid.UUID, frozenset[uuid.UUID]] | None = None,
                   bulk: bool = False) -> dict[uuid.UUID, dict[str, Any]]:
    """The inputs of each subject as of ``as_of`` (see the module's description). ``before``:
    the id of the decision they are for (records written after it are not seen). ``bulk``
    scores all subjects in a few queries (quota rounds); otherwise each subject is scored by
    ``Scorer.score_for_scenario``."""
    as_of = as_of.astimezone(UTC)
    with platform.db.read() as conn:
        kin = consent.guardians(conn, tenant_id, ids)
        paths = _residences(conn, tenant_id, ids)
        consents = consent.states(conn, tenant_id, scenario, ids, as_of, before, kin)
        zone = ZoneInfo(tenants.get_tenant_by_id(conn, tenant_id).timezone)
    scores = (_bulk_scores(platform, tenant_id, ids, as_of, kin) if bulk else
              {i: platform.scorer.score_for_scenario(tenant_id, i, as_of) for i in ids})
    summaries = {i: summarise(scores[i], (exclude or {}).get(i, frozenset())) for i in ids}
    with platform.db.read() as conn:
        marks = _marked(conn, tenant_id, scenario, summaries, as_of, before)
    result = {}
    for i in ids:
        marked = Decimal(marks.get(i, 0)).scaleb(-_TENTHS)
        with localcontext(_EXACT):
            effective = Decimal(summaries[i]["value"]) - marked
        result[i] = {"subject": str(i), "as_of": as_of.isoformat(),
                     "local_date": as_of.astimezone(zone).date().isoformat(),
                     "consent": consents[i], "residence": paths[i], "score": summaries[i],
                     "marked": str(marked), "effective_score": str(effective)}
    return result


def _residences(conn: Connection, tenant_id: uuid.UUID,
                ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[str]]:
    codes = dict(conn.execute(select(t.org_units.c.id, t.org_units.c.code).where(
        t.org_units.c.tenant_id == tenant_id)).all())
    found: dict[uuid.UUID, list[str]] = {}
    for chunk in consent.chunks(list(ids)):
        for subject_id, path in conn.execute(
                select(t.subjects.c.id, t.org_units.c.path)
                .join(t.org_units, and_(t.org_units.c.tenant_id == t.subjects.c.tenant_id,
                                        t.org_units.c.id == t.subjects.c.org_unit_id))
                .where(t.subjects.c.tenant_id == tenant_id, t.subjects.c.id.in_(chunk))):
            found[subject_id] = [codes[uuid.UUID(part)] for part in path.split("/")]
    return found


def _marked(conn: Connection, tenant_id: uuid.UUID, scenario: str,
            summaries: dict[uuid.UUID, dict[str, Any]], as_of: datetime,
            before: uuid.UUID | None) -> dict[uuid.UUID, int]:
    """Per subject, the tenths marked for ``scenario`` on its score's basis subject."""
    basis = {i: uuid.UUID(s["basis"]) for i, s in summaries.items()}
    m = t.scenario_marks.c
    totals: dict[uuid.UUID, list[tuple[datetime, int]]] = defaultdict(list)
    for chunk in consent.chunks(sorted(set(basis.values()))):
        query = select(m.subject_id, m.created_at, m.amount).where(
            m.tenant_id == tenant_id, m.scenario == scenario, m.subject_id.in_(chunk),
            m.created_at <= as_of)
        if before is not None:
            query = query.where(m.id < before)
        for subject_id, created_at, amount in conn.execute(query):
            totals[subject_id].append((created_at, int(amount)))
    result = {}
    for i, b in basis.items():
        start = summaries[i]["window_start"]
        since = datetime.fromisoformat(start) if start else None
        result[i] = sum(a for at, a in totals.get(b, []) if since is None or at >= since)
    return result


def _bulk_scores(platform: Platform, tenant_id: uuid.UUID, ids: Sequence[uuid.UUID],
                 as_of: datetime, kin: dict[uuid.UUID, list[uuid.UUID]]) -> dict[uuid.UUID, Score]:
    """``Scorer.score_for_scenario`` for many subjects at once, with the same answers."""
    with platform.db.read() as conn:
        units: dict[uuid.UUID, uuid.UUID] = {}
        for chunk in consent.chunks([i for i in ids if kin.get(i)]):
            units.update(conn.execute(select(t.subjects.c.id, t.subjects.c.org_unit_id).where(
                t.subjects.c.tenant_id == tenant_id, t.subjects.c.id.in_(chunk))).all())
    rules = {unit: platform.settings_at(tenant_id, unit).child_score  # once per org unit
             for unit in set(units.values())}
    use = [i for i in units if rules[units[i]] == "best_of_guardians"]
    everyone = [*ids, *(g for i in use for g in kin[i])]
    scores = {s.subject_id: s for s in platform.scorer.iter_scores(tenant_id, everyone, as_of)}
    result = {i: scores[i] for i in ids}
    for i in use:
        best = scores[i]
        for guardian in kin[i]:
            if scores[guardian].value > best.value:
                best = scores[guardian]
        result[i] = best.model_copy(update={"subject_id": i})
    return result


# --- writing --------------------------------------------------------------------------------

def record(conn: Connection, tenant_id: uuid.UUID, decision_id: uuid.UUID, kind: str,
           rule: ResolvedRule, subject_id: uuid.UUID | None, as_of: datetime,
           inputs: dict[str, Any], result: dict[str, Any], now: datetime) -> Decision:
    """Write one decision row (append-only)."""
    score = inputs.get("score") or {}
    decision = Decision(
        tenant_id=tenant_id, id=decision_id, scenario=rule.scenario, subject_id=subject_id,
        kind=kind, as_of=as_of, score_value=Decimal(score["value"]) if score else None,
        method=score.get("method"), method_version=score.get("method_version"),
        rule=rule.model_dump(mode="json"), rule_version=rule.rule_version, inputs=inputs,
        result=result, created_at=now)
    conn.execute(insert(t.scenario_decisions).values(row(decision)))
    return decision


def row(decision: Decision) -> dict[str, Any]:
    values = decision.model_dump()
    values["score_value"] = str(decision.score_value) if decision.score_value is not None else None
    return values


def load(conn: Connection, tenant_id: uuid.UUID, decision_id: uuid.UUID) -> Decision:
    from jifen.errors import NotFound

    found = conn.execute(select(t.scenario_decisions).where(
        t.scenario_decisions.c.tenant_id == tenant_id,
        t.scenario_decisions.c.id == decision_id)).mappings().first()
    if found is None:
        raise NotFound("no such decision in this tenant", decision=str(decision_id))
    return Decision.model_validate(dict(found))


def apply_use(conn: Connection, post: Poster, tenant_id: uuid.UUID, rule: ResolvedRule,
              decision_id: uuid.UUID, basis: uuid.UUID, now: datetime) -> uuid.UUID | None:
    """The use effect of an allocation (JF-SCN-1). ``consume``: a debit of ``consume_points``
    from the basis subject (whose score was used) to the scenario's account
    ``issuance:moral:scenario.<code>`` — a deduction, since moral points are never spent into
    anything but issuance (JF-KIND-3); returns its transaction. ``mark``: a mark of the same
    amount on the basis subject, which later decisions of the scenario subtract."""
    minor = int(rule.consume_points.scaleb(_TENTHS))
    if rule.use_effect == "consume":
        view = post([TransactionRequest(
            idempotency_key=f"scenario:{decision_id}:consume", memo=f"scenario {rule.scenario}",
            legs=(Leg(account=subject_account(basis, "moral"), amount=-minor),
                  Leg(account=scenario_account(rule.scenario), amount=minor)),
            metadata={"source": "scenario", "scenario": rule.scenario,
                      "decision": str(decision_id), "category": "scenario_use"})])[0]
        return view.id
    if rule.use_effect == "mark":
        add_mark(conn, tenant_id, rule.scenario, basis, minor, decision_id, now)
    return None


def add_mark(conn: Connection, tenant_id: uuid.UUID, scenario: str, basis: uuid.UUID,
             minor: int, decision_id: uuid.UUID, now: datetime) -> None:
    conn.execute(insert(t.scenario_marks).values(
        tenant_id=tenant_id, id=new_id(), scenario=scenario, subject_id=basis, amount=minor,
        decision_id=decision_id, created_at=now))


def scenario_account(scenario: str) -> str:
    """The account a scenario's ``consume`` debits go to."""
    return system_account("issuance", "moral", f"scenario.{scenario}")


def policy_rule(platform: Platform, registry: ScenarioRegistry, tenant_id: uuid.UUID,
                scenario: str) -> ResolvedRule:
    """The scenario's rule under the tenant's current configuration."""
    with platform.db.read() as conn:
        policy = configure.policy(conn, tenant_id)
    return registry.resolve(scenario, policy)
