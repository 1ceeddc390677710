"""Claims and their workflow: submit, review, notice, objection, appeal (JF-EARN-*, JF-DUE-*).

The core checks the reviewer's scope over the claimant's org unit (JF-PRIV-1) against the roles
granted in the database; the token must also carry the ``reviewer`` role.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from fastapi import APIRouter, Header
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from jifen.api.deps import TENANT_WIDE, PlatformDep, TenantAuth
from jifen.api.problems import PROBLEM_RESPONSES
from jifen.model.claims import (
    Appeal,
    Claim,
    ClaimSubmit,
    Decision,
    NoticeBatch,
    Objection,
    PublicNotice,
)
from jifen.store import tables as t

router = APIRouter(prefix="/v1/tenants/{tenant}", tags=["claims"], responses=PROBLEM_RESPONSES)
REVIEWER = "reviewer"


class ClaimIn(BaseModel):
    """A claim (申报): for the caller, or (staff at a service counter, JF-PRIV-5) for
    ``subject``."""

    model_config = ConfigDict(extra="forbid")

    subject: str | None = Field(default=None, description="The claimant's code; default: the caller.")
    item: str = Field(min_length=1, max_length=64)
    deed_date: date
    units: int | None = Field(default=None, ge=1)
    amount: str | None = None
    evidence: dict[str, str] = Field(default_factory=dict)


class ApproveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount: str | None = Field(default=None, description="For range items: the amount awarded.")


class ReasonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = ""


class GroundsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    grounds: str


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    upheld: bool
    reason: str


class PublishIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    org_unit: str = Field(description="Publish the approved claims of subjects under this unit.")


class ClaimEvent(BaseModel):
    """One step of a claim's history: what was done, by whom, when and why (JF-EARN-2)."""

    at: datetime
    action: str = Field(description="e.g. `claim.submitted`, `claim.approved`, `claim.final`")
    actor: str = Field(description="The name of the person who acted, or the system's label "
                                   "(`system:notices-close`); an objector's name is shown to "
                                   "reviewers and auditors only (`objector`).")
    reason: str
    data: dict[str, str]


class Published(BaseModel):
    """The batch published, or ``null`` when no approved claim was waiting."""

    batch: NoticeBatch | None


@router.post("/claims", response_model=Decision, status_code=201)
def submit_claim(body: ClaimIn, ctx: TenantAuth,
                 idempotency_key: str = Header(alias="Idempotency-Key")) -> Decision:
    """File a claim for oneself, or (operator, grid worker, admin) for a subject one covers."""
    subject = ctx.subject(body.subject or "me")
    if subject.id != ctx.principal.subject_id:
        ctx.require("operator", "grid_worker", "admin")
    request = ClaimSubmit(idempotency_key=f"api:{ctx.principal.sub}:{idempotency_key}",
                          subject_id=subject.id, submitted_by=ctx.principal.subject_id,
                          **body.model_dump(exclude={"subject"}))
    return ctx.platform.claims.submit(ctx.tenant_id, request)


@router.get("/claims", response_model=list[Claim])
def list_claims(ctx: TenantAuth, subject: str = "me") -> list[Claim]:
    """The claims of a subject the caller may see (default: the caller's own)."""
    return ctx.platform.claims.of_subject(ctx.tenant_id, ctx.subject(subject).id)


@router.get("/claims/{claim_id}", response_model=Claim)
def get_claim(claim_id: uuid.UUID, ctx: TenantAuth) -> Claim:
    """One claim, if the caller may see its claimant."""
    claim = ctx.platform.claims.get(ctx.tenant_id, claim_id)
    ctx.subject_by_id(claim.subject_id)
    return claim


@router.get("/claims/{claim_id}/history", response_model=list[ClaimEvent])
def claim_history(claim_id: uuid.UUID, ctx: TenantAuth) -> list[ClaimEvent]:
    """Who did what to a claim, when and why, oldest first (JF-EARN-2, JF-DUE-5), if the
    caller may see its claimant."""
    claim = ctx.platform.claims.get(ctx.tenant_id, claim_id)
    ctx.subject_by_id(claim.subject_id)
    entries = ctx.platform.audit_log(ctx.tenant_id, entity_id=claim.id)
    reveal = ctx.principal.has(REVIEWER, *TENANT_WIDE)
    with ctx.platform.db.read() as conn:
        names = dict(conn.execute(select(t.subjects.c.id, t.subjects.c.name).where(
            t.subjects.c.tenant_id == ctx.tenant_id,
            t.subjects.c.id.in_({e.actor_id for e in entries if e.actor_id}))).all())
    return [ClaimEvent(at=e.at, action=e.action, reason=e.reason, data=e.data,
                       actor=("objector" if e.action == "objection.raised" and not reveal
                              else names.get(e.actor_id, e.actor) if e.actor_id else e.actor))
            for e in entries if e.entity == "claim"]


