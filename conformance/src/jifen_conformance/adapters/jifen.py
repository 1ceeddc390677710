"""The in-process adapter for jifen, the reference implementation (loaded dynamically by the
``inprocess`` driver: ``--jf-adapter jifen_conformance.adapters.jifen:JifenAdapter``, the
default). It is the only module of the suite that imports jifen.

The database is ``JF_JIFEN_DATABASE_URL`` (migrated on first use), else a fresh SQLite file.
Access checks for actions taken *as* a subject reuse the HTTP layer's rules
(`jifen.api.deps.Context`), so both drivers see the same refusals.
"""

from __future__ import annotations

import importlib.util
import os
import tempfile
import threading
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from pydantic import ValidationError

from jifen_conformance.adapters.jifen_governance import GovernanceActions
from jifen_conformance.adapters.jifen_redemption import RedemptionActions
from jifen_conformance.adapters.jifen_scenarios import ScenariosActions
from jifen_conformance.driver import ActionError, Implementation, SubjectSpec, Tenant, Unsupported


@dataclass
class JifenTenant(Tenant):
    name: str
    id: uuid.UUID
    code: str
    subjects: dict[str, Any] = field(default_factory=dict)
    """case name → jifen Subject"""
    names: dict[str, str] = field(default_factory=dict)
    """str(subject id) → case name"""


