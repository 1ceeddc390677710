"""Quota-round mode (JF-SCN-3), e.g. school-place upgrades 2-A → 1-A.

A round has quotas per slot (a string such as ``第一小学:2-A→1-A``; the top N of each slot are
selected) and an application window. A lottery seed is made when the round is created; its
SHA-256 is published then, and the seed itself once the window has closed, before the draw, so
anyone can check it and recompute the lottery. Each applicant applies once per round (a child
applies through a guardian, and the score is the guardian's as the tenant's ``child_score``
says, JF-SUB-2).

**The ranking** (``rank``), per slot, of every applicant who is eligible (JF-SCN-1) and not
excluded by an upheld objection, with every score taken as of the window's close:

1. ``effective_score`` descending (the score minus the points marked for the scenario);
2. then the earliest instant the score reached its value
   ([`reached_at`][jifen.scenarios.decisions.reached_at]: the first instant at which the
   running sum of the counted lines' contributions, in order of ``posted_at``, is at least the
   final value; a score without counted lines comes last);
3. then the lottery ticket ``HMAC-SHA256(key = the seed's UTF-8 bytes, message = the
   application id in its canonical text form)``, lowest (as hex) first.

The top N per slot are selected. The list goes under public notice for the notice period in
working days (the ``notice_working_days`` setting, or the mode option of that name), with
masked names (JF-DUE-4). During the notice anyone may object to an entry; an objection is
decided with reasons by someone other than the round's publisher (JF-DUE-2); an upheld one
excludes the application and the round is re-ranked from the recorded inputs (the exclusions
are inputs too). After the notice the final list is published and the use effect applied.

Every draw is recorded as a decision of kind ``round_draw`` (the rule and all inputs: seed,
quotas, exclusions, every applicant's score with its method and version) and one decision of
kind ``round_entry`` per applicant, so that ``replay`` reproduces the whole ranking. Drawing is
O(n log n) in the number of applicants: scores are computed in bulk.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Connection, insert, select, update
from sqlalchemy.exc import IntegrityError

from jifen import audit_log, configure, subjects, tenants
from jifen.errors import (
    DuplicateApplication,
    Forbidden,
    GuardianConsentRequired,
    InvalidInput,
    InvalidTransition,
    NoConsent,
    NotFound,
    NoticeClosed,
    PluginError,
    ReasonRequired,
    RoundState,
    RoundWindowClosed,
    SelfReview,
    WrongMode,
)
from jifen.masking import mask_name
from jifen.model import new_id
from jifen.scenarios import consent, decisions
from jifen.scenarios.decisions import CHECK_KINDS, evaluate
from jifen.scenarios.model import (
    AllocationMode,
    Application,
    Decision,
    DecisionRequest,
    PublicRoundEntry,
    PublicRoundList,
    ResolvedRule,
    Round,
    RoundCreate,
    RoundObjection,
)
from jifen.scenarios.registry import ScenarioRegistry
from jifen.store import tables as t
from jifen.store.bulk import insert_many

if TYPE_CHECKING:
    from jifen.ledger import Poster
    from jifen.platform import Platform

_LAST = datetime.max.replace(tzinfo=UTC)


class QuotaRoundOptions(BaseModel):
    """Options of the quota-round mode."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    notice_working_days: int | None = Field(default=None, ge=0)
    """The notice period of a round's list; default: the tenant's ``notice_working_days``."""


# --- the pure ranking -------------------------------------------------------------------------

def lottery_ticket(seed: str, application_id: uuid.UUID | str) -> str:
    """HMAC-SHA256 of the application id (canonical text) keyed by the seed, as hex."""
    return hmac.new(seed.encode("utf-8"), str(uuid.UUID(str(application_id))).encode("ascii"),
                    hashlib.sha256).hexdigest()


def seed_digest(seed: str) -> str:
    """What is published when a round is created: the SHA-256 (hex) of the seed's UTF-8."""
    return hashlib.sha256(seed.encode("utf-8")).hexdigest()


