"""Replaying a recorded decision (JF-SCN-5).

``replay`` recomputes a decision in two parts and compares each with what was recorded:

1. **the inputs that come from append-only records**, as of the recorded instant and
   ignoring records written after the decision: the score (from the ledger, by the
   scoring method — its value, basis, method and version, categories and ``reached_at``),
   the consent, the residence and the marked points. Lines of transactions the decision
   itself posted (a ``consume`` debit) are left out, as they did not exist when it was made.
   Counters of capacity bookings are not re-derived: their recorded values are used.
2. **the mode's decision** from the recorded rule and inputs (for a ``round_entry``, the whole
   draw it belongs to is re-ranked and the entry compared).

The decision is *identical* when both agree with the record and the recorded score columns
agree with the recorded inputs. A decision row or rule altered after the fact shows up as a
difference.
"""

from __future__ import annotations

import hashlib
import json
import threading
import uuid
from collections import OrderedDict
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from jifen.scenarios import decisions
from jifen.scenarios.model import Decision, ReplayReport, ResolvedRule
from jifen.scenarios.registry import ScenarioRegistry
from jifen.store import tables as t

if TYPE_CHECKING:
    from jifen.platform import Platform

_RECOMPUTED = ("subject", "consent", "residence", "score", "marked", "effective_score",
               "as_of", "local_date")


def replay(platform: Platform, registry: ScenarioRegistry, decision: Decision) -> ReplayReport:
    """Recompute ``decision`` and compare (see the module's description)."""
    differences: list[str] = []
    rule = ResolvedRule.model_validate(decision.rule)
    if rule.rule_version != decision.rule_version:
        differences.append("rule_version: the recorded rule names another version")
    if decision.kind == "round_draw":
        inputs = _replay_draw_inputs(platform, decision, differences)
        result = decisions.decide(registry, "round_draw", rule, inputs)
    elif decision.kind == "round_entry":
        with platform.db.read() as conn:
            draw = decisions.load(conn, decision.tenant_id, uuid.UUID(decision.inputs["draw"]))
        inputs = _replay_subject(platform, decision, _first_draw(draw.inputs, draw.id),
                                 differences)
        result = _replay_entry(registry, decision, draw, differences)
    else:
        inputs = _replay_subject(platform, decision, decision.id, differences)
        result = decisions.decide(registry, decision.kind, rule, decision.inputs)
    _check_columns(decision, differences)
    if result != decision.result:
        differences.append("result: the mode decides otherwise on the recorded rule and inputs")
    replayed = {"inputs": inputs, "result": result}
    recorded = {"inputs": decision.inputs, "result": decision.result,
                "score_value": str(decision.score_value) if decision.score_value is not None
                else None, "method": decision.method, "method_version": decision.method_version,
                "rule": decision.rule, "rule_version": decision.rule_version}
    return ReplayReport(decision_id=decision.id, kind=decision.kind,
                        identical=not differences, differences=tuple(differences),
                        recorded=recorded, replayed=replayed)


def _own_transactions(platform: Platform, decision: Decision) -> frozenset[uuid.UUID]:
    """Transactions posted by the decision itself (its ``consume`` debit and reversal)."""
    keys = [f"scenario:{decision.id}:consume", f"scenario:{decision.id}:consume:reversal"]
    x = t.transactions.c
    with platform.db.read() as conn:
        return frozenset(conn.execute(select(x.id).where(
            x.tenant_id == decision.tenant_id, x.idempotency_key.in_(keys))).scalars())


def _replay_subject(platform: Platform, decision: Decision, before: uuid.UUID,
                    differences: list[str]) -> dict[str, Any]:
    if decision.subject_id is None or "score" not in decision.inputs:
        return {}
    own = _own_transactions(platform, decision)
    fresh = decisions.subject_inputs(
        platform, decision.tenant_id, decision.scenario, [decision.subject_id],
        decision.as_of, before, exclude={decision.subject_id: own})[decision.subject_id]
    _compare(fresh, decision.inputs, "", differences)
    return fresh


def _compare(fresh: dict[str, Any], recorded: dict[str, Any], prefix: str,
             differences: list[str]) -> None:
    for name in _RECOMPUTED:
        if fresh.get(name) != recorded.get(name):
            differences.append(f"{prefix}inputs.{name}: recorded {recorded.get(name)!r}, "
                               f"recomputed {fresh.get(name)!r}")


def _replay_draw_inputs(platform: Platform, decision: Decision,
                        differences: list[str]) -> dict[str, Any]:
    recorded = decision.inputs
    applicants = recorded.get("applicants", [])
    ids = [uuid.UUID(a["subject"]) for a in applicants]
    fresh = decisions.subject_inputs(platform, decision.tenant_id, decision.scenario, ids,
                                     datetime.fromisoformat(recorded["as_of"]),
                                     _first_draw(recorded, decision.id), bulk=True)
    for applicant in applicants:
        _compare(fresh[uuid.UUID(applicant["subject"])], applicant,
                 f"applicant {applicant['application']}: ", differences)
    return {**recorded, "applicants": [{**a, **fresh[uuid.UUID(a["subject"])]}
                                       for a in applicants]}


def _first_draw(inputs: dict[str, Any], decision_id: uuid.UUID) -> uuid.UUID:
    """A re-ranking reuses the inputs of the first draw: they were gathered for its id."""
    return uuid.UUID(inputs.get("first_draw", str(decision_id)))


def _replay_entry(registry: ScenarioRegistry, decision: Decision, draw: Decision,
                  differences: list[str]) -> dict[str, Any]:
    if decision.rule != draw.rule:
        differences.append("rule: the entry's rule differs from its draw's")
    mine = {k: v for k, v in decision.inputs.items() if k not in ("round", "draw")}
    if mine not in draw.inputs.get("applicants", []):
        differences.append("inputs: the entry's inputs differ from those its draw recorded")
    for entry in _ranked(registry, draw)["entries"]:
        if entry["application"] == decision.inputs.get("application"):
            return dict(entry)
    return {}


_RANKED_LOCK = threading.Lock()
_RANKED: OrderedDict[tuple[uuid.UUID, str], dict[str, Any]] = OrderedDict()
"""The last few draws re-ranked, so that replaying each of a round's n entries ranks the round
once, not n times (n log n in all, not n² log n)."""


def _ranked(registry: ScenarioRegistry, draw: Decision) -> dict[str, Any]:
    """The draw re-ranked from its recorded rule and inputs (cached by their digest)."""
    digest = hashlib.sha256(json.dumps([draw.rule, draw.inputs], sort_keys=True, default=str)
                            .encode()).hexdigest()
    key = (draw.id, digest)
    with _RANKED_LOCK:
        found = _RANKED.get(key)
    if found is None:
        found = decisions.decide(registry, "round_draw", ResolvedRule.model_validate(draw.rule),
                                 draw.inputs)
    with _RANKED_LOCK:
        _RANKED[key] = found
        _RANKED.move_to_end(key)
        while len(_RANKED) > 4:
            _RANKED.popitem(last=False)
    return found


def _check_columns(decision: Decision, differences: list[str]) -> None:
    score = decision.inputs.get("score")
    if not score:
        return
    if decision.score_value is None or str(decision.score_value) != score["value"]:
        differences.append(f"score_value: the column says {decision.score_value}, the inputs "
                           f"{score['value']}")
    if (decision.method, decision.method_version) != (score["method"], score["method_version"]):
        differences.append("method: the columns and the inputs name different methods")