class JifenAdapter(RedemptionActions, ScenariosActions, GovernanceActions):
    """Acts on a `jifen.platform.Platform` on a `MovableClock`."""

    name = "jifen"

    def __init__(self, database_url: str | None = None) -> None:
        from jifen.clock import MovableClock
        from jifen.platform import Platform
        from jifen.store import Database
        from jifen.store.migrate import upgrade
        from jifen_conformance.cases import DEFAULT_START

        url = database_url or os.environ.get("JF_JIFEN_DATABASE_URL")
        if not url:
            self._tmp = tempfile.mkdtemp(prefix="jifen-conformance-")
            url = f"sqlite:///{self._tmp}/jifen.db"
            upgrade(url)
        elif os.environ.get("JF_JIFEN_MIGRATE", "1") == "1":
            upgrade(url)
        self.clock = MovableClock(DEFAULT_START)
        self.platform = Platform(Database(url), clock=self.clock, master_key=os.urandom(32))
        self._lock = threading.Lock()

    # --- the Driver interface ------------------------------------------------------------------

    def implementation(self) -> Implementation:
        import jifen

        profiles = ["core"]
        if importlib.util.find_spec("jifen_merchant_redemption"):
            profiles.append("redemption")
        if all(importlib.util.find_spec(m) for m in ("jifen_school_place",
                                                     "jifen_hospital_priority", "jifen_bank_vip")):
            profiles.append("scenarios")
        if all(importlib.util.find_spec(m) for m in ("jifen_grid_evaluation",
                                                     "jifen_order_grabbing", "jifen_surveys")):
            profiles.append("governance")
        plugins = sorted(name for name, _ in self.platform.pm.list_name_plugin() if name)
        return Implementation(name="jifen", version=jifen.__version__, profiles=profiles,
                              capabilities=["direct_issuance", "spend", "transfer", "reverse",
                                            "concurrency", "openapi"],
                              plugins=plugins)

    def create_tenant(self, config: dict[str, Any], subjects: list[SubjectSpec]) -> JifenTenant:
        from jifen.config import TenantConfig
        from jifen.model import SubjectCreate

        def work() -> JifenTenant:
            result = self.platform.apply_config(TenantConfig.model_validate(config),
                                                approved_by="conformance suite")
            tenant = JifenTenant(name=config["code"], id=result.tenant.id, code=config["code"])
            for spec in subjects:
                subject = self.platform.create_subject(tenant.id, SubjectCreate(
                    type=spec.type, name=spec.name, org_unit_code=spec.org_unit))
                self._remember(tenant, spec.name, subject)
                for role, unit in spec.roles:
                    self.platform.grant_role(tenant.id, subject.id, role, unit)
            return tenant

        tenant: JifenTenant = self._call(work)
        return tenant

    def set_clock(self, when: datetime) -> None:
        self.clock.set(when)

    def close(self) -> None:
        self.platform.db.dispose()

    def act(self, tenant: Tenant, action: str, args: dict[str, Any], actor: str | None) -> Any:
        if action == "openapi":
            return self._call(self._openapi)
        assert isinstance(tenant, JifenTenant)
        handler = getattr(self, f"do_{action}", None)
        if handler is None:
            raise Unsupported(f"jifen's adapter has no action {action!r}")
        return self._call(lambda: handler(tenant, args, actor))

    # --- plumbing --------------------------------------------------------------------------------

    def _call(self, work: Any) -> Any:
        from jifen.errors import JifenError

        try:
            return work()
        except JifenError as exc:
            raise ActionError(exc.code, exc.message, exc.http_status) from exc
        except ValidationError as exc:
            raise ActionError("input.invalid", str(exc).splitlines()[0], 422) from exc

    def _openapi(self) -> dict[str, Any]:
        from jifen.api import create_app
        from jifen.api.settings import ApiSettings

        document: dict[str, Any] = create_app(self.platform, ApiSettings(test_mode=True)).openapi()
        return document

    def _remember(self, tenant: JifenTenant, name: str, subject: Any) -> None:
        tenant.subjects[name] = subject
        tenant.names[str(subject.id)] = name

    def subject(self, tenant: JifenTenant, name: str) -> Any:
        try:
            return tenant.subjects[name]
        except KeyError:
            raise ActionError("not_found", f"the case names no subject {name!r}", 404) from None

    def _name(self, tenant: JifenTenant, subject_id: Any) -> str | None:
        if subject_id is None:
            return None
        return tenant.names.get(str(subject_id), str(subject_id))

    def _context(self, tenant: JifenTenant, actor: str) -> Any:
        from jifen.api.auth import Principal, login_roles
        from jifen.api.deps import Context

        me = self.subject(tenant, actor)
        roles = frozenset(login_roles(self.platform, tenant.id, me.id))
        return Context(self.platform, Principal(tenant.code, tenant.id, me.code, me.id, roles),
                       tenant.id)

    def _visible(self, tenant: JifenTenant, name: str, actor: str | None) -> Any:
        """The subject ``name`` if ``actor`` may see it (JF-PRIV-2), as the HTTP layer rules."""
        subject = self.subject(tenant, name)
        if actor is not None:
            self._context(tenant, actor).subject(subject.code)
        return subject

    def _actor_id(self, tenant: JifenTenant, actor: str | None) -> uuid.UUID:
        if actor is None:
            raise ActionError("access.forbidden", "this action needs an actor", 403)
        subject_id: uuid.UUID = self.subject(tenant, actor).id
        return subject_id

    # --- normalised views ------------------------------------------------------------------------

    def claim_view(self, tenant: JifenTenant, claim: Any, caps: Any = None) -> dict[str, Any]:
        from jifen.model.points import format_minor

        scale = self.platform.registry.kind(claim.kind).scale
        view: dict[str, Any] = {
            "id": str(claim.id), "state": str(claim.state), "subject": self._name(
                tenant, claim.subject_id), "item": claim.item_code, "kind": claim.kind,
            "amount": None if claim.amount is None else format_minor(claim.amount, scale),
            "reason": claim.reason, "submitted_by": self._name(tenant, claim.submitted_by),
            "reviewed_by": self._name(tenant, claim.reviewed_by),
            "notice_batch": None if claim.notice_batch_id is None else str(claim.notice_batch_id),
            "notice_ends_on": None if claim.notice_ends_on is None else str(claim.notice_ends_on),
            "transaction": None if claim.transaction_id is None else str(claim.transaction_id),
        }
        if caps is not None:
            view["caps"] = {"outcome": caps.outcome, "cap": caps.cap,
                            "granted": format_minor(caps.granted, scale)}
        return view

    def decision_view(self, tenant: JifenTenant, objection: Any) -> dict[str, Any]:
        return {"id": str(objection.id), "state": objection.state,
                "decided_by": self._name(tenant, objection.decided_by),
                "reason": objection.decision_reason}

    # --- subjects --------------------------------------------------------------------------------

    def do_create_subject(self, tenant: JifenTenant, args: dict[str, Any], actor: str | None
                          ) -> dict[str, Any]:
        from jifen.model import SubjectCreate

        subject = self.platform.create_subject(tenant.id, SubjectCreate(
            type=args.get("type", "resident"), name=args["name"],
            org_unit_code=args.get("org_unit", "grid-1")))
        self._remember(tenant, args["name"], subject)
        return {"name": args["name"], "type": subject.type, "code": subject.code}

    def do_link_household(self, tenant: JifenTenant, args: dict[str, Any], actor: str | None
                          ) -> dict[str, Any]:
        from jifen.model import LinkRole

        link = self.platform.link_household(
            tenant.id, self.subject(tenant, args["household"]).id,
            self.subject(tenant, args["member"]).id, LinkRole(args["role"]))
        return {"household": args["household"], "member": args["member"],
                "role": str(link.role)}

    def do_subject(self, tenant: JifenTenant, args: dict[str, Any], actor: str | None
                   ) -> dict[str, Any]:
        subject = self._visible(tenant, args["subject"], actor)
        return {"name": args["subject"], "type": subject.type, "code": subject.code}

    # --- claims ----------------------------------------------------------------------------------

    def do_submit_claim(self, tenant: JifenTenant, args: dict[str, Any], actor: str | None
                        ) -> dict[str, Any]:
        from jifen.model.claims import ClaimSubmit

        subject_name = args.get("subject", actor)
        if subject_name is None:
            raise ActionError("input.invalid", "a claim names its subject", 422)
        subject = self.subject(tenant, subject_name)
        filed_by = self.subject(tenant, actor).id if actor else None
        if actor is not None and subject_name != actor:
            ctx = self._context(tenant, actor)
            if not ctx.principal.has("operator", "grid_worker", "admin"):
                raise ActionError("access.forbidden", "filing for another needs a staff role",
                                  403)
            ctx.subject(subject.code)
        key = f"{actor}:{args.get('key') or uuid.uuid4().hex}"
        decision = self.platform.claims.submit(tenant.id, ClaimSubmit(
            idempotency_key=key, subject_id=subject.id, item=args["item"],
            deed_date=date.fromisoformat(str(args["deed_date"])), units=args.get("units"),
            amount=None if args.get("amount") is None else str(args["amount"]),
            evidence=args.get("evidence", {}), submitted_by=filed_by))
        return self.claim_view(tenant, decision.claim, decision.caps)

    def do_approve(self, tenant: JifenTenant, args: dict[str, Any], actor: str | None
                   ) -> dict[str, Any]:
        amount = args.get("amount")
        decision = self.platform.claims.approve(
            tenant.id, uuid.UUID(args["claim"]), self._actor_id(tenant, actor),
            amount=None if amount is None else str(amount))
        return self.claim_view(tenant, decision.claim, decision.caps)

    def do_reject(self, tenant: JifenTenant, args: dict[str, Any], actor: str | None
                  ) -> dict[str, Any]:
        claim = self.platform.claims.reject(tenant.id, uuid.UUID(args["claim"]),
                                            self._actor_id(tenant, actor), args.get("reason", ""))
        return self.claim_view(tenant, claim)

    def do_withdraw(self, tenant: JifenTenant, args: dict[str, Any], actor: str | None
                    ) -> dict[str, Any]:
        claim = self.platform.claims.withdraw(tenant.id, uuid.UUID(args["claim"]),
                                              self._actor_id(tenant, actor), args.get("reason", ""))
        return self.claim_view(tenant, claim)

    def do_claim(self, tenant: JifenTenant, args: dict[str, Any], actor: str | None
                 ) -> dict[str, Any]:
        claim = self.platform.claims.get(tenant.id, uuid.UUID(args["claim"]))
        if actor is not None:
            self._context(tenant, actor).subject_by_id(claim.subject_id)
        return self.claim_view(tenant, claim)

    def do_claim_history(self, tenant: JifenTenant, args: dict[str, Any], actor: str | None
                         ) -> list[dict[str, Any]]:
        entries = self.platform.audit_log(tenant.id, entity_id=uuid.UUID(args["claim"]))
        return [{"action": e.action, "actor": self._name(tenant, e.actor_id) or e.actor,
                 "at": e.at.isoformat(), "reason": e.reason} for e in entries]

    def do_publish(self, tenant: JifenTenant, args: dict[str, Any], actor: str | None
                   ) -> dict[str, Any] | None:
        batch = self.platform.claims.publish(tenant.id, args.get("org_unit", "community"),
                                             self._actor_id(tenant, actor))
        if batch is None:
            return None
        return {"id": str(batch.id), "ends_on": str(batch.ends_on),
                "starts_on": str(batch.starts_on), "entries": batch.entries}

    def do_public_notice(self, tenant: JifenTenant, args: dict[str, Any], actor: str | None
                         ) -> dict[str, Any]:
        notice = self.platform.claims.public_notice(tenant.id, uuid.UUID(args["batch"]))
        return {"ends_on": str(notice.ends_on),
                "entries": [e.model_dump(mode="json") for e in notice.entries]}

    def do_run_jobs(self, tenant: JifenTenant, args: dict[str, Any], actor: str | None
                    ) -> dict[str, Any]:
        closed = self.platform.claims.close_notices(tenant.id)
        expired = self.platform.ledger.expire(tenant.id)
        return {"finalised": closed.finalised, "expired": len(expired)}

    def do_object(self, tenant: JifenTenant, args: dict[str, Any], actor: str | None
                  ) -> dict[str, Any]:
        objection = self.platform.claims.object(
            tenant.id, uuid.UUID(args["claim"]), args.get("grounds", ""),
            raised_by=self.subject(tenant, actor).id if actor else None)
        return self.decision_view(tenant, objection)

    def do_decide_objection(self, tenant: JifenTenant, args: dict[str, Any], actor: str | None
                            ) -> dict[str, Any]:
        objection = self.platform.claims.decide_objection(
            tenant.id, uuid.UUID(args["objection"]), self._actor_id(tenant, actor),
            upheld=bool(args["upheld"]), reason=args.get("reason", ""))
        return self.decision_view(tenant, objection)

    def do_appeal(self, tenant: JifenTenant, args: dict[str, Any], actor: str | None
                  ) -> dict[str, Any]:
        appeal = self.platform.claims.appeal(tenant.id, uuid.UUID(args["claim"]),
                                             self._actor_id(tenant, actor), args.get("grounds", ""))
        return self.decision_view(tenant, appeal)

    def do_decide_appeal(self, tenant: JifenTenant, args: dict[str, Any], actor: str | None
                         ) -> dict[str, Any]:
        appeal = self.platform.claims.decide_appeal(
            tenant.id, uuid.UUID(args["appeal"]), self._actor_id(tenant, actor),
            upheld=bool(args["upheld"]), reason=args.get("reason", ""))
        return self.decision_view(tenant, appeal)

    # --- ledger ----------------------------------------------------------------------------------

    def do_issue(self, tenant: JifenTenant, args: dict[str, Any], actor: str | None
                 ) -> dict[str, Any]:
        from jifen.funding import Issue
        from jifen.model import Points

        subject = self.subject(tenant, args["subject"])
        points = Points.of(args["kind"], args["amount"])
        key = str(args.get("key") or uuid.uuid4().hex)
        if args["kind"] == "material":
            config = self.platform.policy(tenant.id).config
            pool = args.get("pool") or (config.default_pool if config else None) or ""
            view = self.platform.funding.issue(tenant.id, Issue(
                pool=pool, subject_id=subject.id, amount=points.minor, idempotency_key=key,
                memo="conformance", metadata={}))
        else:
            view = self.platform.award(tenant.id, subject.id, points, idempotency_key=key)
        return {"transaction": str(view.id)}

    def do_spend(self, tenant: JifenTenant, args: dict[str, Any], actor: str | None
                 ) -> dict[str, Any]:
        from jifen.ledger import subject_account, system_account
        from jifen.model import Leg, TransactionRequest

        subject = self.subject(tenant, args["subject"])
        amount = args["amount"]
        view = self.platform.ledger.post(tenant.id, TransactionRequest(
            idempotency_key=str(args.get("key") or uuid.uuid4().hex), legs=(
                Leg(account=subject_account(subject.id, "material"), amount=-amount),
                Leg(account=system_account("settlement", "material", "conformance"),
                    amount=amount))))
        return {"transaction": str(view.id)}

    def do_transfer(self, tenant: JifenTenant, args: dict[str, Any], actor: str | None
                    ) -> dict[str, Any]:
        from jifen.ledger import subject_account
        from jifen.model import Leg, Points, TransactionRequest

        points = Points.of(args["kind"], args["amount"])
        source, target = self.subject(tenant, args["from"]), self.subject(tenant, args["to"])
        view = self.platform.ledger.post(tenant.id, TransactionRequest(
            idempotency_key=str(args.get("key") or uuid.uuid4().hex), legs=(
                Leg(account=subject_account(source.id, points.kind), amount=-points.minor),
                Leg(account=subject_account(target.id, points.kind), amount=points.minor))))
        return {"transaction": str(view.id)}

    def do_reverse(self, tenant: JifenTenant, args: dict[str, Any], actor: str | None
                   ) -> dict[str, Any]:
        view = self.platform.ledger.reverse(tenant.id, uuid.UUID(args["transaction"]),
                                            str(args.get("key") or uuid.uuid4().hex),
                                            args.get("reason", "correction"))
        return {"transaction": str(view.id)}

    def do_balance(self, tenant: JifenTenant, args: dict[str, Any], actor: str | None
                   ) -> dict[str, Any]:
        from jifen.model.points import format_minor

        subject = self._visible(tenant, args["subject"], actor)
        kind = args.get("kind", "moral")
        points = self.platform.balance(tenant.id, subject.id, kind)
        return {"kind": kind, "minor": points.minor,
                "amount": format_minor(points.minor, self.platform.registry.kind(kind).scale)}

    def do_export(self, tenant: JifenTenant, args: dict[str, Any], actor: str | None
                  ) -> dict[str, Any]:
        subject = self.subject(tenant, args["subject"])
        if self._actor_id(tenant, actor) != subject.id:
            raise ActionError("access.forbidden", "a resident exports their own data only", 403)
        exported: dict[str, Any] = self.platform.export_subject(tenant.id, subject.id)
        return exported

    def do_history(self, tenant: JifenTenant, args: dict[str, Any], actor: str | None
                   ) -> list[dict[str, Any]]:
        from jifen.ledger import subject_account
        from jifen.model.points import format_minor

        subject = self._visible(tenant, args["subject"], actor)
        kind = args.get("kind", "moral")
        account = subject_account(subject.id, kind)
        scale = self.platform.registry.kind(kind).scale
        rows = []
        for view in self.platform.ledger.history(tenant.id, account):
            minor = sum(p.amount for p in view.postings if p.account == account)
            provenance = dict(view.metadata)
            for ours, standard in (("notice", "notice_batch"), ("notice_ends", "notice_ends_on")):
                if ours in provenance:
                    provenance[standard] = provenance.pop(ours)
            if "approver" in provenance:
                provenance["approver"] = self._name(tenant, provenance["approver"]) or ""
            rows.append({"transaction": str(view.id), "minor": minor,
                         "amount": format_minor(minor, scale),
                         "reverses": None if view.reverses_id is None else str(view.reverses_id),
                         "provenance": provenance})
        return rows

    def do_score(self, tenant: JifenTenant, args: dict[str, Any], actor: str | None
                 ) -> dict[str, Any]:
        from jifen.model.points import format_minor

        subject = self._visible(tenant, args["subject"], actor)
        score = self.platform.score(tenant.id, subject.id)
        return {"value": _decimal(score.value), "method": score.method,
                "method_version": score.method_version,
                "categories": [{"category": c.category, "points": format_minor(c.points, 1)}
                               for c in score.categories],
                "lines": [{"item": line.item, "category": line.category,
                           "approver": self._name(tenant, line.approver) or line.approver,
                           "amount": format_minor(line.amount, 1), "counted": line.counted}
                          for line in score.lines]}

    def do_audit(self, tenant: JifenTenant, args: dict[str, Any], actor: str | None
                 ) -> dict[str, Any]:
        report = self.platform.audit(tenant.id)
        return {"ok": report.ok, "problems": [str(p) for p in report.problems]}

    def do_audit_log(self, tenant: JifenTenant, args: dict[str, Any], actor: str | None
                     ) -> list[dict[str, Any]]:
        entries = self.platform.audit_log(tenant.id, action=args.get("action"))
        return [{"action": e.action, "actor": self._name(tenant, e.actor_id) or e.actor,
                 "reason": e.reason} for e in entries]

    def do_stats(self, tenant: JifenTenant, args: dict[str, Any], actor: str | None
                 ) -> dict[str, Any]:
        from jifen import stats

        with self.platform.db.read() as conn:
            report = stats.totals(conn, tenant.id, date.fromisoformat(str(args["start"])),
                                  date.fromisoformat(str(args["end"])),
                                  args.get("level", "community"))
        return {"total": report.total.model_dump(mode="json"),
                "rows": [r.model_dump(mode="json") for r in report.rows]}

    # --- codes -----------------------------------------------------------------------------------

    def do_issue_code(self, tenant: JifenTenant, args: dict[str, Any], actor: str | None
                      ) -> dict[str, Any]:
        code = self.platform.codes.issue(tenant.id, self._actor_id(tenant, actor),
                                         args.get("purpose", "pay"))
        return {"token": code.token, "purpose": code.purpose}

    def do_use_code(self, tenant: JifenTenant, args: dict[str, Any], actor: str | None
                    ) -> dict[str, Any]:
        with self.platform.db.write() as conn:
            found = self.platform.codes.consume(conn, tenant.id, args["token"],
                                                args.get("purpose", "pay"))
        return {"purpose": args.get("purpose", "pay"),
                "subject": self._name(tenant, getattr(found, "subject_id", None))}


def _decimal(value: Any) -> str:
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"
