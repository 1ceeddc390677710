"""Deliberately broken implementations: wrappers over an in-process adapter (jifen's by default)
that each break one rule. The suite must fail each on its clause; ``conformance/tests`` proves
it, like the W3C suites' ``fake-bad`` implementations. Use one with
``--jf-adapter jifen_conformance.broken:<name>``.
"""

from __future__ import annotations

import threading
import time
import uuid
from datetime import datetime
from typing import Any

from jifen_conformance.driver import ActionError, Implementation, SubjectSpec, Tenant
from jifen_conformance.drivers.inprocess import DEFAULT_ADAPTER, load_object


class Wrapper:
    """Delegates everything to the wrapped adapter; subclasses override ``act``."""

    def __init__(self, inner: str = DEFAULT_ADAPTER, **options: str) -> None:
        self.inner: Any = load_object(inner)(**options)

    def implementation(self) -> Implementation:
        found: Implementation = self.inner.implementation()
        found.name = f"{type(self).__name__} (broken wrapper over {found.name})"
        return found

    def create_tenant(self, config: dict[str, Any], subjects: list[SubjectSpec]) -> Tenant:
        tenant: Tenant = self.inner.create_tenant(config, subjects)
        return tenant

    def act(self, tenant: Tenant, action: str, args: dict[str, Any], actor: str | None) -> Any:
        return self.inner.act(tenant, action, args, actor)

    def set_clock(self, when: datetime) -> None:
        self.inner.set_clock(when)

    def close(self) -> None:
        self.inner.close()


class DoubleAwardOnRetry(Wrapper):
    """Ignores idempotency keys: a retried write is performed again (JF-LED-3)."""

    def act(self, tenant: Tenant, action: str, args: dict[str, Any], actor: str | None) -> Any:
        if action in ("issue", "submit_claim", "spend") and "key" in args:
            args = {**args, "key": f"{args['key']}-{uuid.uuid4().hex}"}
        return super().act(tenant, action, args, actor)


class OverdrawUnderConcurrency(Wrapper):
    """Checks the balance, then spends without holding it: concurrent spends pass the check,
    and the refused ones are reported as done (JF-LED-4)."""

    def act(self, tenant: Tenant, action: str, args: dict[str, Any], actor: str | None) -> Any:
        if action != "spend":
            return super().act(tenant, action, args, actor)
        balance = super().act(tenant, "balance", {"subject": args["subject"],
                                                  "kind": "material"}, None)
        if balance["minor"] < args["amount"]:
            raise ActionError("ledger.insufficient_balance", "not enough points")
        time.sleep(0.05)  # the window in which another spend passes the same check
        try:
            return super().act(tenant, action, args, actor)
        except ActionError:
            return {"transaction": str(uuid.uuid4())}  # acknowledged, never posted


class SkipNoticePeriod(Wrapper):
    """Posts an approved award at once instead of after its public notice (JF-EARN-3)."""

    def act(self, tenant: Tenant, action: str, args: dict[str, Any], actor: str | None) -> Any:
        result = super().act(tenant, action, args, actor)
        if action == "approve" and result.get("kind") == "moral" and result.get("amount"):
            super().act(tenant, "issue", {"subject": result["subject"], "kind": "moral",
                                          "amount": result["amount"],
                                          "key": f"early-{result['id']}"}, None)
        return result


class LeakOtherResidentsData(Wrapper):
    """Answers balance, history and score queries for any subject, whoever asks (JF-PRIV-2)."""

    def act(self, tenant: Tenant, action: str, args: dict[str, Any], actor: str | None) -> Any:
        if action in ("balance", "history", "score"):
            actor = None
        return super().act(tenant, action, args, actor)


class FloatAmounts(Wrapper):
    """Takes float amounts (rounding them) and reports amounts as floats (JF-KIND-1, JF-KIND-2)."""

    def act(self, tenant: Tenant, action: str, args: dict[str, Any], actor: str | None) -> Any:
        if action == "issue":
            amount = float(args["amount"])
            args = {**args, "amount": str(round(amount)) if args["kind"] == "material"
                    else f"{round(amount, 1):.1f}"}
        result = super().act(tenant, action, args, actor)
        if action == "balance":
            scale = 10 if result["kind"] == "moral" else 1
            result = {**result, "minor": float(result["minor"]),
                      "amount": float(result["minor"]) / scale}
        return result