@router.post("/claims/{claim_id}/approve", response_model=Decision)
def approve_claim(claim_id: uuid.UUID, body: ApproveIn, ctx: TenantAuth) -> Decision:
    """Approve a submitted claim (reviewer over the claimant's unit); the reply says what the
    caps did (JF-CAT-2)."""
    ctx.require(REVIEWER)
    return ctx.platform.claims.approve(ctx.tenant_id, claim_id, ctx.actor, amount=body.amount)


@router.post("/claims/{claim_id}/reject", response_model=Claim)
def reject_claim(claim_id: uuid.UUID, body: ReasonIn, ctx: TenantAuth) -> Claim:
    """Reject a submitted claim with reasons (JF-EARN-2)."""
    ctx.require(REVIEWER)
    return ctx.platform.claims.reject(ctx.tenant_id, claim_id, ctx.actor, body.reason)


@router.post("/claims/{claim_id}/withdraw", response_model=Claim)
def withdraw_claim(claim_id: uuid.UUID, body: ReasonIn, ctx: TenantAuth) -> Claim:
    """The claimant (or whoever filed it) withdraws a claim not yet in notice."""
    return ctx.platform.claims.withdraw(ctx.tenant_id, claim_id, ctx.actor, body.reason)


@router.post("/notices", response_model=Published, status_code=201)
def publish_notice(body: PublishIn, ctx: TenantAuth) -> Published:
    """Publish the approved claims under an org unit as one notice batch (JF-EARN-6)."""
    ctx.require(REVIEWER)
    return Published(batch=ctx.platform.claims.publish(ctx.tenant_id, body.org_unit, ctx.actor))


@router.get("/notices/{batch_id}/public", response_model=PublicNotice, tags=["public"])
def public_notice(tenant: str, batch_id: uuid.UUID, platform: PlatformDep) -> PublicNotice:
    """The public list of a notice batch while it runs: masked names, no identifiers
    (JF-DUE-4); no token needed; 409 `notice.ended` after it ends (JF-DUE-7)."""
    return platform.claims.public_notice(platform.tenant(tenant).id, batch_id)


@router.post("/claims/{claim_id}/objections", response_model=Objection, status_code=201)
def object_to_claim(claim_id: uuid.UUID, body: GroundsIn, ctx: TenantAuth) -> Objection:
    """Object to an entry during its notice (JF-DUE-2); anyone of the tenant may."""
    return ctx.platform.claims.object(ctx.tenant_id, claim_id, body.grounds,
                                      raised_by=ctx.principal.subject_id)


@router.get("/claims/{claim_id}/objections", response_model=list[Objection])
def list_objections(claim_id: uuid.UUID, ctx: TenantAuth) -> list[Objection]:
    """The objections to a claim (reviewers)."""
    ctx.require(REVIEWER)
    return ctx.platform.claims.objections(ctx.tenant_id, claim_id)


@router.post("/objections/{objection_id}/decision", response_model=Objection)
def decide_objection(objection_id: uuid.UUID, body: DecisionIn, ctx: TenantAuth) -> Objection:
    """Decide an objection with reasons, by someone other than the approver (JF-DUE-2)."""
    ctx.require(REVIEWER)
    return ctx.platform.claims.decide_objection(ctx.tenant_id, objection_id, ctx.actor,
                                                upheld=body.upheld, reason=body.reason)


@router.post("/claims/{claim_id}/appeals", response_model=Appeal, status_code=201)
def appeal_claim(claim_id: uuid.UUID, body: GroundsIn, ctx: TenantAuth) -> Appeal:
    """Appeal a rejection or a deduction within the window (JF-DUE-3)."""
    return ctx.platform.claims.appeal(ctx.tenant_id, claim_id, ctx.actor, body.grounds)


@router.post("/appeals/{appeal_id}/decision", response_model=Appeal)
def decide_appeal(appeal_id: uuid.UUID, body: DecisionIn, ctx: TenantAuth) -> Appeal:
    """Decide an appeal with reasons, by someone who took no part in the decision (JF-DUE-3)."""
    ctx.require(REVIEWER)
    return ctx.platform.claims.decide_appeal(ctx.tenant_id, appeal_id, ctx.actor,
                                             upheld=body.upheld, reason=body.reason)
