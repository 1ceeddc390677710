"""The redemption profile's actions over HTTP (mixed into `HttpDriver`): the merchant endpoints
``/v1/tenants/{tenant}/merchants/…`` and ``/v1/tenants/{tenant}/settlements`` (see
``docs/plugins/merchant-redemption.md``). The result shapes are built here from the endpoints'
JSON; jifen's in-process adapter builds them with the same functions."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jifen_conformance.drivers.http import HttpTenant


class HttpRedemptionActions:
    """``do_<action>`` methods of the redemption profile, over the plugins' HTTP endpoints."""

    def _request(self, method: str, path: str, token: str | None, *, json: Any = None,
                 params: dict[str, Any] | None = None, idempotent: bool = False) -> Any:
        raise NotImplementedError  # HttpDriver's

    def _token(self, tenant: HttpTenant, actor: str | None) -> str:
        raise NotImplementedError  # HttpDriver's

    def _shop(self, tenant: HttpTenant, args: dict[str, Any], rest: str = "") -> str:
        return f"/v1/tenants/{tenant.name}/merchants/{tenant.codes[args['merchant']]}{rest}"

    def _write(self, tenant: HttpTenant, path: str, actor: str | None, body: dict[str, Any],
               key: Any = None) -> Any:
        """A POST with the given ``key`` as its Idempotency-Key (a fresh one if none)."""
        client = self.client  # type: ignore[attr-defined]
        response = client.post(path, json=body, headers={
            "Authorization": f"Bearer {self._token(tenant, actor)}",
            "Idempotency-Key": str(key or uuid.uuid4().hex)})
        if response.status_code >= 400:
            from jifen_conformance.driver import ActionError

            problem = response.json() if response.content else {}
            raise ActionError(str(problem.get("code") or f"http.{response.status_code}"),
                              str(problem.get("detail", "")), response.status_code)
        return response.json()

    def do_enrol_merchant(self, tenant: HttpTenant, args: dict[str, Any], actor: str | None
                          ) -> dict[str, Any]:
        body = {"subject": tenant.codes[args["merchant"]],
                **{k: args[k] for k in ("category", "cap_percent", "refund_window_days")
                   if k in args}}
        found = self._write(tenant, f"/v1/tenants/{tenant.name}/merchants", actor, body)
        return merchant_view(found, tenant.names)

    def do_merchant(self, tenant: HttpTenant, args: dict[str, Any], actor: str | None
                    ) -> dict[str, Any]:
        found = self._request("GET", self._shop(tenant, args), self._token(tenant, actor))
        return merchant_view(found, tenant.names)

    def do_quote(self, tenant: HttpTenant, args: dict[str, Any], actor: str | None
                 ) -> dict[str, Any]:
        body = {"bill_fen": args["bill_fen"], "token": args.get("token")}
        found: dict[str, Any] = self._write(tenant, self._shop(tenant, args, "/quotes"), actor,
                                            body)
        return found

    def do_redeem(self, tenant: HttpTenant, args: dict[str, Any], actor: str | None
                  ) -> dict[str, Any]:
        body = {k: args[k] for k in ("bill_fen", "token", "points") if args.get(k) is not None}
        found = self._write(tenant, self._shop(tenant, args, "/redemptions"), actor, body,
                            args.get("key"))
        return redemption_view(found, tenant.names)

    def do_refund(self, tenant: HttpTenant, args: dict[str, Any], actor: str | None
                  ) -> dict[str, Any]:
        body = {} if args.get("refund_fen") is None else {"refund_fen": args["refund_fen"]}
        path = self._shop(tenant, args, f"/redemptions/{args['redemption']}/refund")
        found = self._write(tenant, path, actor, body, args.get("key"))
        return {"redemption": found["redemption_id"], "refund_fen": found["refund_fen"],
                "points": found["points"]}

    def do_redemptions(self, tenant: HttpTenant, args: dict[str, Any], actor: str | None
                       ) -> list[dict[str, Any]]:
        found = self._request("GET", self._shop(tenant, args, "/redemptions"),
                              self._token(tenant, actor))
        return [redemption_view(r, tenant.names) for r in found]

    def do_settle(self, tenant: HttpTenant, args: dict[str, Any], actor: str | None
                  ) -> dict[str, Any]:
        body = {} if args.get("until") is None else {"until": str(args["until"])}
        found = self._write(tenant, f"/v1/tenants/{tenant.name}/settlements", actor, body)
        return settlement_view(found, tenant.names)


# --- the results' shapes (the http driver builds the same from the JSON it receives) ------------

def merchant_view(found: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    return {"merchant": names.get(found["code"], found["code"]), "category": found["category"],
            "cap_percent": found["cap_percent"], "refund_window_days": found["refund_window_days"],
            "settlement_points": found["settlement_points"]}


def redemption_view(found: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    keys = ("id", "bill_fen", "cap_percent", "cap_fen", "points", "value_fen", "due_fen",
            "refunded_fen", "refunded_points", "pools")
    return {**{k: found[k] for k in keys}, "merchant": names.get(found["merchant"],
                                                                  found["merchant"]),
            "settled": found["settled_at"] is not None}


def settlement_view(found: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    lines = sorted(({"pool": line["pool"], "merchant": names.get(line["merchant"],
                                                                 line["merchant"]),
                     "points": line["points"], "fen_owed": line["fen_owed"],
                     "yuan_owed": line["yuan_owed"]} for line in found["lines"]),
                   key=lambda line: (line["pool"], line["merchant"]))
    return {"redemptions": found["redemptions"], "points": found["points"],
            "fen_owed": found["fen_owed"], "yuan_owed": found["yuan_owed"], "lines": lines}
