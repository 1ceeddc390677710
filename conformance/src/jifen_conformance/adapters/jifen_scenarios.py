"""The scenarios profile's actions for jifen's in-process adapter (mixed into `JifenAdapter`).

Access checks for actions taken *as* a subject reuse the HTTP layer's rules (the roles of
`jifen.api.deps.Context` and `jifen.api.routers.scenarios.acting_for`), so that both drivers
see the same refusals. The three scenarios are jifen's plugins ``bank-vip`` (threshold),
``hospital-priority`` (capacity) and ``school-place-upgrade`` (quota round).
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from jifen_conformance.driver import ActionError

MANAGERS = ("operator", "admin")


def _text(value: Any) -> str | None:
    """An exact decimal as the suite writes it: ``"10"``, ``"5.5"``."""
    if value is None:
        return None
    text = format(value, "f")
    return (text.rstrip("0").rstrip(".") if "." in text else text) or "0"


class ScenariosActions:
    """``do_<action>`` methods of the scenarios profile; see ``docs/conformance/case-format.md``."""

    platform: Any

    # --- access, as the HTTP layer rules ---------------------------------------------------------

    def _require(self, tenant: Any, actor: str | None, *roles: str) -> None:
        """Actor ``None`` is the operator; a named actor needs one of ``roles``."""
        if actor is not None:
            self._context(tenant, actor).require(*roles)

    def _for(self, tenant: Any, actor: str | None, name: str | None) -> Any:
        """The subject the actor acts for: itself, or a child of a household it guards."""
        from jifen.api.routers.scenarios import acting_for

        if actor is None:
            raise ActionError("access.forbidden", "this action needs an actor", 403)
        code = "me" if name in (None, actor) else self._code(tenant, name)
        return acting_for(self._context(tenant, actor), code)

    def _code(self, tenant: Any, name: str) -> str:
        found = tenant.subjects.get(name)
        return found.code if found is not None else f"unknown-{name}"

    # --- consent, eligibility, decisions (the core) ---------------------------------------------

    def do_scenarios(self, tenant: Any, args: dict[str, Any], actor: str | None
                     ) -> dict[str, Any]:
        scenarios = self.platform.scenarios
        return {code: {"provider": rule.provider, "benefit": rule.benefit, "mode": rule.mode,
                       "eligibility": {"min_score": _text(rule.eligibility.min_score),
                                       "residence": rule.eligibility.residence,
                                       "required_categories": list(
                                           rule.eligibility.required_categories),
                                       "consent": rule.eligibility.consent},
                       "use_effect": rule.use_effect}
                for code in sorted(scenarios.specs())
                for rule in [scenarios.rule(tenant.id, code)]}

    def do_grant_consent(self, tenant: Any, args: dict[str, Any], actor: str | None
                         ) -> dict[str, Any]:
        return self._consent(tenant, args, actor, granted=True)

    def do_withdraw_consent(self, tenant: Any, args: dict[str, Any], actor: str | None
                            ) -> dict[str, Any]:
        return self._consent(tenant, args, actor, granted=False)

    def _consent(self, tenant: Any, args: dict[str, Any], actor: str | None, *,
                 granted: bool) -> dict[str, Any]:
        me = self._actor_id(tenant, actor)
        name = args.get("subject", actor)
        code = "me" if name == actor else self._code(tenant, name)
        subject = self._context(tenant, actor).subject(code)
        scenarios = self.platform.scenarios
        record = (scenarios.grant_consent if granted else scenarios.withdraw_consent)(
            tenant.id, args["scenario"], subject.id, given_by=me)
        return {"scenario": record.scenario, "subject": self._name(tenant, subject.id),
                "granted": record.granted, "given_by": self._name(tenant, record.given_by)}

    def do_eligibility(self, tenant: Any, args: dict[str, Any], actor: str | None
                       ) -> dict[str, Any]:
        from jifen.errors import NoConsent

        self._require(tenant, actor, "provider")
        found = tenant.subjects.get(args["subject"])
        assertion = None if found is None else self.platform.scenarios.assert_eligibility(
            tenant.id, args["scenario"], found.id)
        if assertion is None:
            raise NoConsent("no consent to this scenario: the provider learns nothing")
        return assertion.model_dump(mode="json")

    def do_decision(self, tenant: Any, args: dict[str, Any], actor: str | None
                    ) -> dict[str, Any]:
        found = self._decision(tenant, args, actor)
        return {"scenario": found.scenario, "kind": found.kind,
                "subject": self._name(tenant, found.subject_id),
                "score": _text(found.score_value), "method": found.method,
                "method_version": found.method_version, "rule_version": found.rule_version,
                "inputs": found.model_dump(mode="json")["inputs"],
                "eligible": found.result.get("eligible")}

    def do_replay_decision(self, tenant: Any, args: dict[str, Any], actor: str | None
                           ) -> dict[str, Any]:
        report = self.platform.scenarios.replay_decision(self._decision(tenant, args, actor))
        return {"identical": report.identical, "differences": list(report.differences)}

    def _decision(self, tenant: Any, args: dict[str, Any], actor: str | None) -> Any:
        from jifen.errors import Forbidden

        found = self.platform.scenarios.decision(tenant.id, uuid.UUID(args["decision"]))
        if actor is not None and not self._context(
                tenant, actor).principal.has("auditor", "operator"):
            if found.subject_id is None:
                raise Forbidden("a decision is seen by its subject, auditors and operators")
            self._for(tenant, actor, self._name(tenant, found.subject_id))
        return found

    # --- bank VIP (threshold) -----------------------------------------------------------------------

    def do_vip_code(self, tenant: Any, args: dict[str, Any], actor: str | None
                    ) -> dict[str, Any]:
        from jifen_bank_vip import BankVip

        issued = BankVip(self.platform).code(tenant.id, self._for(tenant, actor, None).id)
        return {"token": issued.token, "benefit": issued.benefit,
                "valid_until": str(issued.valid_until), "decision": str(issued.decision_id)}

    def do_verify_vip_code(self, tenant: Any, args: dict[str, Any], actor: str | None
                           ) -> dict[str, Any]:
        from jifen_bank_vip import verify_vip_code

        self._require(tenant, actor, "provider")
        shown = verify_vip_code(args["token"], self.platform.codes.public_keys(tenant.id),
                                now=self.platform.clock.now(), tenant=tenant.code)
        return {"benefit": shown.benefit, "valid_until": str(shown.valid_until),
                "text": shown.text}

    # --- hospital priority (capacity) ---------------------------------------------------------------

    def do_book_slot(self, tenant: Any, args: dict[str, Any], actor: str | None
                     ) -> dict[str, Any]:
        from jifen_hospital_priority import HospitalPriority

        subject = self._for(tenant, actor, args.get("subject"))
        key = f"api:{actor}:{uuid.uuid4().hex}"
        booking = HospitalPriority(self.platform).book(
            tenant.id, subject.id, args["department"], date.fromisoformat(str(args["day"])),
            key, booked_by=self._actor_id(tenant, actor))
        return self._booking(tenant, booking)

    def do_cancel_booking(self, tenant: Any, args: dict[str, Any], actor: str | None
                          ) -> dict[str, Any]:
        from jifen_hospital_priority import HospitalPriority

        booking = self._own_booking(tenant, args, actor)
        return self._booking(tenant, HospitalPriority(self.platform).cancel(
            tenant.id, booking.id, actor=self._actor_id(tenant, actor),
            reason=args.get("reason", "")))

    def do_slot_code(self, tenant: Any, args: dict[str, Any], actor: str | None
                     ) -> dict[str, Any]:
        from jifen_hospital_priority import HospitalPriority

        booking = self._own_booking(tenant, args, actor)
        return {"token": HospitalPriority(self.platform).confirmation_code(booking)}

    def do_verify_slot_code(self, tenant: Any, args: dict[str, Any], actor: str | None
                            ) -> dict[str, Any]:
        from jifen_hospital_priority import verify_confirmation

        self._require(tenant, actor, "provider")
        shown = verify_confirmation(args["token"], self.platform.codes.public_keys(tenant.id),
                                    now=self.platform.clock.now(), tenant=tenant.code,
                                    hospital=args.get("hospital"))
        return {"benefit": shown.benefit, "department": shown.department,
                "valid_until": str(shown.valid_until), "text": shown.text}

    def _own_booking(self, tenant: Any, args: dict[str, Any], actor: str | None) -> Any:
        from sqlalchemy import select

        from jifen.errors import Forbidden
        from jifen.scenarios import Booking
        from jifen.store import tables as t

        b = t.scenario_bookings.c
        with self.platform.db.read() as conn:
            row = conn.execute(select(t.scenario_bookings).where(
                b.tenant_id == tenant.id, b.id == uuid.UUID(args["booking"]))).mappings().first()
        if row is None:
            raise Forbidden("not your booking, nor your child's")
        self._for(tenant, actor, self._name(tenant, row["subject_id"]))
        return Booking.model_validate(dict(row))

    def _booking(self, tenant: Any, booking: Any) -> dict[str, Any]:
        return {"id": str(booking.id), "subject": self._name(tenant, booking.subject_id),
                "department": booking.unit, "day": str(booking.day), "state": booking.state,
                "token": booking.token, "decision": str(booking.decision_id)}

    # --- school places (quota round) ----------------------------------------------------------------

    def _places(self) -> Any:
        from jifen_school_place import SchoolPlaces

        return SchoolPlaces(self.platform)

    def do_open_round(self, tenant: Any, args: dict[str, Any], actor: str | None
                      ) -> dict[str, Any]:
        from jifen_school_place import SchoolRound

        self._require(tenant, actor, *MANAGERS)
        opened_by = None if actor is None else self._actor_id(tenant, actor)
        return self._round(self._places().open_round(
            tenant.id, SchoolRound.model_validate(args), opened_by=opened_by))

    def do_round(self, tenant: Any, args: dict[str, Any], actor: str | None
                 ) -> dict[str, Any]:
        return self._round(self._places().round(tenant.id, uuid.UUID(args["round"])))

    def do_apply_round(self, tenant: Any, args: dict[str, Any], actor: str | None
                       ) -> dict[str, Any]:
        child = self._for(tenant, actor, args["child"])
        found = self._places().apply(tenant.id, uuid.UUID(args["round"]), child.id,
                                     args["upgrade"], guardian_id=self._actor_id(tenant, actor))
        return {"id": str(found.id), "child": self._name(tenant, found.applicant_id),
                "upgrade": found.slot}

    def do_draw_round(self, tenant: Any, args: dict[str, Any], actor: str | None
                      ) -> dict[str, Any]:
        self._require(tenant, actor, *MANAGERS)
        round_id = uuid.UUID(args["round"])
        self._places().draw(tenant.id, round_id, actor=self._optional(tenant, actor))
        return self._round(self._places().round(tenant.id, round_id))

    def do_publish_round(self, tenant: Any, args: dict[str, Any], actor: str | None
                         ) -> dict[str, Any]:
        self._require(tenant, actor, *MANAGERS)
        return self._list(self._places().publish(
            tenant.id, uuid.UUID(args["round"]), publisher=self._actor_id(tenant, actor)))

    def do_round_list(self, tenant: Any, args: dict[str, Any], actor: str | None
                      ) -> dict[str, Any]:
        return self._list(self._places().public_list(tenant.id, uuid.UUID(args["round"])))

    def do_object_round(self, tenant: Any, args: dict[str, Any], actor: str | None
                        ) -> dict[str, Any]:
        found = self._places().object(tenant.id, uuid.UUID(args["round"]),
                                      slot=args["upgrade"], rank=int(args["rank"]),
                                      grounds=args.get("grounds", ""),
                                      raised_by=self._optional(tenant, actor))
        return {"id": str(found.id), "state": found.state}

    def do_decide_round_objection(self, tenant: Any, args: dict[str, Any], actor: str | None
                                  ) -> dict[str, Any]:
        self._require(tenant, actor, "reviewer", *MANAGERS)
        found = self._places().decide(tenant.id, uuid.UUID(args["objection"]),
                                      self._actor_id(tenant, actor),
                                      upheld=bool(args["upheld"]), reason=args.get("reason", ""))
        return {"id": str(found.id), "state": found.state}

    def do_close_round(self, tenant: Any, args: dict[str, Any], actor: str | None
                       ) -> dict[str, Any]:
        self._require(tenant, actor, *MANAGERS)
        return self._list(self._places().close(tenant.id, uuid.UUID(args["round"]),
                                               actor=self._optional(tenant, actor)))

    def do_replay_round(self, tenant: Any, args: dict[str, Any], actor: str | None
                        ) -> dict[str, Any]:
        self._require(tenant, actor, "auditor", "operator")
        reports = self._places().replay(tenant.id, uuid.UUID(args["round"]))
        return {"decisions": len(reports), "kinds": sorted({r.kind for r in reports}),
                "identical": all(r.identical for r in reports)}

    def _optional(self, tenant: Any, actor: str | None) -> uuid.UUID | None:
        return None if actor is None else self._actor_id(tenant, actor)

    def _round(self, found: Any) -> dict[str, Any]:
        return {"id": str(found.id), "state": found.state, "quotas": dict(found.quotas),
                "seed_sha256": found.seed_sha256, "seed": found.seed}

    def _list(self, listing: Any) -> dict[str, Any]:
        return {"final": listing.final, "seed": listing.seed,
                "entries": [{"rank": e.rank, "name": e.name, "upgrade": e.slot, "score": e.score,
                             "selected": e.selected} for e in listing.entries]}