def rank(rule: ResolvedRule, inputs: dict[str, Any]) -> list[dict[str, Any]]:
    """The entries of a draw from its recorded inputs (see the module's description)."""
    seed, quotas = inputs["seed"], inputs["quotas"]
    excluded = set(inputs.get("exclusions", []))
    entries, ranked = [], []
    for applicant in inputs["applicants"]:
        verdict = evaluate(rule, applicant)
        entry = {"application": applicant["application"], "subject": applicant["subject"],
                 "slot": applicant["slot"], "score": applicant["effective_score"],
                 "eligible": verdict.eligible, "reasons": verdict.reasons,
                 "excluded": applicant["application"] in excluded,
                 "ticket": lottery_ticket(seed, applicant["application"]),
                 "rank": None, "selected": False}
        entries.append(entry)
        if verdict.eligible and not entry["excluded"]:
            reached = applicant["score"].get("reached_at")
            ranked.append(((entry["slot"], -Decimal(entry["score"]),
                            datetime.fromisoformat(reached) if reached else _LAST,
                            entry["ticket"]), entry))
    ranked.sort(key=lambda pair: pair[0])
    place: dict[str, int] = {}
    for _key, entry in ranked:
        place[entry["slot"]] = place.get(entry["slot"], 0) + 1
        entry["rank"] = place[entry["slot"]]
        entry["selected"] = entry["rank"] <= quotas.get(entry["slot"], 0)
    return sorted(entries, key=lambda e: (e["slot"], e["rank"] is None, e["rank"] or 0,
                                          e["application"]))


def decide(request: DecisionRequest) -> dict[str, Any]:
    """Quota-round decisions: the check kinds (may this subject apply?) and ``round_draw``."""
    if request.kind in CHECK_KINDS:
        verdict = evaluate(request.rule, request.inputs)
        return {"eligible": verdict.eligible, "reasons": verdict.reasons, "valid_until": None}
    if request.kind != "round_draw":
        raise PluginError(f"the quota_round mode makes no {request.kind!r} decisions")
    return {"entries": rank(request.rule, request.inputs)}


MODE = AllocationMode(name="quota_round", options=QuotaRoundOptions, decide=decide,
                      description="ranked applications in a window, top N per slot, by lottery "
                      "on ties, under public notice")


# --- the rounds ---------------------------------------------------------------------------

