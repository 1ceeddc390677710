"""The scenarios profile's actions over HTTP (mixed into `HttpDriver`).

The core's scenario endpoints (``/v1/tenants/{t}/scenarios``: declarations, consent,
eligibility, decisions and their replay) and the three scenario plugins' endpoints
(``…/bank-vip``, ``…/hospital``, ``…/school-place``); results are normalised to what the
in-process adapter returns (see ``docs/conformance/case-format.md``). Household links are
administration the standard's API does not cover: ``link_household`` asks the provisioner.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from jifen_conformance.driver import Unsupported


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = format(Decimal(str(value)), "f")
    return (text.rstrip("0").rstrip(".") if "." in text else text) or "0"


class HttpScenariosActions:
    """``do_<action>`` methods of the scenarios profile, over the plugins' HTTP endpoints."""

    provisioner: Any

    def _call(self, tenant: Any, method: str, path: str, actor: str | None,
              body: Any = None, **params: Any) -> Any:
        return self._request(method, f"{self._t(tenant)}{path}",
                             self._token(tenant, actor), json=body,
                             params=params or None, idempotent=method == "POST")

    def _ref(self, tenant: Any, actor: str | None, name: str | None) -> str:
        """``me`` for the actor, else the subject's code (an unknown name stays unknown)."""
        if name is None or name == actor:
            return "me"
        return str(tenant.codes.get(name, f"unknown-{name}"))

    # --- households (provisioning) ---------------------------------------------------------------

    def do_link_household(self, tenant: Any, args: dict[str, Any], actor: str | None
                          ) -> dict[str, Any]:
        link = getattr(self.provisioner, "link_household", None)
        if link is None:
            raise Unsupported("the provisioner cannot link household members")
        link(tenant.name, tenant.codes[args["household"]], tenant.codes[args["member"]],
             args["role"])
        return {"household": args["household"], "member": args["member"], "role": args["role"]}

    # --- consent, eligibility, decisions ----------------------------------------------------------

    def do_scenarios(self, tenant: Any, args: dict[str, Any], actor: str | None
                     ) -> dict[str, Any]:
        rules = self._call(tenant, "GET", "/scenarios", actor)
        return {r["scenario"]: {"provider": r["provider"], "benefit": r["benefit"],
                                "mode": r["mode"],
                                "eligibility": {**r["eligibility"], "min_score": _text(
                                    r["eligibility"]["min_score"])},
                                "use_effect": r["use_effect"]} for r in rules}

    def do_grant_consent(self, tenant: Any, args: dict[str, Any], actor: str | None
                         ) -> dict[str, Any]:
        return self._consent(tenant, args, actor, "")

    def do_withdraw_consent(self, tenant: Any, args: dict[str, Any], actor: str | None
                            ) -> dict[str, Any]:
        return self._consent(tenant, args, actor, "/withdraw")

    def _consent(self, tenant: Any, args: dict[str, Any], actor: str | None, suffix: str
                 ) -> dict[str, Any]:
        found = self._call(tenant, "POST", f"/scenarios/{args['scenario']}/consent{suffix}",
                           actor, {"subject": self._ref(tenant, actor, args.get("subject"))})
        return {"scenario": found["scenario"], "subject": self._name(tenant, found["subject"]),
                "granted": found["granted"], "given_by": self._name(tenant, found["given_by"])}

    def do_eligibility(self, tenant: Any, args: dict[str, Any], actor: str | None
                       ) -> dict[str, Any]:
        code = tenant.codes.get(args["subject"], f"unknown-{args['subject']}")
        found: dict[str, Any] = self._call(
            tenant, "GET", f"/scenarios/{args['scenario']}/eligibility/{code}", actor)
        return found

    def do_decision(self, tenant: Any, args: dict[str, Any], actor: str | None
                    ) -> dict[str, Any]:
        found = self._call(tenant, "GET", f"/scenarios/decisions/{args['decision']}", actor)
        return {"scenario": found["scenario"], "kind": found["kind"],
                "subject": self._name(tenant, found["subject_id"]),
                "score": _text(found["score_value"]), "method": found["method"],
                "method_version": found["method_version"], "rule_version": found["rule_version"],
                "inputs": found["inputs"], "eligible": found["result"].get("eligible")}

    def do_replay_decision(self, tenant: Any, args: dict[str, Any], actor: str | None
                           ) -> dict[str, Any]:
        found = self._call(tenant, "GET", f"/scenarios/decisions/{args['decision']}/replay",
                           actor)
        return {"identical": found["identical"], "differences": found["differences"]}

    # --- bank VIP ------------------------------------------------------------------------------------

    def do_vip_code(self, tenant: Any, args: dict[str, Any], actor: str | None
                    ) -> dict[str, Any]:
        found = self._call(tenant, "POST", "/bank-vip/code", actor, {})
        return {"token": found["token"], "benefit": found["benefit"],
                "valid_until": found["valid_until"], "decision": found["decision_id"]}

    def do_verify_vip_code(self, tenant: Any, args: dict[str, Any], actor: str | None
                           ) -> dict[str, Any]:
        found = self._call(tenant, "POST", "/bank-vip/verify", actor, {"token": args["token"]})
        found.pop("expires_at", None)
        return dict(found)

    # --- hospital priority -----------------------------------------------------------------------------

    def do_book_slot(self, tenant: Any, args: dict[str, Any], actor: str | None
                     ) -> dict[str, Any]:
        body = {"department": args["department"], "day": str(args["day"]),
                "subject": self._ref(tenant, actor, args.get("subject"))}
        return self._booking(tenant, self._call(tenant, "POST", "/hospital/bookings", actor, body))

    def do_cancel_booking(self, tenant: Any, args: dict[str, Any], actor: str | None
                          ) -> dict[str, Any]:
        return self._booking(tenant, self._call(
            tenant, "POST", f"/hospital/bookings/{args['booking']}/cancel", actor,
            {"reason": args.get("reason", "")}))

    def do_slot_code(self, tenant: Any, args: dict[str, Any], actor: str | None
                     ) -> dict[str, Any]:
        found = self._call(tenant, "POST", f"/hospital/bookings/{args['booking']}/code", actor, {})
        return {"token": found["token"]}

    def do_verify_slot_code(self, tenant: Any, args: dict[str, Any], actor: str | None
                            ) -> dict[str, Any]:
        found = self._call(tenant, "POST", "/hospital/verify", actor,
                           {"token": args["token"], "hospital": args.get("hospital")})
        found.pop("expires_at", None)
        return dict(found)

    def _booking(self, tenant: Any, found: dict[str, Any]) -> dict[str, Any]:
        return {"id": found["id"], "subject": self._name(tenant, found["subject"]),
                "department": found["department"], "day": found["day"], "state": found["state"],
                "token": found["token"], "decision": found["decision_id"]}

    # --- school places ------------------------------------------------------------------------------

    def do_open_round(self, tenant: Any, args: dict[str, Any], actor: str | None
                      ) -> dict[str, Any]:
        return self._round(self._call(tenant, "POST", "/school-place/rounds", actor, args))

    def do_round(self, tenant: Any, args: dict[str, Any], actor: str | None
                 ) -> dict[str, Any]:
        return self._round(self._request(
            "GET", f"{self._t(tenant)}/school-place/rounds/{args['round']}", None))

    def do_apply_round(self, tenant: Any, args: dict[str, Any], actor: str | None
                       ) -> dict[str, Any]:
        found = self._call(tenant, "POST", f"/school-place/rounds/{args['round']}/applications",
                           actor, {"child": self._ref(tenant, None, args["child"]),
                                   "upgrade": args["upgrade"]})
        return {"id": found["id"], "child": self._name(tenant, found["child"]),
                "upgrade": found["upgrade"]}

    def do_draw_round(self, tenant: Any, args: dict[str, Any], actor: str | None
                      ) -> dict[str, Any]:
        return self._round(self._call(
            tenant, "POST", f"/school-place/rounds/{args['round']}/draw", actor, {}))

    def do_publish_round(self, tenant: Any, args: dict[str, Any], actor: str | None
                         ) -> dict[str, Any]:
        return self._list(self._call(
            tenant, "POST", f"/school-place/rounds/{args['round']}/publish", actor, {}))

    def do_round_list(self, tenant: Any, args: dict[str, Any], actor: str | None
                      ) -> dict[str, Any]:
        return self._list(self._request(
            "GET", f"{self._t(tenant)}/school-place/rounds/{args['round']}/list", None))

    def do_object_round(self, tenant: Any, args: dict[str, Any], actor: str | None
                        ) -> dict[str, Any]:
        found = self._call(tenant, "POST", f"/school-place/rounds/{args['round']}/objections",
                           actor, {"upgrade": args["upgrade"], "rank": int(args["rank"]),
                                   "grounds": args.get("grounds", "")})
        return {"id": found["id"], "state": found["state"]}

    def do_decide_round_objection(self, tenant: Any, args: dict[str, Any], actor: str | None
                                  ) -> dict[str, Any]:
        found = self._call(tenant, "POST",
                           f"/school-place/objections/{args['objection']}/decision", actor,
                           {"upheld": bool(args["upheld"]), "reason": args.get("reason", "")})
        return {"id": found["id"], "state": found["state"]}

    def do_close_round(self, tenant: Any, args: dict[str, Any], actor: str | None
                       ) -> dict[str, Any]:
        return self._list(self._call(
            tenant, "POST", f"/school-place/rounds/{args['round']}/close", actor, {}))

    def do_replay_round(self, tenant: Any, args: dict[str, Any], actor: str | None
                        ) -> dict[str, Any]:
        reports = self._call(tenant, "GET", f"/school-place/rounds/{args['round']}/replay", actor)
        return {"decisions": len(reports), "kinds": sorted({r["kind"] for r in reports}),
                "identical": all(r["identical"] for r in reports)}

    def _round(self, found: dict[str, Any]) -> dict[str, Any]:
        return {"id": found["id"], "state": found["state"], "quotas": found["quotas"],
                "seed_sha256": found["seed_sha256"], "seed": found["seed"]}

    def _list(self, found: dict[str, Any]) -> dict[str, Any]:
        return {"final": found["final"], "seed": found["seed"],
                "entries": [{"rank": e["rank"], "name": e["name"], "upgrade": e["slot"],
                             "score": e["score"], "selected": e["selected"]}
                            for e in found["entries"]]}
