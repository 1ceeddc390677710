"""``SchoolPlaces``: school-place upgrades in the words of the education bureau, on the core's
quota-round mode (JF-SCN-3) through ``platform.scenarios`` only.

The order of a round: ``open_round`` (the seed's SHA-256 is published) → a guardian gives
consent for a child and ``apply`` s for it during the window → ``draw`` after the window (the
seed itself is published; ranking by the score a child uses — a guardian's, JF-SUB-2 — ties by
the earliest date the score was reached, then by the lottery) → ``publish`` (the list under
public notice, names masked, JF-DUE-4) → ``object``/``decide`` during the notice (JF-DUE-2) →
``close`` after it (the final list; the use effect ``mark`` applied to the guardians whose
points won). Every step is recorded by the core as decisions and audit entries; ``replay``
recomputes the draw and every applicant's decision (JF-SCN-5).
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import yaml  # type: ignore[import-untyped]
from pydantic import ValidationError

from jifen.errors import Forbidden
from jifen.scenarios import (
    Application,
    ConsentRecord,
    Decision,
    PublicRoundList,
    ReplayReport,
    ResolvedRule,
    Round,
    RoundObjection,
)
from jifen_school_place.errors import GuardianApplies, InvalidRoundFile, UnknownEntry
from jifen_school_place.model import SCENARIO, SchoolRound

if TYPE_CHECKING:
    from jifen.platform import Platform
    from jifen.scenarios import Scenarios


class SchoolPlaces:
    """School-place upgrade rounds of every tenant (a thin layer over ``platform.scenarios``)."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform

    @property
    def _scenarios(self) -> Scenarios:
        return self.platform.scenarios

    def rule(self, tenant_id: uuid.UUID) -> ResolvedRule:
        """The scenario's rule as the tenant applies it (the tenant file may override the
        minimum score, the residence and the notice period)."""
        rule: ResolvedRule = self._scenarios.rule(tenant_id, SCENARIO)
        return rule

    # --- consent (JF-PRIV-4) ----------------------------------------------------------------

    def grant_consent(self, tenant_id: uuid.UUID, child_id: uuid.UUID, *,
                      guardian_id: uuid.UUID,
                      via: Literal["online", "counter"] = "online") -> ConsentRecord:
        """A guardian's separate consent to share the child's (and the guardian's score) data
        with the education bureau. Anyone else's is refused
        (``scenario.guardian_consent_required``)."""
        record: ConsentRecord = self._scenarios.grant_consent(
            tenant_id, SCENARIO, child_id, given_by=guardian_id, via=via)
        return record

    def withdraw_consent(self, tenant_id: uuid.UUID, child_id: uuid.UUID, *,
                         guardian_id: uuid.UUID,
                         via: Literal["online", "counter"] = "online") -> ConsentRecord:
        """Withdraw it: a child without consent at the window's close is not ranked."""
        record: ConsentRecord = self._scenarios.withdraw_consent(
            tenant_id, SCENARIO, child_id, given_by=guardian_id, via=via)
        return record

    # --- the round --------------------------------------------------------------------------

    def open_round(self, tenant_id: uuid.UUID, definition: SchoolRound, *,
                   opened_by: uuid.UUID | None = None) -> Round:
        """Open a round for a school year: one slot per (school, from, to) with its places."""
        found: Round = self._scenarios.create_round(tenant_id, SCENARIO, definition.request(),
                                                    created_by=opened_by)
        return found

    def round(self, tenant_id: uuid.UUID, round_id: uuid.UUID) -> Round:
        """The round (its ``seed`` once the window has closed)."""
        found: Round = self._scenarios.round(tenant_id, round_id)
        return found

    def apply(self, tenant_id: uuid.UUID, round_id: uuid.UUID, child_id: uuid.UUID,
              upgrade: str, *, guardian_id: uuid.UUID) -> Application:
        """A guardian applies for a child for one upgrade (slot ``school:from→to``); the
        application records the guardian who made it.

        Raises:
            GuardianApplies: ``school_place.guardian_applies`` — the applicant applied for
                itself, or is nobody's child.
            GuardianConsentRequired: the one applying is not the child's guardian.
            NoConsent: no guardian has consented for the child.
            RoundWindowClosed, DuplicateApplication, InvalidInput (an unknown slot).
        """
        if guardian_id == child_id:
            raise GuardianApplies("a school place is applied for by a guardian, not by the "
                                  "child (JF-PRIV-4)")
        try:
            application: Application = self._scenarios.apply(
                tenant_id, round_id, child_id, upgrade, applied_by=guardian_id)
        except Forbidden as exc:
            if exc.code != Forbidden.code:  # guardian_consent_required, no_consent, …
                raise
            raise GuardianApplies("the applicant is not a child of a household: a guardian "
                                  "applies for a child (JF-SUB-2)") from None
        return application

    def draw(self, tenant_id: uuid.UUID, round_id: uuid.UUID, *,
             actor: uuid.UUID | None = None) -> Decision:
        """Rank and select after the window has closed; the seed is public from then on."""
        decision: Decision = self._scenarios.draw(tenant_id, round_id, actor=actor)
        return decision

    def publish(self, tenant_id: uuid.UUID, round_id: uuid.UUID, *,
                publisher: uuid.UUID) -> PublicRoundList:
        """Put the list under public notice and return it (masked names, JF-DUE-4)."""
        self._scenarios.publish_round(tenant_id, round_id, publisher=publisher)
        return self.public_list(tenant_id, round_id)

    def public_list(self, tenant_id: uuid.UUID, round_id: uuid.UUID) -> PublicRoundList:
        """The list under notice (every ranked child: rank, masked name, slot, score,
        selected), or the final list (the selected only) once the round is closed."""
        listing: PublicRoundList = self._scenarios.public_list(tenant_id, round_id)
        return listing

    def object(self, tenant_id: uuid.UUID, round_id: uuid.UUID, *, slot: str, rank: int,
               grounds: str, raised_by: uuid.UUID | None = None) -> RoundObjection:
        """Object to the entry the public sees at ``rank`` of ``slot`` (JF-DUE-2); anyone may,
        anonymously too.

        Raises:
            UnknownEntry: ``school_place.unknown_entry``.
        """
        application = self.application_at(tenant_id, round_id, slot, rank)
        objection: RoundObjection = self._scenarios.object_to_entry(
            tenant_id, round_id, application, grounds, raised_by)
        return objection

    def decide(self, tenant_id: uuid.UUID, objection_id: uuid.UUID, decider: uuid.UUID, *,
               upheld: bool, reason: str) -> RoundObjection:
        """Decide an objection with reasons, by someone other than the publisher and outside
        the child's household; upheld: the entry leaves the list and the round is re-ranked."""
        decided: RoundObjection = self._scenarios.decide_objection(
            tenant_id, objection_id, decider, upheld=upheld, reason=reason)
        return decided

    def close(self, tenant_id: uuid.UUID, round_id: uuid.UUID, *,
              actor: uuid.UUID | None = None) -> PublicRoundList:
        """After the notice (every objection decided): the final list. The guardians whose
        points won are marked for this scenario (use effect ``mark``)."""
        self._scenarios.close_round(tenant_id, round_id, actor=actor)
        return self.public_list(tenant_id, round_id)

    # --- the record -------------------------------------------------------------------------

    def current_draw(self, tenant_id: uuid.UUID, round_id: uuid.UUID) -> Decision:
        """The round's current ``round_draw`` decision (after an upheld objection, the
        re-ranking)."""
        found = self.round(tenant_id, round_id)
        if found.draw_decision_id is None:
            raise UnknownEntry("the round has not been drawn", round=str(round_id))
        decision: Decision = self._scenarios.decision(tenant_id, found.draw_decision_id)
        return decision

    def application_at(self, tenant_id: uuid.UUID, round_id: uuid.UUID, slot: str,
                       rank: int) -> uuid.UUID:
        """The application behind the public entry at ``rank`` of ``slot``."""
        for entry in self.current_draw(tenant_id, round_id).result["entries"]:
            if entry["slot"] == slot and entry["rank"] == rank:
                return uuid.UUID(entry["application"])
        raise UnknownEntry(f"the list has no rank {rank} for {slot!r}", slot=slot, rank=rank)

    def decisions(self, tenant_id: uuid.UUID, round_id: uuid.UUID) -> list[Decision]:
        """Every decision of the round, oldest first: each draw (and re-ranking) and one
        ``round_entry`` decision per applicant per draw (JF-SCN-5)."""
        found: list[Decision] = self._scenarios.decisions(tenant_id, scenario=SCENARIO)
        return [d for d in found if d.kind in ("round_draw", "round_entry")
                and d.inputs.get("round") == str(round_id)]

    def replay(self, tenant_id: uuid.UUID, round_id: uuid.UUID) -> list[ReplayReport]:
        """Replay every decision of the round from the ledger and the recorded inputs."""
        return [self._scenarios.replay(tenant_id, d.id) for d in self.decisions(tenant_id,
                                                                                 round_id)]


def load_round(path: str | Path) -> SchoolRound:
    """Read a round from a YAML or JSON file (``school_place.invalid_round``)."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise InvalidRoundFile(f"{path.name}: not valid YAML or JSON: {exc}") from exc
    try:
        return SchoolRound.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'file'}: {e['msg']}"
                             for e in exc.errors())
        raise InvalidRoundFile(f"{path.name}: {problems}") from exc
