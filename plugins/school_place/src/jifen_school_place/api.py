"""The school-place endpoints (``/v1/tenants/{tenant}/school-place``, mounted through
``register_routers``), in the order of a round (JF-SCN-3, JF-PRIV-4, JF-DUE-2, JF-DUE-4):

an operator (or admin) opens a round — its seed's SHA-256 is public from then on — a guardian
applies for a child of their household during the window (after giving the separate consent,
``POST …/scenarios/school-place-upgrade/consent``), the round is drawn after the window (the
seed itself is public from then on, before the ranking), the list is published under public
notice with masked names (a public endpoint, no token), anyone objects to an entry, a reviewer
decides, and the round is closed into the final list. Auditors replay every decision
(JF-SCN-5).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from jifen.api.deps import PlatformDep, TenantAuth
from jifen.api.problems import PROBLEM_RESPONSES
from jifen.api.routers.scenarios import acting_for
from jifen.scenarios import PublicRoundList, Round, RoundObjection
from jifen_school_place.model import SchoolRound
from jifen_school_place.service import SchoolPlaces

PREFIX = "/v1/tenants/{tenant}/school-place"
router = APIRouter(tags=["school-place"], responses=PROBLEM_RESPONSES)
MANAGERS = ("operator", "admin")
"""Who opens, draws, publishes and closes rounds (the education bureau's staff)."""


class RoundOut(BaseModel):
    """A round as anyone may see it: the window, the quotas, the seed's SHA-256 from the start
    and the seed itself once the window has closed, before the draw."""

    id: uuid.UUID
    name: str
    quotas: dict[str, int]
    """Upgrade slot ``SCHOOL:FROM→TO`` → places."""
    opens_at: datetime
    closes_at: datetime
    seed_sha256: str
    seed: str | None
    state: str
    draw_decision_id: uuid.UUID | None
    notice_starts_on: date | None
    notice_ends_on: date | None


class ApplyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    child: str = Field(min_length=1, max_length=64, description="The child's code.")
    upgrade: str = Field(min_length=1, max_length=200,
                         description="The slot ``SCHOOL:FROM→TO``, e.g. ``第一小学:2-A→1-A``.")


class ApplicationOut(BaseModel):
    id: uuid.UUID
    round_id: uuid.UUID
    child: str
    upgrade: str
    applied_at: datetime


class ObjectIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    upgrade: str = Field(min_length=1, max_length=200)
    rank: int = Field(ge=1, description="The entry's rank in the public list of ``upgrade``.")
    grounds: str = Field(max_length=2000)


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    upheld: bool
    reason: str = Field(max_length=2000)


class ObjectionOut(BaseModel):
    id: uuid.UUID
    round_id: uuid.UUID
    state: str
    grounds: str
    raised_at: datetime
    decided_at: datetime | None
    decision_reason: str | None


class ReplayOut(BaseModel):
    decision_id: uuid.UUID
    kind: str
    identical: bool
    differences: tuple[str, ...]


@router.post("/rounds", response_model=RoundOut, status_code=201)
def open_round(body: SchoolRound, ctx: TenantAuth) -> RoundOut:
    """Open a round (operator, admin): one slot per upgrade with its places."""
    ctx.require(*MANAGERS)
    return _round(SchoolPlaces(ctx.platform).open_round(
        ctx.tenant_id, body, opened_by=ctx.principal.subject_id))


@router.get("/rounds/{round_id}", response_model=RoundOut, tags=["public"])
def get_round(tenant: str, round_id: uuid.UUID, platform: PlatformDep) -> RoundOut:
    """A round, public (no token): the seed's SHA-256 before the draw, the seed after the
    window."""
    return _round(SchoolPlaces(platform).round(platform.tenant(tenant).id, round_id))


@router.post("/rounds/{round_id}/applications", response_model=ApplicationOut, status_code=201)
def apply(round_id: uuid.UUID, body: ApplyIn, ctx: TenantAuth) -> ApplicationOut:
    """A guardian applies for a child of their household during the window (403
    `access.forbidden` for anyone else's child, `school_place.guardian_applies` for oneself,
    `scenario.no_consent` without the guardian's consent; 409 `scenario.window_closed`,
    `scenario.duplicate_application`)."""
    child = acting_for(ctx, body.child)
    found = SchoolPlaces(ctx.platform).apply(ctx.tenant_id, round_id, child.id, body.upgrade,
                                             guardian_id=ctx.actor)
    return ApplicationOut(id=found.id, round_id=found.round_id, child=child.code,
                          upgrade=found.slot, applied_at=found.applied_at)


@router.post("/rounds/{round_id}/draw", response_model=RoundOut)
def draw(round_id: uuid.UUID, ctx: TenantAuth) -> RoundOut:
    """Rank and select after the window has closed (operator, admin); once per round."""
    ctx.require(*MANAGERS)
    places = SchoolPlaces(ctx.platform)
    places.draw(ctx.tenant_id, round_id, actor=ctx.principal.subject_id)
    return _round(places.round(ctx.tenant_id, round_id))


@router.post("/rounds/{round_id}/publish", response_model=PublicRoundList)
def publish(round_id: uuid.UUID, ctx: TenantAuth) -> PublicRoundList:
    """Put the drawn list under public notice (an admin or operator who is a subject: the
    publisher may not decide objections)."""
    ctx.require(*MANAGERS)
    return SchoolPlaces(ctx.platform).publish(ctx.tenant_id, round_id, publisher=ctx.actor)


@router.get("/rounds/{round_id}/list", response_model=PublicRoundList, tags=["public"])
def public_list(tenant: str, round_id: uuid.UUID, platform: PlatformDep) -> PublicRoundList:
    """The list under notice (rank, masked name, upgrade, score, selected; no identifiers), or
    the final list once the round is closed; public, no token (JF-DUE-4). 409
    `notice.ended` after the notice and before the close (JF-DUE-7)."""
    return SchoolPlaces(platform).public_list(platform.tenant(tenant).id, round_id)


@router.post("/rounds/{round_id}/objections", response_model=ObjectionOut, status_code=201)
def object_to_entry(round_id: uuid.UUID, body: ObjectIn, ctx: TenantAuth) -> ObjectionOut:
    """Object to the entry at ``rank`` of ``upgrade`` during the notice; anyone of the tenant
    may (JF-DUE-2)."""
    return _objection(SchoolPlaces(ctx.platform).object(
        ctx.tenant_id, round_id, slot=body.upgrade, rank=body.rank, grounds=body.grounds,
        raised_by=ctx.principal.subject_id))


@router.post("/objections/{objection_id}/decision", response_model=ObjectionOut)
def decide_objection(objection_id: uuid.UUID, body: DecisionIn, ctx: TenantAuth
                     ) -> ObjectionOut:
    """Decide an objection with reasons (reviewer, admin, operator; not the publisher, not in
    the child's household); upheld: the entry leaves the list and the round is re-ranked."""
    ctx.require("reviewer", *MANAGERS)
    return _objection(SchoolPlaces(ctx.platform).decide(
        ctx.tenant_id, objection_id, ctx.actor, upheld=body.upheld, reason=body.reason))


@router.post("/rounds/{round_id}/close", response_model=PublicRoundList)
def close(round_id: uuid.UUID, ctx: TenantAuth) -> PublicRoundList:
    """After the notice, every objection decided: the final list (operator, admin)."""
    ctx.require(*MANAGERS)
    return SchoolPlaces(ctx.platform).close(ctx.tenant_id, round_id,
                                            actor=ctx.principal.subject_id)


@router.get("/rounds/{round_id}/replay", response_model=list[ReplayOut])
def replay(round_id: uuid.UUID, ctx: TenantAuth) -> list[ReplayOut]:
    """Replay every decision of the round — each draw and every applicant's entry — from the
    recorded inputs (auditor, operator; JF-SCN-5)."""
    ctx.require("auditor", "operator")
    return [ReplayOut(decision_id=r.decision_id, kind=r.kind, identical=r.identical,
                      differences=r.differences)
            for r in SchoolPlaces(ctx.platform).replay(ctx.tenant_id, round_id)]


def _round(found: Round) -> RoundOut:
    return RoundOut.model_validate(found.model_dump())


def _objection(found: RoundObjection) -> ObjectionOut:
    return ObjectionOut.model_validate(found.model_dump())
