"""The governance profile's actions for jifen's in-process adapter (mixed into `JifenAdapter`).

Each action calls the plugin's HTTP handler function directly with the caller's
`jifen.api.deps.Context` (an operator's when the step names no actor), so the in-process
adapter applies exactly the role rules of the HTTP endpoints.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any


class GovernanceActions:
    """``do_<action>`` methods of the governance profile; see ``docs/conformance/case-format.md``."""

    platform: Any  # and the adapter's subject(), _context() and _name()

    def _ctx(self, tenant: Any, actor: str | None) -> Any:
        """The caller's context; with no actor, an operator's (and auditor's)."""
        if actor is not None:
            return self._context(tenant, actor)
        from jifen.api.auth import Principal, Role
        from jifen.api.deps import Context

        roles = frozenset({Role("operator"), Role("auditor")})
        return Context(self.platform, Principal(tenant.code, tenant.id, "conformance-operator",
                                                None, roles), tenant.id)

    def _code(self, tenant: Any, name: str) -> str:
        code: str = self.subject(tenant, name).code
        return code

    # --- surveys (JF-ENG-1) ----------------------------------------------------------------------

    def do_publish_survey(self, tenant: Any, args: dict[str, Any], actor: str | None
                          ) -> dict[str, Any]:
        from jifen_surveys import api, model

        found = api.publish_survey(model.SurveyDefinition.model_validate(args),
                                   self._ctx(tenant, actor))
        return survey_view(found.model_dump(mode="json"))

    def do_answer_survey(self, tenant: Any, args: dict[str, Any], actor: str | None
                         ) -> dict[str, Any]:
        from jifen_surveys import api

        found = api.answer_survey(args["survey"], api.AnswersIn(answers=args["answers"]),
                                  self._ctx(tenant, actor),
                                  idempotency_key=str(args.get("key") or uuid.uuid4().hex))
        return response_view(found.model_dump(mode="json"))

    def do_survey_results(self, tenant: Any, args: dict[str, Any], actor: str | None
                          ) -> dict[str, Any]:
        from jifen_surveys import api

        found = api.survey_results(args["survey"], self._ctx(tenant, actor))
        return results_view(found.model_dump(mode="json"))

    # --- grid-worker evaluation (JF-GRID-1, JF-GRID-2) -------------------------------------------

    def do_grid_formula(self, tenant: Any, args: dict[str, Any], actor: str | None
                        ) -> dict[str, Any]:
        from jifen_grid_evaluation import api

        return formula_view(api.formula(self._ctx(tenant, actor)).model_dump(mode="json"))

    def do_rate_grid_worker(self, tenant: Any, args: dict[str, Any], actor: str | None
                            ) -> dict[str, Any]:
        from jifen_grid_evaluation import api

        body = api.RatingIn(worker=self._worker_code(tenant, args["worker"]),
                            rating=args["rating"])
        found = api.rate(body, self._ctx(tenant, actor))
        return {"worker": args["worker"], "month": found.month, "rating": found.rating}

    def do_record_grid_metrics(self, tenant: Any, args: dict[str, Any], actor: str | None
                               ) -> dict[str, Any]:
        from jifen_grid_evaluation import api

        body = api.MetricsIn(worker=self._code(tenant, args["worker"]), month=args["month"],
                             metrics=args.get("metrics", {}))
        found = api.record_metrics(body, self._ctx(tenant, actor))
        return {"worker": args["worker"], "month": found.month,
                "metrics": found.metrics.model_dump()}

    def do_evaluate_grid_month(self, tenant: Any, args: dict[str, Any], actor: str | None
                               ) -> dict[str, Any]:
        from jifen_grid_evaluation import api

        found = api.evaluate(api.MonthIn(month=args["month"]), self._ctx(tenant, actor))
        return {"evaluated": [self._evaluation(tenant, e.model_dump(mode="json"))
                              for e in found.evaluated],
                "already_evaluated": found.already_evaluated}

    def do_grid_evaluations(self, tenant: Any, args: dict[str, Any], actor: str | None
                            ) -> list[dict[str, Any]]:
        from jifen_grid_evaluation import api

        worker = args.get("worker")
        found = api.evaluations(self._ctx(tenant, actor), args["month"],
                                None if worker is None else self._code(tenant, worker),
                                bool(args.get("all_revisions", False)))
        return [self._evaluation(tenant, e.model_dump(mode="json")) for e in found]

    def do_correct_grid_evaluation(self, tenant: Any, args: dict[str, Any], actor: str | None
                                   ) -> dict[str, Any]:
        from jifen_grid_evaluation import api

        body = api.CorrectionIn(worker=self._code(tenant, args["worker"]), month=args["month"],
                                metrics=args.get("metrics", {}), reason=args.get("reason", ""))
        found = api.correct(body, self._ctx(tenant, actor)).model_dump(mode="json")
        return {"previous": self._evaluation(tenant, found["previous"]),
                "current": self._evaluation(tenant, found["current"]),
                "reversal": found["reversal_id"]}

    def _worker_code(self, tenant: Any, name: str) -> str:
        """A case's subject name, or (for a worker the case does not know) the name itself."""
        return self._code(tenant, name) if name in tenant.subjects else name

    def _evaluation(self, tenant: Any, found: dict[str, Any]) -> dict[str, Any]:
        return evaluation_view(found, self._name(tenant, found["worker_id"]))

    # --- the problem list (JF-ORD-1..3) ----------------------------------------------------------

    def do_set_remit(self, tenant: Any, args: dict[str, Any], actor: str | None
                     ) -> dict[str, Any]:
        from jifen_order_grabbing import api

        found = api.set_remit(self._code(tenant, args["department"]),
                              api.RemitIn(categories=args["categories"]), self._ctx(tenant, actor))
        return {"department": args["department"], "categories": found.categories}

    def do_post_order(self, tenant: Any, args: dict[str, Any], actor: str | None
                      ) -> dict[str, Any]:
        from jifen_order_grabbing import api

        body = dict(args)
        key = str(body.pop("key", None) or uuid.uuid4().hex)
        if body.get("reporter"):
            body["reporter"] = self._code(tenant, body["reporter"])
        found = api.post_order(api.OrderIn.model_validate(body), self._ctx(tenant, actor),
                               idempotency_key=key)
        return self._order(tenant, found)

    def do_order(self, tenant: Any, args: dict[str, Any], actor: str | None) -> dict[str, Any]:
        from jifen_order_grabbing import api

        return self._order(tenant, api.get_order(uuid.UUID(args["order"]),
                                                 self._ctx(tenant, actor)))

    def do_orders(self, tenant: Any, args: dict[str, Any], actor: str | None
                  ) -> list[dict[str, Any]]:
        from jifen_order_grabbing import api
        from jifen_order_grabbing.models import OrderState

        state = args.get("state")
        found = api.list_orders(self._ctx(tenant, actor),
                                None if state is None else OrderState(state))
        return [self._order(tenant, o) for o in found]

    def do_grab_order(self, tenant: Any, args: dict[str, Any], actor: str | None
                      ) -> dict[str, Any]:
        return self._step(tenant, "grab", args, actor)

    def do_complete_order(self, tenant: Any, args: dict[str, Any], actor: str | None
                          ) -> dict[str, Any]:
        from jifen_order_grabbing import api

        return self._step(tenant, "complete", args, actor,
                          api.EvidenceIn(evidence=args.get("evidence", "")))

    def do_confirm_order(self, tenant: Any, args: dict[str, Any], actor: str | None
                         ) -> dict[str, Any]:
        return self._step(tenant, "confirm", args, actor)

    def do_object_to_order(self, tenant: Any, args: dict[str, Any], actor: str | None
                           ) -> dict[str, Any]:
        from jifen_order_grabbing import api

        return self._step(tenant, "object_to", args, actor,
                          api.ReasonIn(reason=args.get("reason", "")))

    def do_verify_order(self, tenant: Any, args: dict[str, Any], actor: str | None
                        ) -> dict[str, Any]:
        return self._step(tenant, "verify", args, actor)

    def do_send_back_order(self, tenant: Any, args: dict[str, Any], actor: str | None
                           ) -> dict[str, Any]:
        from jifen_order_grabbing import api

        return self._step(tenant, "send_back", args, actor,
                          api.ReasonIn(reason=args.get("reason", "")))

    def do_reopen_overdue_orders(self, tenant: Any, args: dict[str, Any], actor: str | None
                                 ) -> list[dict[str, Any]]:
        from jifen_order_grabbing import api

        return [self._order(tenant, o) for o in api.reopen_overdue(self._ctx(tenant, actor))]

    def do_order_ranking(self, tenant: Any, args: dict[str, Any], actor: str | None
                         ) -> list[dict[str, Any]]:
        from datetime import date

        from jifen_order_grabbing import api

        found = api.ranking(self._ctx(tenant, actor), date.fromisoformat(str(args["since"])),
                            date.fromisoformat(str(args["until"])))
        return [ranking_view(r.model_dump(mode="json"), self._name(tenant, r.department_id))
                for r in found]

    def _step(self, tenant: Any, handler: str, args: dict[str, Any], actor: str | None,
              *body: Any) -> dict[str, Any]:
        from jifen_order_grabbing import api

        found = getattr(api, handler)(uuid.UUID(args["order"]), *body, self._ctx(tenant, actor))
        return self._order(tenant, found)

    def _order(self, tenant: Any, found: Any) -> dict[str, Any]:
        data = found.model_dump(mode="json")
        return order_view(data, self._name(tenant, data["department_id"]),
                          self._name(tenant, data["reporter_id"]))


# --- normalised views, shared with the http driver ------------------------------------------------

def survey_view(found: dict[str, Any]) -> dict[str, Any]:
    return {k: found[k] for k in ("code", "kind", "reward", "max_rewarded", "pass_mark")}


def response_view(found: dict[str, Any]) -> dict[str, Any]:
    return {"survey": found["survey_code"], "reward": found["reward"],
            "rewarded": found["reward"] > 0, "not_rewarded": found["not_rewarded"],
            "passed": found["passed"], "correct": found["correct"],
            "transaction": found["transaction_id"]}


def results_view(found: dict[str, Any]) -> dict[str, Any]:
    return {"responses": found["responses"], "rewarded": found["rewarded"],
            "passed": found["passed"],
            "counts": {q["id"]: q["counts"] for q in found["questions"]}}


def formula_view(found: dict[str, Any]) -> dict[str, Any]:
    grades = found["formula"]["grades"]
    return {"version": found["version"],
            "grades": [{"grade": g["grade"], "min_score": _decimal(g["min_score"]),
                        "points": g["points"]} for g in grades]}


def evaluation_view(found: dict[str, Any], worker: str | None) -> dict[str, Any]:
    return {"worker": worker, "month": found["month"], "revision": found["revision"],
            "state": found["state"], "score": _decimal(found["score"]), "grade": found["grade"],
            "reward": found["reward"], "transaction": found["transaction_id"],
            "metrics": found["metrics"]}


def order_view(found: dict[str, Any], department: str | None, reporter: str | None
               ) -> dict[str, Any]:
    view = {k: found[k] for k in ("id", "state", "category", "community", "grid", "source",
                                  "reward", "evidence", "reporter_response", "reopened",
                                  "send_backs")}
    return {**view, "department": department, "reporter": reporter,
            "transaction": found["transaction_id"]}


def ranking_view(found: dict[str, Any], department: str | None) -> dict[str, Any]:
    return {"rank": found["rank"], "department": department, "points": found["points"],
            "verified": found["verified"], "lapsed": found["lapsed"]}


def _decimal(value: Any) -> str:
    """A score as text with one decimal place (``"92.5"``, ``"90.0"``)."""
    return f"{Decimal(str(value)):.1f}"