class Rounds:
    """Quota rounds of every tenant; reached through ``platform.scenarios``."""

    def __init__(self, platform: Platform, registry: ScenarioRegistry) -> None:
        self.platform, self.registry = platform, registry

    @property
    def _now(self) -> datetime:
        return self.platform.clock.now()

    def create(self, tenant_id: uuid.UUID, scenario: str, request: RoundCreate, *,
               created_by: uuid.UUID | None) -> Round:
        rule = decisions.policy_rule(self.platform, self.registry, tenant_id, scenario)
        if rule.mode != "quota_round":
            raise WrongMode(f"scenario {scenario!r} is allocated by {rule.mode}, not in rounds",
                            scenario=scenario)
        round_id, seed = new_id(), secrets.token_hex(32).upper()  # kept as stored
        digest = seed_digest(seed)
        values = {"tenant_id": tenant_id, "id": round_id, "scenario": scenario,
                  "name": request.name, "quotas": dict(request.quotas),
                  "opens_at": request.opens_at, "closes_at": request.closes_at,
                  "seed_sha256": digest,
                  "seed_enc": self.platform.keys(tenant_id).encrypt(_seed_field(round_id), seed),
                  "state": "open", "created_by": created_by, "created_at": self._now}
        with self.platform.db.write() as conn:
            conn.execute(insert(t.scenario_rounds).values(values))
            audit_log.record(conn, tenant_id, self._now, created_by, "scenario.round_created",
                             "scenario_round", round_id, "",
                             {"scenario": scenario, "seed_sha256": digest},
                             actor=None if created_by else "operator")
            return self._round(conn, tenant_id, round_id)

    def get(self, tenant_id: uuid.UUID, round_id: uuid.UUID) -> Round:
        with self.platform.db.read() as conn:
            return self._round(conn, tenant_id, round_id)

    def apply(self, tenant_id: uuid.UUID, round_id: uuid.UUID, applicant_id: uuid.UUID,
              slot: str, *, applied_by: uuid.UUID) -> Application:
        with self.platform.db.write() as conn:
            found = self._round(conn, tenant_id, round_id, lock=True)
            if found.state != "open" or not found.opens_at <= self._now < found.closes_at:
                raise RoundWindowClosed("the round's application window is not open",
                                        opens_at=str(found.opens_at), closes_at=str(found.closes_at))
            if slot not in found.quotas:
                raise InvalidInput(f"the round has no slot {slot!r}", slot=slot)
            self._check_applicant(conn, tenant_id, found, applicant_id, applied_by)
            application = Application(tenant_id=tenant_id, id=new_id(), round_id=round_id,
                                      applicant_id=applicant_id, slot=slot,
                                      applied_by=applied_by, applied_at=self._now)
            try:
                with conn.begin_nested():
                    conn.execute(insert(t.scenario_applications).values(application.model_dump()))
            except IntegrityError:
                raise _duplicate() from None
            audit_log.record(conn, tenant_id, self._now, applied_by, "scenario.applied",
                             "scenario_round", round_id, "", {"application": str(application.id),
                                                              "slot": slot})
            return application

    def _check_applicant(self, conn: Connection, tenant_id: uuid.UUID, found: Round,
                         applicant_id: uuid.UUID, applied_by: uuid.UUID) -> None:
        subjects.get_subject(conn, tenant_id, applicant_id)
        kin = consent.guardians(conn, tenant_id, [applicant_id])
        allowed = kin.get(applicant_id, [applicant_id])
        if applied_by not in allowed:
            if applicant_id in kin:
                raise GuardianConsentRequired("a child applies through a guardian (JF-PRIV-4)")
            raise Forbidden("residents apply for themselves")
        a = t.scenario_applications.c
        if conn.execute(select(a.id).where(a.tenant_id == tenant_id, a.round_id == found.id,
                                           a.applicant_id == applicant_id)).first():
            raise _duplicate()
        rule = self.registry.resolve(found.scenario, configure.policy(conn, tenant_id))
        if rule.eligibility.consent and not consent.states(
                conn, tenant_id, found.scenario, [applicant_id], self._now, None, kin)[applicant_id]:
            raise NoConsent("no consent to this scenario: grant it first (JF-SCN-1)",
                            scenario=found.scenario)

    # --- the draw ---------------------------------------------------------------------------

    def draw(self, tenant_id: uuid.UUID, round_id: uuid.UUID, *,
             actor: uuid.UUID | None = None) -> Decision:
        """Rank the applications as of the window's close and record the draw (JF-SCN-3)."""
        found = self.get(tenant_id, round_id)
        if found.state != "open":
            raise RoundState(f"the round is {found.state}; it is drawn once", state=found.state)
        if self._now < found.closes_at:
            raise RoundWindowClosed("the round is drawn after its window closes")
        with self.platform.db.read() as conn:
            apps = _applications(conn, tenant_id, round_id)
        rule = decisions.policy_rule(self.platform, self.registry, tenant_id, found.scenario)
        decision_id = new_id()
        gathered = decisions.subject_inputs(
            self.platform, tenant_id, found.scenario, [a.applicant_id for a in apps],
            found.closes_at, decision_id, bulk=True)
        inputs = {"round": str(round_id), "as_of": found.closes_at.astimezone(UTC).isoformat(),
                  "seed": self._seed(tenant_id, round_id), "seed_sha256": found.seed_sha256,
                  "quotas": found.quotas, "exclusions": [],
                  "applicants": [{"application": str(a.id), "slot": a.slot,
                                  **gathered[a.applicant_id]} for a in apps]}
        return self._record_draw(tenant_id, found, decision_id, rule, inputs, actor, "drawn")

    def _record_draw(self, tenant_id: uuid.UUID, found: Round, decision_id: uuid.UUID,
                     rule: ResolvedRule, inputs: dict[str, Any], actor: uuid.UUID | None,
                     state: str) -> Decision:
        result = decisions.decide(self.registry, "round_draw", rule, inputs)
        as_of = datetime.fromisoformat(inputs["as_of"])
        by_application = {a["application"]: a for a in inputs["applicants"]}
        with self.platform.db.write() as conn:
            draw = decisions.record(conn, tenant_id, decision_id, "round_draw", rule, None,
                                    as_of, inputs, result, self._now)
            insert_many(conn, t.scenario_decisions, [decisions.row(Decision(
                tenant_id=tenant_id, id=new_id(), scenario=found.scenario,
                subject_id=uuid.UUID(entry["subject"]), kind="round_entry", as_of=as_of,
                score_value=Decimal(by_application[entry["application"]]["score"]["value"]),
                method=by_application[entry["application"]]["score"]["method"],
                method_version=by_application[entry["application"]]["score"]["method_version"],
                rule=draw.rule, rule_version=draw.rule_version,
                inputs={"round": inputs["round"], "draw": str(decision_id),
                        **by_application[entry["application"]]},
                result=entry, created_at=self._now)) for entry in result["entries"]])
            conn.execute(update(t.scenario_rounds).where(
                t.scenario_rounds.c.tenant_id == tenant_id, t.scenario_rounds.c.id == found.id)
                .values(state=state, draw_decision_id=decision_id))
            audit_log.record(conn, tenant_id, self._now, actor, "scenario.round_drawn",
                             "scenario_round", found.id, "",
                             {"decision": str(decision_id),
                              "exclusions": ",".join(inputs["exclusions"])},
                             actor=None if actor else "operator")
        return draw

    # --- notice, objections, final list ----------------------------------------------------

    def publish(self, tenant_id: uuid.UUID, round_id: uuid.UUID, *,
                publisher: uuid.UUID) -> Round:
        """Put the drawn list under public notice for the notice period in working days."""
        with self.platform.db.write() as conn:
            found = self._round(conn, tenant_id, round_id, lock=True)
            if found.state != "drawn":
                raise RoundState(f"the round is {found.state}; a drawn round is published",
                                 state=found.state)
            rule = ResolvedRule.model_validate(
                decisions.load(conn, tenant_id, _draw_id(found)).rule)
            today = self._today(conn, tenant_id)
            policy = configure.policy(conn, tenant_id)
            days = rule.options.get("notice_working_days")
            if days is None:
                days = policy.settings(_residence_path(conn, tenant_id, rule)).notice_working_days
            conn.execute(update(t.scenario_rounds).where(
                t.scenario_rounds.c.tenant_id == tenant_id, t.scenario_rounds.c.id == round_id)
                .values(state="in_notice", published_by=publisher, notice_starts_on=today,
                        notice_ends_on=policy.add_working_days(today, int(days))))
            audit_log.record(conn, tenant_id, self._now, publisher, "scenario.round_published",
                             "scenario_round", round_id, "", {"days": str(days)})
            return self._round(conn, tenant_id, round_id)

    def public_list(self, tenant_id: uuid.UUID, round_id: uuid.UUID) -> PublicRoundList:
        """The list while its notice runs: rank, masked name, slot, score, selected for every
        ranked applicant (JF-DUE-4); it leaves public view when the notice ends (JF-DUE-7),
        and the final list (selected entries only) is public once the round is final."""
        with self.platform.db.read() as conn:
            found = self._round(conn, tenant_id, round_id)
            if found.state == "final":
                return self._list(conn, found, final=True)
            if found.state != "in_notice":
                raise RoundState("the round's list is not under public notice",
                                 state=found.state)
            assert found.notice_ends_on is not None
            if self._today(conn, tenant_id) > found.notice_ends_on:
                raise NoticeClosed("the notice of this list has ended (JF-DUE-7)")
            return self._list(conn, found, final=False)

    def _list(self, conn: Connection, found: Round, *, final: bool) -> PublicRoundList:
        entries = decisions.load(conn, found.tenant_id, _draw_id(found)).result["entries"]
        shown = [e for e in entries if e["rank"] is not None and (e["selected"] or not final)]
        ids = [uuid.UUID(e["subject"]) for e in shown]
        names: dict[uuid.UUID, str] = {}
        for chunk in consent.chunks(ids):
            names.update(conn.execute(select(t.subjects.c.id, t.subjects.c.name).where(
                t.subjects.c.tenant_id == found.tenant_id, t.subjects.c.id.in_(chunk))).all())
        return PublicRoundList(
            round=found.name, scenario=found.scenario, seed_sha256=found.seed_sha256,
            seed=found.seed, notice_starts_on=found.notice_starts_on,
            notice_ends_on=found.notice_ends_on, final=final,
            entries=tuple(PublicRoundEntry(rank=e["rank"], name=mask_name(names[uuid.UUID(
                e["subject"])]), slot=e["slot"], score=e["score"], selected=e["selected"])
                for e in shown))

    def object(self, tenant_id: uuid.UUID, round_id: uuid.UUID, application_id: uuid.UUID,
               grounds: str, raised_by: uuid.UUID | None = None) -> RoundObjection:
        """Anyone objects to an entry while the list is under notice (JF-DUE-2)."""
        if not grounds.strip():
            raise ReasonRequired("an objection states its grounds")
        with self.platform.db.write() as conn:
            found = self._round(conn, tenant_id, round_id)
            self._in_notice(conn, found)
            _application(conn, tenant_id, round_id, application_id)
            objection = RoundObjection(
                tenant_id=tenant_id, id=new_id(), round_id=round_id,
                application_id=application_id, raised_by=raised_by, raised_at=self._now,
                grounds=grounds, state="open", decided_by=None, decided_at=None,
                decision_reason=None)
            conn.execute(insert(t.scenario_round_objections).values(objection.model_dump()))
            audit_log.record(conn, tenant_id, self._now, raised_by, "scenario.objection_raised",
                             "scenario_round", round_id, grounds,
                             {"objection": str(objection.id), "application": str(application_id)},
                             actor=None if raised_by else "anonymous")
            return objection

    def decide_objection(self, tenant_id: uuid.UUID, objection_id: uuid.UUID,
                         decider: uuid.UUID, *, upheld: bool, reason: str) -> RoundObjection:
        """Decide with reasons, by someone other than the round's publisher and outside the
        applicant's household (JF-DUE-2). Upheld: the application is excluded and the round
        re-ranked from the recorded inputs."""
        if not reason.strip():
            raise ReasonRequired("give the reason for this decision (JF-DUE-2)")
        with self.platform.db.write() as conn:
            objection = _objection(conn, tenant_id, objection_id)
            if objection.state != "open":
                raise InvalidTransition(f"the objection is {objection.state} already")
            found = self._round(conn, tenant_id, objection.round_id, lock=True)
            self._in_notice(conn, found)
            application = _application(conn, tenant_id, found.id, objection.application_id)
            if decider == found.published_by:
                raise SelfReview("the publisher of a round's list does not decide objections "
                                 "to it (JF-DUE-2)")
            if _households(conn, tenant_id, decider) & _households(conn, tenant_id,
                                                                  application.applicant_id):
                raise SelfReview("an objection is not decided within the applicant's household")
            state = "upheld" if upheld else "dismissed"
            conn.execute(update(t.scenario_round_objections).where(
                t.scenario_round_objections.c.tenant_id == tenant_id,
                t.scenario_round_objections.c.id == objection_id).values(
                state=state, decided_by=decider, decided_at=self._now, decision_reason=reason))
            audit_log.record(conn, tenant_id, self._now, decider, f"scenario.objection_{state}",
                             "scenario_round", found.id, reason, {"objection": str(objection_id)})
            previous = decisions.load(conn, tenant_id, _draw_id(found))
        if upheld:
            self._rerank(tenant_id, found, previous, str(objection.application_id), decider)
        return objection.model_copy(update={"state": state, "decided_by": decider,
                                            "decided_at": self._now, "decision_reason": reason})

    def _rerank(self, tenant_id: uuid.UUID, found: Round, previous: Decision,
                application: str, actor: uuid.UUID) -> Decision:
        inputs = dict(previous.inputs)
        inputs["exclusions"] = sorted({*inputs.get("exclusions", []), application})
        inputs["previous_draw"] = str(previous.id)
        inputs["first_draw"] = previous.inputs.get("first_draw", str(previous.id))
        rule = ResolvedRule.model_validate(previous.rule)
        return self._record_draw(tenant_id, found, new_id(), rule, inputs, actor, "in_notice")

    def close(self, tenant_id: uuid.UUID, round_id: uuid.UUID, *,
              actor: uuid.UUID | None = None) -> Round:
        """After the notice (and every objection decided), publish the final list and apply
        the use effect to the selected (JF-SCN-3)."""
        with self.platform.db.read() as conn:
            found = self._round(conn, tenant_id, round_id)
            if found.state != "in_notice":
                raise RoundState(f"the round is {found.state}; a round in notice is closed",
                                 state=found.state)
            assert found.notice_ends_on is not None
            if self._today(conn, tenant_id) <= found.notice_ends_on:
                raise RoundState("the notice has not ended yet", ends_on=str(found.notice_ends_on))
            o = t.scenario_round_objections.c
            if conn.execute(select(o.id).where(o.tenant_id == tenant_id, o.round_id == round_id,
                                               o.state == "open")).first():
                raise RoundState("an objection is still open; decide it first")
        return self.platform.ledger.run(tenant_id, lambda conn, post: self._finalise(
            conn, post, tenant_id, found, actor))

    def _finalise(self, conn: Connection, post: Poster, tenant_id: uuid.UUID, found: Round,
                  actor: uuid.UUID | None) -> Round:
        d = t.scenario_decisions.c
        entries = conn.execute(select(d.id, d.result, d.inputs).where(
            d.tenant_id == tenant_id, d.kind == "round_entry",
            d.inputs["draw"].as_string() == str(found.draw_decision_id))).all()
        rule = ResolvedRule.model_validate(decisions.load(conn, tenant_id, _draw_id(found)).rule)
        for entry_id, result, inputs in entries:
            if result["selected"]:
                decisions.apply_use(conn, post, tenant_id, rule, entry_id,
                                    uuid.UUID(inputs["score"]["basis"]), self._now)
        conn.execute(update(t.scenario_rounds).where(
            t.scenario_rounds.c.tenant_id == tenant_id, t.scenario_rounds.c.id == found.id)
            .values(state="final", finalised_at=self._now))
        audit_log.record(conn, tenant_id, self._now, actor, "scenario.round_final",
                         "scenario_round", found.id, "notice ended",
                         {"decision": str(found.draw_decision_id)},
                         actor=None if actor else "system:scenarios")
        return self._round(conn, tenant_id, found.id)

    # --- helpers ------------------------------------------------------------------------------

    def _round(self, conn: Connection, tenant_id: uuid.UUID, round_id: uuid.UUID, *,
               lock: bool = False) -> Round:
        query = select(t.scenario_rounds).where(t.scenario_rounds.c.tenant_id == tenant_id,
                                                t.scenario_rounds.c.id == round_id)
        found = conn.execute(query.with_for_update() if lock else query).mappings().first()
        if found is None:
            raise NotFound("no such round in this tenant", round=str(round_id))
        values = dict(found)
        enc = values.pop("seed_enc")
        closed = self._now >= values["closes_at"]
        values["seed"] = self.platform.keys(tenant_id).decrypt(
            _seed_field(round_id), enc) if closed else None
        return Round.model_validate(values)

    def _seed(self, tenant_id: uuid.UUID, round_id: uuid.UUID) -> str:
        seed = self.get(tenant_id, round_id).seed
        assert seed is not None
        return seed

    def _today(self, conn: Connection, tenant_id: uuid.UUID) -> date:
        zone = ZoneInfo(tenants.get_tenant_by_id(conn, tenant_id).timezone)
        return self._now.astimezone(zone).date()

    def _in_notice(self, conn: Connection, found: Round) -> None:
        if found.state != "in_notice" or found.notice_ends_on is None:
            raise RoundState("the round's list is not under public notice", state=found.state)
        if self._today(conn, found.tenant_id) > found.notice_ends_on:
            raise NoticeClosed("the notice of this list has ended")


