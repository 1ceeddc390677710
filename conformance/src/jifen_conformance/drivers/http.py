"""The ``http`` driver: any implementation serving the standard's HTTP API (JF-API-1).

Settings (command line, or the ``--jf-credentials`` / ``--jf-config`` YAML file)::

    url: https://jifen.example.org        # base URL (--jf-url)
    profiles: [core, redemption]          # what the implementation claims
    capabilities: []                      # optional features (see the case format)
    provisioner: vendor_module:Provisioner  # or {command: [...]} (JSON over stdio)
    headers: {X-Api-Key: {env: VENDOR_KEY}} # extra headers; secrets by environment variable

Setting up tenants, subjects and roles is administration the standard's API does not cover,
so the vendor gives a *provisioner*: ``create_tenant(config, subjects)`` returning
``{"tenant": code, "operator_token": …, "subjects": {name: {"code", "id", "token"}}}``,
optionally ``run_jobs(tenant_code)`` (else jobs are left to the server's scheduler) and
``base_url`` (for a loopback server it starts itself). Everything else goes over HTTP with
bearer tokens, ``Idempotency-Key`` headers and RFC 9457 problem documents.
"""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

import httpx

from jifen_conformance.driver import ActionError, Driver, Implementation, SubjectSpec, Tenant
from jifen_conformance.drivers.http_governance import HttpGovernanceActions
from jifen_conformance.drivers.http_redemption import HttpRedemptionActions
from jifen_conformance.drivers.http_scenarios import HttpScenariosActions
from jifen_conformance.drivers.inprocess import load_object

SCALES = {"moral": 1, "material": 0}


@dataclass
class HttpTenant(Tenant):
    name: str
    operator_token: str
    codes: dict[str, str] = field(default_factory=dict)
    """case name → subject code"""
    tokens: dict[str, str] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    """subject id and code → case name"""


class CommandProvisioner:
    """A provisioner in any language: runs ``command`` with one JSON request on stdin
    (``{"op": "create_tenant", "config": …, "subjects": […]}`` or ``{"op": "run_jobs",
    "tenant": …}``) and reads one JSON answer from stdout."""

    def __init__(self, command: list[str]) -> None:
        self.command = command

    def _ask(self, request: dict[str, Any]) -> Any:
        done = subprocess.run(self.command, input=json.dumps(request, ensure_ascii=False),
                              capture_output=True, text=True, check=False, timeout=120)
        if done.returncode != 0:
            raise ActionError("provisioning.failed", done.stderr.strip()[:500])
        return json.loads(done.stdout)

    def create_tenant(self, config: dict[str, Any], subjects: list[dict[str, Any]]) -> Any:
        return self._ask({"op": "create_tenant", "config": config, "subjects": subjects})

    def run_jobs(self, tenant: str) -> Any:
        return self._ask({"op": "run_jobs", "tenant": tenant})


def _minor_text(minor: int, kind: str) -> str:
    scale = SCALES.get(kind, 0)
    value = Decimal(minor).scaleb(-scale)
    return f"{value:.{scale}f}"


