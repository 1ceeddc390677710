"""The redemption profile's actions for jifen's in-process adapter (mixed into `JifenAdapter`).

Each action calls the merchant-redemption plugin's HTTP handler functions
(`jifen_merchant_redemption.api`) with the `Context` the HTTP layer would build for the actor,
so the in-process adapter and the http driver see the same rules and refusals.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from jifen_conformance.driver import ActionError
from jifen_conformance.drivers.http_redemption import (
    merchant_view,
    redemption_view,
    settlement_view,
)

if TYPE_CHECKING:
    from jifen_conformance.adapters.jifen import JifenTenant


class RedemptionActions:
    """``do_<action>`` methods of the redemption profile; see ``docs/conformance/case-format.md``."""

    platform: Any

    def _context(self, tenant: JifenTenant, actor: str) -> Any:
        raise NotImplementedError  # JifenAdapter's

    def _ctx(self, tenant: JifenTenant, actor: str | None) -> Any:
        """The actor's request context; ``None``: the operator."""
        from jifen.api.auth import Principal, Role
        from jifen.api.deps import Context

        if actor is not None:
            return self._context(tenant, actor)
        operator = Principal(tenant.code, tenant.id, "conformance-operator", None,
                             frozenset({Role("operator"), Role("auditor")}))
        return Context(self.platform, operator, tenant.id)

    def _code(self, tenant: JifenTenant, name: str) -> str:
        if name not in tenant.subjects:
            raise ActionError("not_found", f"the case names no subject {name!r}", 404)
        return str(tenant.subjects[name].code)

    def _by_code(self, tenant: JifenTenant) -> dict[str, str]:
        return {subject.code: name for name, subject in tenant.subjects.items()}

    def do_enrol_merchant(self, tenant: JifenTenant, args: dict[str, Any], actor: str | None
                          ) -> dict[str, Any]:
        from jifen_merchant_redemption import api

        body = api.MerchantIn(subject=self._code(tenant, args["merchant"]),
                              **{k: args[k] for k in ("category", "cap_percent",
                                                      "refund_window_days") if k in args})
        return merchant_view(api.enrol(body, self._ctx(tenant, actor)).model_dump(mode="json"),
                             self._by_code(tenant))

    def do_merchant(self, tenant: JifenTenant, args: dict[str, Any], actor: str | None
                    ) -> dict[str, Any]:
        from jifen_merchant_redemption import api

        found = api.terms(self._code(tenant, args["merchant"]), self._ctx(tenant, actor))
        return merchant_view(found.model_dump(mode="json"), self._by_code(tenant))

    def do_quote(self, tenant: JifenTenant, args: dict[str, Any], actor: str | None
                 ) -> dict[str, Any]:
        from jifen_merchant_redemption import api

        body = api.QuoteIn(bill_fen=args["bill_fen"], token=args.get("token"))
        found: dict[str, Any] = api.quote(self._code(tenant, args["merchant"]), body,
                                          self._ctx(tenant, actor)).model_dump(mode="json")
        return found

    def do_redeem(self, tenant: JifenTenant, args: dict[str, Any], actor: str | None
                  ) -> dict[str, Any]:
        from jifen_merchant_redemption import api

        body = api.RedeemIn(bill_fen=args["bill_fen"], token=args["token"],
                            points=args.get("points"))
        done = api.redeem(self._code(tenant, args["merchant"]), body, self._ctx(tenant, actor),
                          str(args.get("key") or uuid.uuid4().hex))
        return redemption_view(done.model_dump(mode="json"), self._by_code(tenant))

    def do_refund(self, tenant: JifenTenant, args: dict[str, Any], actor: str | None
                  ) -> dict[str, Any]:
        from jifen_merchant_redemption import api

        done = api.refund(self._code(tenant, args["merchant"]), uuid.UUID(args["redemption"]),
                          api.RefundIn(refund_fen=args.get("refund_fen")),
                          self._ctx(tenant, actor), str(args.get("key") or uuid.uuid4().hex))
        return {"redemption": str(done.redemption_id), "refund_fen": done.refund_fen,
                "points": done.points}

    def do_redemptions(self, tenant: JifenTenant, args: dict[str, Any], actor: str | None
                       ) -> list[dict[str, Any]]:
        from jifen_merchant_redemption import api

        found = api.redemptions(self._code(tenant, args["merchant"]), self._ctx(tenant, actor))
        names = self._by_code(tenant)
        return [redemption_view(r.model_dump(mode="json"), names) for r in found]

    def do_settle(self, tenant: JifenTenant, args: dict[str, Any], actor: str | None
                  ) -> dict[str, Any]:
        from jifen_merchant_redemption import api

        report = api.settle(api.SettleIn(until=args.get("until")), self._ctx(tenant, actor))
        return settlement_view(report.model_dump(mode="json"), self._by_code(tenant))
