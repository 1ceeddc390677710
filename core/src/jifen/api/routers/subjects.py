"""Subjects: create (operators, admins; JF-PRIV-5), read one's own (JF-SUB-*, JF-PRIV-2), and
a household's guardian, child and member links (JF-SUB-2)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from jifen import subjects
from jifen.api.deps import Context, TenantAuth
from jifen.api.problems import PROBLEM_RESPONSES
from jifen.errors import Conflict, Forbidden, NotFound
from jifen.model import LinkRole, Subject, SubjectCreate
from jifen.store import tables as t

router = APIRouter(prefix="/v1/tenants/{tenant}/subjects", tags=["subjects"],
                   responses=PROBLEM_RESPONSES)


class LinkIn(BaseModel):
    """Link a resident (``member``, their code) to the household as guardian, child or member."""

    model_config = ConfigDict(extra="forbid")

    member: str = Field(min_length=1, max_length=64)
    role: LinkRole


class LinkOut(BaseModel):
    """One link of a household: the member's code and name, and their role in it."""

    household: str
    member: str
    member_name: str
    role: LinkRole


@router.post("", response_model=Subject, status_code=201)
def create_subject(body: SubjectCreate, ctx: TenantAuth) -> Subject:
    """Register a subject (operator or admin; at a service counter, JF-PRIV-5)."""
    ctx.require("operator", "admin")
    return ctx.platform.create_subject(ctx.tenant_id, body)


@router.get("/{code}", response_model=Subject)
def get_subject(code: str, ctx: TenantAuth) -> Subject:
    """A subject the caller may see (``me``: the caller): its own, its household's, or one
    under a staff role's org unit; 403 otherwise."""
    return ctx.subject(code)


@router.get("/{code}/export")
def export_subject(code: str, ctx: TenantAuth) -> dict[str, Any]:
    """All of a resident's data, for the resident themself (``me``; JF-PRIV-3). Staff export
    a resident's data for them at a service counter with `jifen export` (JF-PRIV-5)."""
    subject = ctx.subject(code)
    if subject.id != ctx.actor:
        raise Forbidden("a resident exports their own data only (JF-PRIV-3)")
    return ctx.platform.export_subject(ctx.tenant_id, subject.id)


@router.post("/{code}/household-links", response_model=LinkOut, status_code=201)
def link_member(code: str, body: LinkIn, ctx: TenantAuth) -> LinkOut:
    """Link a resident to the household ``code`` (operator, or admin over both; JF-SUB-2).
    409 `conflict` if the resident is linked to it already."""
    ctx.require("operator", "admin")
    household, member = ctx.subject(code), ctx.subject(body.member)
    try:
        ctx.platform.link_household(ctx.tenant_id, household.id, member.id, body.role)
    except IntegrityError:
        raise Conflict("the resident is linked to this household already",
                       household=household.code, member=member.code) from None
    return LinkOut(household=household.code, member=member.code, member_name=member.name,
                   role=body.role)


@router.get("/{code}/household-links", response_model=list[LinkOut])
def list_links(code: str, ctx: TenantAuth) -> list[LinkOut]:
    """The links of a household (its guardians, children and members), or of a resident (the
    households they belong to), if the caller may see the subject ``code`` (JF-PRIV-2)."""
    subject = ctx.subject(code)
    links = t.household_links.c
    with ctx.platform.db.read() as conn:
        rows = conn.execute(select(links.household_id, links.member_id, links.role).where(
            links.tenant_id == ctx.tenant_id,
            or_(links.household_id == subject.id, links.member_id == subject.id))
            .order_by(links.household_id, links.role, links.member_id)).all()
        found = {i: subjects.get_subject(conn, ctx.tenant_id, i)
                 for row in rows for i in (row.household_id, row.member_id)}
    visible = {i for i in {row.household_id for row in rows} if _may_see(ctx, found[i].code)}
    return [LinkOut(household=found[row.household_id].code, member=found[row.member_id].code,
                    member_name=found[row.member_id].name, role=LinkRole(row.role))
            for row in rows if row.household_id in visible]


def _may_see(ctx: Context, code: str) -> bool:
    try:
        ctx.subject(code)
    except (Forbidden, NotFound):
        return False
    return True
