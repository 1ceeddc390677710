"""The public face of scenarios: ``platform.scenarios`` (JF-SCN-*, JF-PRIV-2, JF-PRIV-4)."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import Connection, select

from jifen.errors import NoConsent, NotEligible, WrongMode
from jifen.ledger import Poster
from jifen.model import new_id
from jifen.scenarios import capacity, consent, decisions, replay
from jifen.scenarios.capacity import Bookings
from jifen.scenarios.model import (
    AllocationMode,
    Application,
    BenefitCodeIssued,
    Booking,
    ConsentRecord,
    Decision,
    EligibilityAssertion,
    PublicRoundList,
    ReplayReport,
    ResolvedRule,
    Round,
    RoundCreate,
    RoundObjection,
    ScenarioSpec,
)
from jifen.scenarios.registry import ScenarioRegistry
from jifen.scenarios.rounds import Rounds
from jifen.store import tables as t

if TYPE_CHECKING:
    from jifen.platform import Platform


class Scenarios:
    """Scenarios of every tenant: consent, eligibility and decisions, threshold codes,
    capacity bookings, quota rounds and replay. Reached as ``platform.scenarios``."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.registry = ScenarioRegistry(platform.pm)
        self._bookings = Bookings(platform, self.registry)
        self._rounds = Rounds(platform, self.registry)

    # --- what is registered ----------------------------------------------------------------

    def specs(self) -> dict[str, ScenarioSpec]:
        """Every scenario the plugins register, by code."""
        return self.registry.specs()

    def modes(self) -> dict[str, AllocationMode]:
        """Every allocation mode the plugins register, by name."""
        return self.registry.modes()

    def rule(self, tenant_id: uuid.UUID, scenario: str) -> ResolvedRule:
        """The scenario's rule as the tenant applies it now (spec + tenant file overrides).

        Raises:
            UnknownScenario: ``scenario.unknown``.
            ScenarioRuleInvalid: ``scenario.invalid_rule`` (the overrides do not validate).
        """
        return decisions.policy_rule(self.platform, self.registry, tenant_id, scenario)

    # --- consent ---------------------------------------------------------------------------

    def grant_consent(self, tenant_id: uuid.UUID, scenario: str, subject_id: uuid.UUID, *,
                      given_by: uuid.UUID, via: Literal["online", "counter"] = "online"
                      ) -> ConsentRecord:
        """Consent to ``scenario`` for ``subject_id``: by the subject, or for a child by a
        guardian (``given_by``) (JF-SCN-1, JF-PRIV-4).

        Raises:
            GuardianConsentRequired: a child's consent given by someone not its guardian.
            Forbidden: an adult's consent given by someone else.
        """
        return self._consent(tenant_id, scenario, subject_id, True, given_by, via)

    def withdraw_consent(self, tenant_id: uuid.UUID, scenario: str, subject_id: uuid.UUID, *,
                         given_by: uuid.UUID, via: Literal["online", "counter"] = "online"
                         ) -> ConsentRecord:
        """Withdraw consent; from now on a provider learns nothing (JF-PRIV-2)."""
        return self._consent(tenant_id, scenario, subject_id, False, given_by, via)

    def _consent(self, tenant_id: uuid.UUID, scenario: str, subject_id: uuid.UUID,
                 granted: bool, given_by: uuid.UUID,
                 via: Literal["online", "counter"]) -> ConsentRecord:
        self.registry.spec(scenario)
        with self.platform.db.write() as conn:
            return consent.record(conn, self.platform.clock.now(), tenant_id, scenario,
                                  subject_id, granted=granted, given_by=given_by, via=via)

    def has_consent(self, tenant_id: uuid.UUID, scenario: str, subject_id: uuid.UUID, *,
                    as_of: datetime | None = None) -> bool:
        """Whether the subject's consent (for a child, a guardian's) stands as of ``as_of``."""
        with self.platform.db.read() as conn:
            kin = consent.guardians(conn, tenant_id, [subject_id])
            return consent.states(conn, tenant_id, scenario, [subject_id],
                                  as_of or self.platform.clock.now(), None, kin)[subject_id]

    def consent_history(self, tenant_id: uuid.UUID, scenario: str,
                        subject_id: uuid.UUID) -> list[ConsentRecord]:
        """Every grant and withdrawal, oldest first."""
        with self.platform.db.read() as conn:
            return consent.history(conn, tenant_id, scenario, subject_id)

    # --- eligibility and decisions ------------------------------------------------------------

    def check(self, tenant_id: uuid.UUID, scenario: str, subject_id: uuid.UUID,
              as_of: datetime | None = None) -> Decision:
        """Decide whether the subject is eligible as of ``as_of`` (default now) and record the
        decision (JF-SCN-1, JF-SCN-5): the score the scenario uses, residence, categories,
        consent and marks; see ``Decision.eligible`` and ``Decision.reasons``. For the
        resident and the administration; a provider uses :meth:`assert_eligibility`."""
        return self._decide(tenant_id, scenario, subject_id, "check", as_of)[0]

    def _decide(self, tenant_id: uuid.UUID, scenario: str, subject_id: uuid.UUID, kind: str,
                as_of: datetime | None = None, *, allocate: bool = False
                ) -> tuple[Decision, ResolvedRule]:
        rule = self.rule(tenant_id, scenario)
        now = self.platform.clock.now()
        when = as_of or now
        decision_id = new_id()
        inputs = decisions.subject_inputs(self.platform, tenant_id, scenario, [subject_id],
                                          when, decision_id)[subject_id]
        if rule.mode == "capacity":
            inputs["capacity"] = self._month_use(tenant_id, scenario, subject_id, inputs)
        result = decisions.decide(self.registry, kind, rule, inputs)

        def work(conn: Connection, post: Poster) -> Decision:
            decision = decisions.record(conn, tenant_id, decision_id, kind, rule, subject_id,
                                        when, inputs, result, now)
            if allocate and result.get("eligible"):
                decisions.apply_use(conn, post, tenant_id, rule, decision_id,
                                    uuid.UUID(inputs["score"]["basis"]), now)
            return decision

        return self.platform.ledger.run(tenant_id, work), rule

    def _month_use(self, tenant_id: uuid.UUID, scenario: str, subject_id: uuid.UUID,
                   inputs: dict[str, Any]) -> dict[str, Any]:
        day = date.fromisoformat(inputs["local_date"])
        with self.platform.db.read() as conn:
            return {"month_used": capacity.used(conn, tenant_id, scenario,
                                                capacity.month_key(subject_id, day))}

    def assert_eligibility(self, tenant_id: uuid.UUID, scenario: str,
                           subject_id: uuid.UUID) -> EligibilityAssertion | None:
        """What a provider may learn (JF-PRIV-2): with the subject's consent (for a child, a
        guardian's) only ``{scenario, eligible, valid_until}``, never the score; without
        consent ``None`` — no assertion, which is not the same as "not eligible". Consent is
        required here even where the tenant's rule does not require it for checks."""
        if not self.has_consent(tenant_id, scenario, subject_id):
            return None
        decision = self._decide(tenant_id, scenario, subject_id, "assertion")[0]
        until = decision.result.get("valid_until")
        return EligibilityAssertion(scenario=scenario, eligible=decision.eligible,
                                    valid_until=date.fromisoformat(until) if until else None)

    def benefit_code(self, tenant_id: uuid.UUID, scenario: str, subject_id: uuid.UUID, *,
                     lifetime: timedelta | None = None) -> BenefitCodeIssued:
        """A verify-benefit code proving eligibility to the provider (JF-SCN-2, JF-CODE-2):
        it shows the scenario's ``benefit`` and ``valid_until`` (the end of the local day for
        the threshold mode) and nothing else. The decision is recorded, and the use effect
        applied, when the code is issued.

        Raises:
            NoConsent: ``scenario.no_consent``.
            NotEligible: ``scenario.not_eligible`` (the reasons in ``details``).
            WrongMode: the scenario's mode gives no validity to prove (e.g. capacity: book).
        """
        decision, rule = self._decide(tenant_id, scenario, subject_id, "benefit_code",
                                      allocate=True)
        details = {"scenario": scenario, "decision": str(decision.id)}
        if "no_consent" in decision.reasons:
            raise NoConsent("no consent to this scenario: the provider learns nothing "
                            "(JF-PRIV-2)", **details)
        if not decision.eligible:
            raise NotEligible(f"not eligible: {', '.join(decision.reasons)}",
                              reasons=decision.reasons, **details)
        until = decision.result.get("valid_until")
        if not until:
            raise WrongMode(f"scenario {scenario!r} ({rule.mode}) issues no benefit codes",
                            **details)
        seconds = int(rule.options.get("code_lifetime_seconds", 60))
        issued = self.platform.codes.issue(
            tenant_id, subject_id, "verify-benefit", benefit=rule.benefit,
            valid_until=date.fromisoformat(until), lifetime=lifetime or timedelta(seconds=seconds))
        return BenefitCodeIssued(token=issued.token, benefit=rule.benefit,
                                 valid_until=date.fromisoformat(until),
                                 expires_at=issued.expires_at, decision_id=decision.id)

    def decision(self, tenant_id: uuid.UUID, decision_id: uuid.UUID) -> Decision:
        """One recorded decision."""
        with self.platform.db.read() as conn:
            return decisions.load(conn, tenant_id, decision_id)

    def decisions(self, tenant_id: uuid.UUID, *, scenario: str | None = None,
                  subject_id: uuid.UUID | None = None) -> list[Decision]:
        """Recorded decisions, oldest first (a resident's own: pass ``subject_id``)."""
        d = t.scenario_decisions.c
        query = select(t.scenario_decisions).where(d.tenant_id == tenant_id)
        if scenario is not None:
            query = query.where(d.scenario == scenario)
        if subject_id is not None:
            query = query.where(d.subject_id == subject_id)
        with self.platform.db.read() as conn:
            rows = conn.execute(query.order_by(d.id)).mappings()
            return [Decision.model_validate(dict(r)) for r in rows]

    def replay(self, tenant_id: uuid.UUID, decision_id: uuid.UUID) -> ReplayReport:
        """Recompute a recorded decision and report whether it is identical (JF-SCN-5)."""
        return self.replay_decision(self.decision(tenant_id, decision_id))

    def replay_decision(self, decision: Decision) -> ReplayReport:
        """Replay a decision given as a value (e.g. one read from an export)."""
        return replay.replay(self.platform, self.registry, decision)

    # --- capacity ------------------------------------------------------------------------------

    def book(self, tenant_id: uuid.UUID, scenario: str, subject_id: uuid.UUID, unit: str,
             day: date, idempotency_key: str, *, booked_by: uuid.UUID | None = None) -> Booking:
        """Book a priority slot of ``unit`` on ``day`` (JF-SCN-4); the booking carries a
        verify-benefit code (``token``) confirming it to the provider.

        Raises:
            QuotaFull: ``scenario.quota_full``.
            MonthlyLimit: ``scenario.monthly_limit``.
            NoConsent: ``scenario.no_consent``.
            NotEligible: ``scenario.not_eligible``.
            InvalidInput: an unknown unit, a day in the past (or ``scenario.wrong_mode``).
            IdempotencyConflict: the key was used for another booking.
        """
        return self._bookings.book(tenant_id, scenario, subject_id, unit, day, idempotency_key,
                                   booked_by=booked_by)

    def cancel_booking(self, tenant_id: uuid.UUID, booking_id: uuid.UUID, *,
                       actor: uuid.UUID | None = None, reason: str = "") -> Booking:
        """Cancel a booking and free its slot and the resident's monthly use."""
        return self._bookings.cancel(tenant_id, booking_id, actor=actor, reason=reason)

    def booking_code(self, tenant_id: uuid.UUID, booking_id: uuid.UUID) -> str:
        """A fresh verify-benefit code for a booked slot."""
        return self._bookings.code(tenant_id, booking_id)

    # --- quota rounds --------------------------------------------------------------------------

    def create_round(self, tenant_id: uuid.UUID, scenario: str, request: RoundCreate, *,
                     created_by: uuid.UUID | None = None) -> Round:
        """Open a quota round; the seed's SHA-256 is published now (JF-SCN-3)."""
        return self._rounds.create(tenant_id, scenario, request, created_by=created_by)

    def round(self, tenant_id: uuid.UUID, round_id: uuid.UUID) -> Round:
        """A round; its ``seed`` once the window has closed."""
        return self._rounds.get(tenant_id, round_id)

    def apply(self, tenant_id: uuid.UUID, round_id: uuid.UUID, applicant_id: uuid.UUID,
              slot: str, *, applied_by: uuid.UUID) -> Application:
        """Apply during the window, once per applicant; a child through a guardian."""
        return self._rounds.apply(tenant_id, round_id, applicant_id, slot, applied_by=applied_by)

    def draw(self, tenant_id: uuid.UUID, round_id: uuid.UUID, *,
             actor: uuid.UUID | None = None) -> Decision:
        """Rank and select after the window closes; returns the ``round_draw`` decision."""
        return self._rounds.draw(tenant_id, round_id, actor=actor)

    def publish_round(self, tenant_id: uuid.UUID, round_id: uuid.UUID, *,
                      publisher: uuid.UUID) -> Round:
        """Put the list under public notice (working days)."""
        return self._rounds.publish(tenant_id, round_id, publisher=publisher)

    def public_list(self, tenant_id: uuid.UUID, round_id: uuid.UUID) -> PublicRoundList:
        """The list under notice (masked names), or the final list once the round is final."""
        return self._rounds.public_list(tenant_id, round_id)

    def object_to_entry(self, tenant_id: uuid.UUID, round_id: uuid.UUID,
                        application_id: uuid.UUID, grounds: str,
                        raised_by: uuid.UUID | None = None) -> RoundObjection:
        """Object to an entry of a list under notice (JF-DUE-2)."""
        return self._rounds.object(tenant_id, round_id, application_id, grounds, raised_by)

    def decide_objection(self, tenant_id: uuid.UUID, objection_id: uuid.UUID,
                         decider: uuid.UUID, *, upheld: bool, reason: str) -> RoundObjection:
        """Decide an objection with reasons; upheld re-ranks without the application."""
        return self._rounds.decide_objection(tenant_id, objection_id, decider, upheld=upheld,
                                             reason=reason)

    def close_round(self, tenant_id: uuid.UUID, round_id: uuid.UUID, *,
                    actor: uuid.UUID | None = None) -> Round:
        """Make the list final after its notice and apply the use effect to the selected."""
        return self._rounds.close(tenant_id, round_id, actor=actor)
