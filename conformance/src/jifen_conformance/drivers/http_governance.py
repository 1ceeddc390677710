"""The governance profile's actions over HTTP (mixed into `HttpDriver`): the endpoints under
``/v1/tenants/{tenant}/surveys``, ``…/grid`` and ``…/orders`` (``docs/reference/api.md``)."""

from __future__ import annotations

import uuid
from typing import Any

from jifen_conformance.adapters.jifen_governance import (
    evaluation_view,
    formula_view,
    order_view,
    ranking_view,
    response_view,
    results_view,
    survey_view,
)
from jifen_conformance.driver import ActionError


class HttpGovernanceActions:
    """``do_<action>`` methods of the governance profile, over the plugins' HTTP endpoints."""

    client: Any  # and the driver's _request(), _t(), _token() and _name()

    def _keyed(self, method: str, path: str, token: str, body: Any, key: Any) -> Any:
        """A write with the case's ``key`` as its Idempotency-Key (a fresh one without)."""
        response = self.client.request(method, path, json=body, headers={
            "Authorization": f"Bearer {token}", "Idempotency-Key": str(key or uuid.uuid4().hex)})
        if response.status_code >= 400:
            problem = response.json()
            raise ActionError(str(problem.get("code")), str(problem.get("detail")),
                              response.status_code)
        return response.json()

    def _gov(self, tenant: Any, method: str, path: str, actor: str | None, body: Any = None,
             **params: Any) -> Any:
        write = method != "GET"
        return self._request(method, f"{self._t(tenant)}{path}",
                             self._token(tenant, actor),
                             json=body if write else None, idempotent=write,
                             params={k: v for k, v in params.items() if v is not None} or None)

    # --- surveys (JF-ENG-1) ----------------------------------------------------------------------

    def do_publish_survey(self, tenant: Any, args: dict[str, Any], actor: str | None
                          ) -> dict[str, Any]:
        return survey_view(self._gov(tenant, "POST", "/surveys", actor, args))

    def do_answer_survey(self, tenant: Any, args: dict[str, Any], actor: str | None
                         ) -> dict[str, Any]:
        found = self._keyed("POST", f"{self._t(tenant)}/surveys/{args['survey']}/responses",
                            self._token(tenant, actor),
                            {"answers": args["answers"]}, args.get("key"))
        return response_view(found)

    def do_survey_results(self, tenant: Any, args: dict[str, Any], actor: str | None
                          ) -> dict[str, Any]:
        return results_view(self._gov(tenant, "GET", f"/surveys/{args['survey']}/results",
                                      actor))

    # --- grid-worker evaluation (JF-GRID-1, JF-GRID-2) -------------------------------------------

    def do_grid_formula(self, tenant: Any, args: dict[str, Any], actor: str | None
                        ) -> dict[str, Any]:
        return formula_view(self._gov(tenant, "GET", "/grid/formula", actor))

    def do_rate_grid_worker(self, tenant: Any, args: dict[str, Any], actor: str | None
                            ) -> dict[str, Any]:
        worker = tenant.codes.get(args["worker"], args["worker"])
        found = self._keyed("POST", f"{self._t(tenant)}/grid/ratings",
                            self._token(tenant, actor),
                            {"worker": worker, "rating": args["rating"]}, args.get("key"))
        return {"worker": args["worker"], "month": found["month"], "rating": found["rating"]}

    def do_record_grid_metrics(self, tenant: Any, args: dict[str, Any], actor: str | None
                               ) -> dict[str, Any]:
        found = self._gov(tenant, "POST", "/grid/metrics", actor, {
            "worker": tenant.codes[args["worker"]], "month": args["month"],
            "metrics": args.get("metrics", {})})
        return {"worker": args["worker"], "month": found["month"], "metrics": found["metrics"]}

    def do_evaluate_grid_month(self, tenant: Any, args: dict[str, Any], actor: str | None
                               ) -> dict[str, Any]:
        found = self._gov(tenant, "POST", "/grid/evaluations", actor, {"month": args["month"]})
        return {"evaluated": [self._evaluation(tenant, e) for e in found["evaluated"]],
                "already_evaluated": found["already_evaluated"]}

    def do_grid_evaluations(self, tenant: Any, args: dict[str, Any], actor: str | None
                            ) -> list[dict[str, Any]]:
        worker = args.get("worker")
        found = self._gov(tenant, "GET", "/grid/evaluations", actor, month=args["month"],
                          worker=None if worker is None else tenant.codes[worker],
                          all_revisions="true" if args.get("all_revisions") else None)
        return [self._evaluation(tenant, e) for e in found]

    def do_correct_grid_evaluation(self, tenant: Any, args: dict[str, Any], actor: str | None
                                   ) -> dict[str, Any]:
        found = self._gov(tenant, "POST", "/grid/corrections", actor, {
            "worker": tenant.codes[args["worker"]], "month": args["month"],
            "metrics": args.get("metrics", {}), "reason": args.get("reason", "")})
        return {"previous": self._evaluation(tenant, found["previous"]),
                "current": self._evaluation(tenant, found["current"]),
                "reversal": found["reversal_id"]}

    def _evaluation(self, tenant: Any, found: dict[str, Any]) -> dict[str, Any]:
        return evaluation_view(found, self._name(tenant, found["worker_id"]))

    # --- the problem list (JF-ORD-1..3) ----------------------------------------------------------

    def do_set_remit(self, tenant: Any, args: dict[str, Any], actor: str | None
                     ) -> dict[str, Any]:
        found = self._gov(tenant, "PUT", f"/orders/departments/{tenant.codes[args['department']]}"
                          "/remit", actor, {"categories": args["categories"]})
        return {"department": args["department"], "categories": found["categories"]}

    def do_post_order(self, tenant: Any, args: dict[str, Any], actor: str | None
                      ) -> dict[str, Any]:
        body = dict(args)
        key = body.pop("key", None)
        if body.get("reporter"):
            body["reporter"] = tenant.codes[body["reporter"]]
        found = self._keyed("POST", f"{self._t(tenant)}/orders",
                            self._token(tenant, actor), body, key)
        return self._order(tenant, found)

    def do_order(self, tenant: Any, args: dict[str, Any], actor: str | None) -> dict[str, Any]:
        return self._order(tenant, self._gov(tenant, "GET", f"/orders/{args['order']}", actor))

    def do_orders(self, tenant: Any, args: dict[str, Any], actor: str | None
                  ) -> list[dict[str, Any]]:
        found = self._gov(tenant, "GET", "/orders", actor, state=args.get("state"))
        return [self._order(tenant, o) for o in found]

    def do_grab_order(self, tenant: Any, args: dict[str, Any], actor: str | None
                      ) -> dict[str, Any]:
        return self._step(tenant, "grab", args, actor, {})

    def do_complete_order(self, tenant: Any, args: dict[str, Any], actor: str | None
                          ) -> dict[str, Any]:
        return self._step(tenant, "complete", args, actor,
                          {"evidence": args.get("evidence", "")})

    def do_confirm_order(self, tenant: Any, args: dict[str, Any], actor: str | None
                         ) -> dict[str, Any]:
        return self._step(tenant, "confirm", args, actor, {})

    def do_object_to_order(self, tenant: Any, args: dict[str, Any], actor: str | None
                           ) -> dict[str, Any]:
        return self._step(tenant, "object", args, actor, {"reason": args.get("reason", "")})

    def do_verify_order(self, tenant: Any, args: dict[str, Any], actor: str | None
                        ) -> dict[str, Any]:
        return self._step(tenant, "verify", args, actor, {})

    def do_send_back_order(self, tenant: Any, args: dict[str, Any], actor: str | None
                           ) -> dict[str, Any]:
        return self._step(tenant, "send-back", args, actor, {"reason": args.get("reason", "")})

    def do_reopen_overdue_orders(self, tenant: Any, args: dict[str, Any], actor: str | None
                                 ) -> list[dict[str, Any]]:
        return [self._order(tenant, o)
                for o in self._gov(tenant, "POST", "/orders/reopen-overdue", actor, {})]

    def do_order_ranking(self, tenant: Any, args: dict[str, Any], actor: str | None
                         ) -> list[dict[str, Any]]:
        found = self._gov(tenant, "GET", "/orders/ranking", actor, since=str(args["since"]),
                          until=str(args["until"]))
        return [ranking_view(r, self._name(tenant, r["department_id"]))
                for r in found]

    def _step(self, tenant: Any, step: str, args: dict[str, Any], actor: str | None,
              body: dict[str, Any]) -> dict[str, Any]:
        return self._order(tenant, self._gov(tenant, "POST", f"/orders/{args['order']}/{step}",
                                             actor, body))

    def _order(self, tenant: Any, found: dict[str, Any]) -> dict[str, Any]:
        return order_view(found, self._name(tenant, found["department_id"]),
                          self._name(tenant, found["reporter_id"]))