class PayCodeAcceptedTwice(Wrapper):
    """Accepts a used pay code again (JF-CODE-1)."""

    def __init__(self, inner: str = DEFAULT_ADAPTER, **options: str) -> None:
        super().__init__(inner, **options)
        self._seen: dict[str, Any] = {}
        self._lock = threading.Lock()

    def act(self, tenant: Tenant, action: str, args: dict[str, Any], actor: str | None) -> Any:
        if action == "use_code":
            with self._lock:
                if args["token"] in self._seen:
                    return self._seen[args["token"]]
            result = super().act(tenant, action, args, actor)
            with self._lock:
                self._seen[args["token"]] = result
            return result
        return super().act(tenant, action, args, actor)


class RefundsAfterTheWindow(Wrapper):
    """Has no refund window: a refund the rules refuse as too late is reported as done (and
    returns nothing to the resident) (JF-RED-4)."""

    def act(self, tenant: Tenant, action: str, args: dict[str, Any], actor: str | None) -> Any:
        try:
            return super().act(tenant, action, args, actor)
        except ActionError as exc:
            if action != "refund" or exc.code != "redemption.refund_window_closed":
                raise
            return {"redemption": args["redemption"], "refund_fen": args.get("refund_fen"),
                    "points": 0}


class UncappedMerchants(Wrapper):
    """Takes any deductible share for a merchant, clamping a share over 100 % silently
    instead of refusing it (JF-RED-1)."""

    def act(self, tenant: Tenant, action: str, args: dict[str, Any], actor: str | None) -> Any:
        if action == "enrol_merchant" and int(args.get("cap_percent", 0)) > 100:
            args = {**args, "cap_percent": 100}
        return super().act(tenant, action, args, actor)


class ProviderLearnsTheScore(Wrapper):
    """Tells the bank or hospital that verifies a benefit code the resident's score too
    (JF-CODE-2)."""

    def act(self, tenant: Tenant, action: str, args: dict[str, Any], actor: str | None) -> Any:
        result = super().act(tenant, action, args, actor)
        if action in ("verify_vip_code", "verify_slot_code") and isinstance(result, dict):
            result = {**result, "score": "12.0"}
        return result


class SurveyPaysEveryAnswer(Wrapper):
    """Pays a survey's reward for every answer: a resident's second answer is accepted and
    rewarded again (JF-ENG-1)."""

    def act(self, tenant: Tenant, action: str, args: dict[str, Any], actor: str | None) -> Any:
        try:
            return super().act(tenant, action, args, actor)
        except ActionError as exc:
            if action != "answer_survey" or exc.code != "survey.already_answered":
                raise
            paid = super().act(tenant, "issue", {"subject": actor, "kind": "material",
                                                 "amount": "50", "key": uuid.uuid4().hex}, None)
            return {"reward": 50, "rewarded": True, "not_rewarded": None, **paid}


#: Each broken implementation and the clauses the suite must fail it on (exactly these).
EXPECTED_FAILURES: dict[str, set[str]] = {
    "DoubleAwardOnRetry": {"JF-LED-3"},
    "OverdrawUnderConcurrency": {"JF-LED-4"},
    "SkipNoticePeriod": {"JF-EARN-3"},
    "LeakOtherResidentsData": {"JF-PRIV-2"},
    "FloatAmounts": {"JF-KIND-1", "JF-KIND-2"},
    "PayCodeAcceptedTwice": {"JF-CODE-1"},
    "RefundsAfterTheWindow": {"JF-RED-4"},
    "UncappedMerchants": {"JF-RED-1"},
    "ProviderLearnsTheScore": {"JF-SCN-2", "JF-CODE-2"},
    "SurveyPaysEveryAnswer": {"JF-ENG-1"},
}

#: The profiles to run each broken implementation under (core unless named here); it must lose
#: the first one's verdict.
PROFILE_BROKEN = {"PayCodeAcceptedTwice": "redemption", "RefundsAfterTheWindow": "redemption",
                  "UncappedMerchants": "redemption",
                  "ProviderLearnsTheScore": "scenarios,redemption",  # JF-CODE-2 is redemption's
                  "SurveyPaysEveryAnswer": "governance"}


class ClaimsCoreOnly(Wrapper):
    """Not broken: claims only the core profile (to show that unclaimed profiles are reported
    inapplicable, never passed)."""

    def implementation(self) -> Implementation:
        found = super().implementation()
        found.profiles = ["core"]
        return found