def _seed_field(round_id: uuid.UUID) -> str:
    return f"scenario_round/{round_id}/seed"


def _duplicate() -> DuplicateApplication:
    return DuplicateApplication("the applicant has applied to this round already")


def _draw_id(found: Round) -> uuid.UUID:
    if found.draw_decision_id is None:
        raise RoundState("the round has not been drawn", state=found.state)
    return found.draw_decision_id


def _applications(conn: Connection, tenant_id: uuid.UUID,
                  round_id: uuid.UUID) -> list[Application]:
    a = t.scenario_applications.c
    rows = conn.execute(select(t.scenario_applications).where(
        a.tenant_id == tenant_id, a.round_id == round_id).order_by(a.id)).mappings()
    return [Application.model_validate(dict(r)) for r in rows]


def _application(conn: Connection, tenant_id: uuid.UUID, round_id: uuid.UUID,
                 application_id: uuid.UUID) -> Application:
    a = t.scenario_applications.c
    found = conn.execute(select(t.scenario_applications).where(
        a.tenant_id == tenant_id, a.round_id == round_id, a.id == application_id)
        ).mappings().first()
    if found is None:
        raise NotFound("no such application in this round", application=str(application_id))
    return Application.model_validate(dict(found))


def _objection(conn: Connection, tenant_id: uuid.UUID, objection_id: uuid.UUID) -> RoundObjection:
    o = t.scenario_round_objections.c
    found = conn.execute(select(t.scenario_round_objections).where(
        o.tenant_id == tenant_id, o.id == objection_id).with_for_update()).mappings().first()
    if found is None:
        raise NotFound("no such objection in this tenant", objection=str(objection_id))
    return RoundObjection.model_validate(dict(found))


def _households(conn: Connection, tenant_id: uuid.UUID, subject_id: uuid.UUID) -> set[uuid.UUID]:
    h = t.household_links.c
    found = set(conn.execute(select(h.household_id).where(
        h.tenant_id == tenant_id, h.member_id == subject_id)).scalars())
    return found | {subject_id}


def _residence_path(conn: Connection, tenant_id: uuid.UUID, rule: ResolvedRule) -> list[str]:
    if rule.eligibility.residence is None:
        return []
    unit = tenants.get_org_unit(conn, tenant_id, rule.eligibility.residence)
    return tenants.path_codes(conn, tenant_id, unit.path)