class HttpDriver(HttpRedemptionActions, HttpScenariosActions, HttpGovernanceActions, Driver):
    name = "http"

    def __init__(self, url: str, provisioner: Any, *, profiles: list[str] | None = None,
                 capabilities: list[str] | None = None, headers: dict[str, str] | None = None,
                 timeout: float = 30.0) -> None:
        self.url = url.rstrip("/")
        self.provisioner = provisioner
        self.profiles = profiles
        self.capabilities = capabilities or []
        self.client = httpx.Client(base_url=self.url, headers=headers or {}, timeout=timeout)

    @classmethod
    def from_settings(cls, settings: dict[str, Any]) -> HttpDriver:
        merged = dict(settings)
        if settings.get("credentials"):
            import yaml  # type: ignore[import-untyped]

            with open(settings["credentials"], encoding="utf-8") as handle:
                merged = {**(yaml.safe_load(handle) or {}), **{
                    k: v for k, v in settings.items() if v not in (None, {}, [])}}
        spec = merged.get("provisioner")
        if spec is None:
            raise ActionError("provisioning.missing", "the http driver needs a provisioner "
                              "(--jf-provisioner or `provisioner:` in the credentials file)")
        if isinstance(spec, dict):
            provisioner: Any = CommandProvisioner(list(spec["command"]))
        else:
            provisioner = load_object(str(spec))(**(merged.get("provisioner_options") or {}))
        url = merged.get("url") or getattr(provisioner, "base_url", None)
        if not url:
            raise ActionError("provisioning.missing", "no --jf-url")
        headers = {k: os.environ[v["env"]] if isinstance(v, dict) else str(v)
                   for k, v in (merged.get("headers") or {}).items()}
        profiles = merged.get("profiles")
        if isinstance(profiles, str):
            profiles = [p.strip() for p in profiles.split(",")]
        return cls(str(url), provisioner, profiles=profiles,
                   capabilities=list(merged.get("capabilities") or []), headers=headers)

    # --- the Driver interface -----------------------------------------------------------------

    def implementation(self) -> Implementation:
        document = self._request("GET", "/openapi.json", None)
        info = document.get("info", {})
        claimed = self.profiles or list(getattr(self.provisioner, "profiles", ["core"]))
        return Implementation(name=str(info.get("title", self.url)),
                              version=str(info.get("version", "?")), profiles=claimed,
                              capabilities=["openapi", "concurrency", *self.capabilities])

    def create_tenant(self, config: dict[str, Any], subjects: list[SubjectSpec]) -> HttpTenant:
        answer = self.provisioner.create_tenant(config, [
            {"name": s.name, "type": s.type, "org_unit": s.org_unit,
             "roles": [{"role": r, "org_unit": u} for r, u in s.roles]} for s in subjects])
        tenant = HttpTenant(name=answer["tenant"], operator_token=answer["operator_token"])
        for name, sub in answer["subjects"].items():
            self._remember(tenant, name, sub["code"], sub.get("id"), sub.get("token"))
        return tenant

    def set_clock(self, when: datetime) -> None:
        self._request("POST", "/test/clock", None, json={"now": when.isoformat()})

    def close(self) -> None:
        self.client.close()
        closer = getattr(self.provisioner, "close", None)
        if closer:
            closer()

    def act(self, tenant: Tenant, action: str, args: dict[str, Any], actor: str | None) -> Any:
        if action == "openapi":
            return self._request("GET", "/openapi.json", None)
        assert isinstance(tenant, HttpTenant)
        handler = getattr(self, f"do_{action}", None)
        if handler is None:
            from jifen_conformance.driver import Unsupported

            raise Unsupported(f"the http driver has no endpoint for {action!r}")
        return handler(tenant, args, actor)

    # --- plumbing ---------------------------------------------------------------------------------

    def _remember(self, tenant: HttpTenant, name: str, code: str, subject_id: str | None,
                  token: str | None) -> None:
        tenant.codes[name] = code
        tenant.names[code] = name
        if subject_id:
            tenant.names[str(subject_id)] = name
        if token:
            tenant.tokens[name] = token

    def _token(self, tenant: HttpTenant, actor: str | None) -> str:
        if actor is None:
            return tenant.operator_token
        return tenant.tokens[actor]

    def _request(self, method: str, path: str, token: str | None, *, json: Any = None,
                 params: dict[str, Any] | None = None, idempotent: bool = False) -> Any:
        headers = {}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if idempotent:
            headers["Idempotency-Key"] = uuid.uuid4().hex
        response = self.client.request(method, path, json=json, params=params, headers=headers)
        if response.status_code >= 400:
            try:
                problem = response.json()
            except ValueError:
                problem = {}
            raise ActionError(str(problem.get("code") or f"http.{response.status_code}"),
                              str(problem.get("detail", response.text[:200])),
                              response.status_code)
        return response.json() if response.content else None

    def _t(self, tenant: HttpTenant) -> str:
        return f"/v1/tenants/{tenant.name}"

    def _name(self, tenant: HttpTenant, value: Any) -> Any:
        return None if value is None else tenant.names.get(str(value), str(value))

    def _claim(self, tenant: HttpTenant, claim: dict[str, Any], caps: Any = None
               ) -> dict[str, Any]:
        kind = claim["kind"]
        view = {"id": claim["id"], "state": claim["state"],
                "subject": self._name(tenant, claim["subject_id"]), "item": claim["item_code"],
                "kind": kind, "amount": None if claim["amount"] is None
                else _minor_text(claim["amount"], kind),
                "reason": claim["reason"], "submitted_by": self._name(tenant, claim["submitted_by"]),
                "reviewed_by": self._name(tenant, claim["reviewed_by"]),
                "notice_batch": claim["notice_batch_id"], "notice_ends_on": claim["notice_ends_on"],
                "transaction": claim["transaction_id"]}
        if caps is not None:
            view["caps"] = {"outcome": caps["outcome"], "cap": caps["cap"],
                            "granted": _minor_text(caps["granted"], kind)}
        return view

    def _decided(self, tenant: HttpTenant, found: dict[str, Any]) -> dict[str, Any]:
        return {"id": found["id"], "state": found["state"],
                "decided_by": self._name(tenant, found["decided_by"]),
                "reason": found["decision_reason"]}

    # --- actions ------------------------------------------------------------------------------------

    def do_create_subject(self, tenant: HttpTenant, args: dict[str, Any], actor: str | None
                          ) -> dict[str, Any]:
        found = self._request("POST", f"{self._t(tenant)}/subjects", tenant.operator_token,
                              idempotent=True, json={"type": args.get("type", "resident"),
                                                     "name": args["name"],
                                                     "org_unit_code": args.get("org_unit",
                                                                               "grid-1")})
        self._remember(tenant, args["name"], found["code"], found["id"], None)
        return {"name": args["name"], "type": found["type"], "code": found["code"]}

    def do_subject(self, tenant: HttpTenant, args: dict[str, Any], actor: str | None
                   ) -> dict[str, Any]:
        found = self._request("GET", f"{self._t(tenant)}/subjects/{tenant.codes[args['subject']]}",
                              self._token(tenant, actor))
        return {"name": args["subject"], "type": found["type"], "code": found["code"]}

    def do_submit_claim(self, tenant: HttpTenant, args: dict[str, Any], actor: str | None
                        ) -> dict[str, Any]:
        body: dict[str, Any] = {k: args[k] for k in ("item", "units", "amount", "evidence")
                                if args.get(k) is not None}
        body["deed_date"] = str(args["deed_date"])
        if "amount" in body:
            body["amount"] = str(body["amount"])
        if args.get("subject") and args["subject"] != actor:
            body["subject"] = tenant.codes[args["subject"]]
        token = self._token(tenant, actor)
        headers = {"Authorization": f"Bearer {token}",
                   "Idempotency-Key": str(args.get("key") or uuid.uuid4().hex)}
        response = self.client.post(f"{self._t(tenant)}/claims", json=body, headers=headers)
        if response.status_code >= 400:
            problem = response.json()
            raise ActionError(str(problem.get("code")), str(problem.get("detail")),
                              response.status_code)
        decision = response.json()
        return self._claim(tenant, decision["claim"], decision["caps"])

    def do_approve(self, tenant: HttpTenant, args: dict[str, Any], actor: str | None
                   ) -> dict[str, Any]:
        amount = args.get("amount")
        decision = self._request("POST", f"{self._t(tenant)}/claims/{args['claim']}/approve",
                                 self._token(tenant, actor), idempotent=True,
                                 json={"amount": None if amount is None else str(amount)})
        return self._claim(tenant, decision["claim"], decision["caps"])

    def do_reject(self, tenant: HttpTenant, args: dict[str, Any], actor: str | None
                  ) -> dict[str, Any]:
        return self._claim(tenant, self._request(
            "POST", f"{self._t(tenant)}/claims/{args['claim']}/reject",
            self._token(tenant, actor), idempotent=True, json={"reason": args.get("reason", "")}))

    def do_withdraw(self, tenant: HttpTenant, args: dict[str, Any], actor: str | None
                    ) -> dict[str, Any]:
        return self._claim(tenant, self._request(
            "POST", f"{self._t(tenant)}/claims/{args['claim']}/withdraw",
            self._token(tenant, actor), idempotent=True, json={"reason": args.get("reason", "")}))

    def do_claim(self, tenant: HttpTenant, args: dict[str, Any], actor: str | None
                 ) -> dict[str, Any]:
        return self._claim(tenant, self._request(
            "GET", f"{self._t(tenant)}/claims/{args['claim']}", self._token(tenant, actor)))

    def do_publish(self, tenant: HttpTenant, args: dict[str, Any], actor: str | None
                   ) -> dict[str, Any] | None:
        found = self._request("POST", f"{self._t(tenant)}/notices", self._token(tenant, actor),
                              idempotent=True, json={"org_unit": args.get("org_unit", "community")})
        batch = found["batch"]
        if batch is None:
            return None
        return {"id": batch["id"], "ends_on": batch["ends_on"], "starts_on": batch["starts_on"],
                "entries": batch["entries"]}

    def do_public_notice(self, tenant: HttpTenant, args: dict[str, Any], actor: str | None
                         ) -> dict[str, Any]:
        found = self._request("GET", f"{self._t(tenant)}/notices/{args['batch']}/public", None)
        return {"ends_on": found["ends_on"], "entries": found["entries"]}

    def do_run_jobs(self, tenant: HttpTenant, args: dict[str, Any], actor: str | None) -> Any:
        runner = getattr(self.provisioner, "run_jobs", None)
        if runner is None:
            from jifen_conformance.driver import Unsupported

            raise Unsupported("the provisioner cannot run the periodic jobs on demand")
        return runner(tenant.name)

    def do_object(self, tenant: HttpTenant, args: dict[str, Any], actor: str | None
                  ) -> dict[str, Any]:
        return self._decided(tenant, self._request(
            "POST", f"{self._t(tenant)}/claims/{args['claim']}/objections",
            self._token(tenant, actor), idempotent=True, json={"grounds": args.get("grounds", "")}))

    def do_decide_objection(self, tenant: HttpTenant, args: dict[str, Any], actor: str | None
                            ) -> dict[str, Any]:
        return self._decided(tenant, self._request(
            "POST", f"{self._t(tenant)}/objections/{args['objection']}/decision",
            self._token(tenant, actor), idempotent=True,
            json={"upheld": bool(args["upheld"]), "reason": args.get("reason", "")}))

    def do_appeal(self, tenant: HttpTenant, args: dict[str, Any], actor: str | None
                  ) -> dict[str, Any]:
        return self._decided(tenant, self._request(
            "POST", f"{self._t(tenant)}/claims/{args['claim']}/appeals",
            self._token(tenant, actor), idempotent=True, json={"grounds": args.get("grounds", "")}))

    def do_decide_appeal(self, tenant: HttpTenant, args: dict[str, Any], actor: str | None
                         ) -> dict[str, Any]:
        return self._decided(tenant, self._request(
            "POST", f"{self._t(tenant)}/appeals/{args['appeal']}/decision",
            self._token(tenant, actor), idempotent=True,
            json={"upheld": bool(args["upheld"]), "reason": args.get("reason", "")}))

    def do_balance(self, tenant: HttpTenant, args: dict[str, Any], actor: str | None
                   ) -> dict[str, Any]:
        kind = args.get("kind", "moral")
        found = self._request("GET", f"{self._t(tenant)}/subjects/"
                              f"{tenant.codes[args['subject']]}/balances", self._token(tenant, actor))
        row = next((b for b in found["balances"] if b["kind"] == kind), None)
        if row is None:
            raise ActionError("kind.unknown", f"no balance of kind {kind}")
        return {"kind": kind, "minor": row["minor"], "amount": row["amount"]}

    def do_export(self, tenant: HttpTenant, args: dict[str, Any], actor: str | None
                  ) -> dict[str, Any]:
        found: dict[str, Any] = self._request(
            "GET", f"{self._t(tenant)}/subjects/{tenant.codes[args['subject']]}/export",
            self._token(tenant, actor))
        return found

    def do_history(self, tenant: HttpTenant, args: dict[str, Any], actor: str | None
                   ) -> list[dict[str, Any]]:
        kind = args.get("kind", "moral")
        rows = self._request("GET", f"{self._t(tenant)}/subjects/"
                             f"{tenant.codes[args['subject']]}/history", self._token(tenant, actor),
                             params={"kind": kind})
        out = []
        for row in rows:
            provenance = dict(row["provenance"])
            for ours, standard in (("notice", "notice_batch"), ("notice_ends", "notice_ends_on")):
                if ours in provenance:
                    provenance[standard] = provenance.pop(ours)
            if "approver" in provenance:
                provenance["approver"] = self._name(tenant, provenance["approver"])
            out.append({"transaction": row["transaction_id"], "minor": row["minor"],
                        "amount": row["amount"], "reverses": row["reverses_id"],
                        "provenance": provenance})
        return out

    def do_score(self, tenant: HttpTenant, args: dict[str, Any], actor: str | None
                 ) -> dict[str, Any]:
        found = self._request("GET", f"{self._t(tenant)}/subjects/"
                              f"{tenant.codes[args['subject']]}/score", self._token(tenant, actor))
        value = Decimal(str(found["value"]))
        text = format(value.normalize(), "f") if value else "0"
        return {"value": text, "method": found["method"],
                "method_version": found["method_version"],
                "categories": [{"category": c["category"],
                                "points": _minor_text(c["points"], "moral")}
                               for c in found["categories"]],
                "lines": [{"item": line["item"], "category": line["category"],
                           "approver": self._name(tenant, line["approver"]),
                           "amount": _minor_text(line["amount"], "moral"),
                           "counted": line["counted"]} for line in found["lines"]]}

    def do_claim_history(self, tenant: HttpTenant, args: dict[str, Any], actor: str | None
                         ) -> list[dict[str, Any]]:
        found = self._request("GET", f"{self._t(tenant)}/claims/{args['claim']}/history",
                              self._token(tenant, actor))
        return [{"action": e["action"], "actor": e["actor"], "at": e["at"],
                 "reason": e["reason"]} for e in found]

    def do_audit_log(self, tenant: HttpTenant, args: dict[str, Any], actor: str | None
                     ) -> list[dict[str, Any]]:
        params = {"action": args["action"]} if args.get("action") else None
        found = self._request("GET", f"{self._t(tenant)}/audit-log", self._token(tenant, actor),
                              params=params)
        return [{"action": e["action"], "actor": self._name(tenant, e["actor_id"]) or e["actor"],
                 "reason": e["reason"]} for e in found]

    def do_audit(self, tenant: HttpTenant, args: dict[str, Any], actor: str | None
                 ) -> dict[str, Any]:
        found = self._request("GET", f"{self._t(tenant)}/audit", tenant.operator_token)
        return {"ok": found["ok"], "problems": found["problems"]}

    def do_stats(self, tenant: HttpTenant, args: dict[str, Any], actor: str | None
                 ) -> dict[str, Any]:
        found = self._request("GET", f"{self._t(tenant)}/stats", tenant.operator_token,
                              params={"start": str(args["start"]), "end": str(args["end"]),
                                      "level": args.get("level", "community")})
        return {"total": found["total"], "rows": found["rows"]}

    def do_issue_code(self, tenant: HttpTenant, args: dict[str, Any], actor: str | None
                      ) -> dict[str, Any]:
        found = self._request("POST", f"{self._t(tenant)}/codes", self._token(tenant, actor),
                              idempotent=True, json={"purpose": args.get("purpose", "pay")})
        return {"token": found["token"], "purpose": found["purpose"]}
