"""The problem list over HTTP under ``/v1/tenants/{tenant}/orders`` (JF-ORD-1..3), mounted by
the ``register_routers`` hook.

A community reviewer posts an order and verifies it (or sends it back); a department, calling
with its own token, sees the open orders of its remit, grabs one (exactly one grab wins) and
completes it with evidence; the reporting resident confirms or objects; operators set remits
and reopen overdue orders. An order the caller may not see is 404, like an unknown one.
"""

from __future__ import annotations

import uuid
from datetime import date

from fastapi import APIRouter, Header
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, PositiveInt

from jifen import subjects
from jifen.api.deps import Context, TenantAuth
from jifen.api.problems import PROBLEM_RESPONSES
from jifen.errors import Forbidden, NotFound
from jifen_order_grabbing import departments as deps
from jifen_order_grabbing.models import (
    CATEGORY_PATTERN,
    DEFAULT_REPORTER_DAYS,
    Order,
    OrderPost,
    OrderState,
    RankingRow,
)
from jifen_order_grabbing.service import Orders

PREFIX = "/v1/tenants/{tenant}/orders"
router = APIRouter(tags=["orders"], responses=PROBLEM_RESPONSES)
STAFF = ("operator", "auditor", "reviewer")


class OrderIn(BaseModel):
    """A problem a community posts (JF-ORD-1); ``reporter`` is the code of the resident whose
    photo report (随手拍) led to it (none: an inspection)."""

    model_config = ConfigDict(extra="forbid")

    community: str = Field(min_length=1, max_length=64)
    grid: str = Field(min_length=1, max_length=64)
    category: str = Field(pattern=CATEGORY_PATTERN)
    description: str = Field(min_length=1, max_length=1000)
    deadline: AwareDatetime
    reward: PositiveInt
    pool: str | None = Field(default=None, min_length=1, max_length=64)
    reporter: str | None = Field(default=None, min_length=1, max_length=64)
    reporter_days: int = Field(default=DEFAULT_REPORTER_DAYS, ge=0, le=60)


class EvidenceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    evidence: str = Field(max_length=1000, description="a photo's hash, a work sheet's number…")


class ReasonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(max_length=1000)


class RemitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    categories: list[str] = Field(description="the problem categories the department covers")


class Remit(BaseModel):
    department: str
    categories: list[str]


def _orders(ctx: Context) -> Orders:
    return Orders(ctx.platform)


def _subject_id(ctx: Context, code: str) -> uuid.UUID:
    with ctx.platform.db.read() as conn:
        return subjects.find_by_code(conn, ctx.tenant_id, code).id


def _covers(ctx: Context, category: str) -> bool:
    with ctx.platform.db.read() as conn:
        return deps.covers(conn, ctx.tenant_id, ctx.actor, category)


def visible(ctx: Context, order_id: uuid.UUID) -> Order:
    """The order if the caller may see it: staff, the department holding it, a department
    whose remit covers it while open, the reporter. Otherwise 404, as for no such order."""
    found = _orders(ctx).get(ctx.tenant_id, order_id)
    me = ctx.principal.subject_id
    if ctx.principal.has(*STAFF) or (me is not None and me in (found.department_id,
                                                               found.reporter_id)):
        return found
    if found.state == OrderState.OPEN and ctx.principal.has("department") and _covers(
            ctx, found.category):
        return found
    raise NotFound("no such order", order=str(order_id))


@router.post("", response_model=Order, status_code=201)
def post_order(body: OrderIn, ctx: TenantAuth,
               idempotency_key: str = Header(alias="Idempotency-Key")) -> Order:
    """Post a problem with category, grid, deadline and reward (a reviewer at community level
    or above over the community, JF-ORD-1)."""
    reporter = None if body.reporter is None else _subject_id(ctx, body.reporter)
    request = OrderPost(idempotency_key=f"api:{ctx.principal.sub}:{idempotency_key}",
                        reporter_id=reporter, **body.model_dump(exclude={"reporter"}))
    return _orders(ctx).post(ctx.tenant_id, request, ctx.actor)


@router.get("", response_model=list[Order])
def list_orders(ctx: TenantAuth, state: OrderState | None = None) -> list[Order]:
    """Staff: every order (optionally in one ``state``). A department: the open orders of its
    remit and the orders it holds."""
    orders = _orders(ctx)
    if ctx.principal.has(*STAFF):
        return orders.list_orders(ctx.tenant_id, state=state)
    if not ctx.principal.has("department"):
        raise Forbidden("the problem list is for staff and departments (JF-ORD-2)")
    found = orders.open_orders(ctx.tenant_id, ctx.actor) + orders.list_orders(
        ctx.tenant_id, department_id=ctx.actor)
    return [o for o in found if state is None or o.state == state]


@router.get("/ranking", response_model=list[RankingRow])
def ranking(ctx: TenantAuth, since: date, until: date) -> list[RankingRow]:
    """The departments' assessment ranking (考核) of a period, both days included (JF-ORD-3)."""
    if not ctx.principal.has(*STAFF, "department"):
        raise Forbidden("the ranking is for staff and departments")
    return _orders(ctx).ranking(ctx.tenant_id, since, until)


@router.post("/reopen-overdue", response_model=list[Order])
def reopen_overdue(ctx: TenantAuth) -> list[Order]:
    """Reopen every order held past its deadline (operators; also a scheduled job), recording
    the lapse (JF-ORD-3)."""
    ctx.require("operator")
    return _orders(ctx).reopen_overdue(ctx.tenant_id)


@router.put("/departments/{code}/remit", response_model=Remit)
def set_remit(code: str, body: RemitIn, ctx: TenantAuth) -> Remit:
    """Set the categories a department covers (operators)."""
    ctx.require("operator")
    categories = _orders(ctx).set_remit(ctx.tenant_id, _subject_id(ctx, code), body.categories,
                                        actor=ctx.principal.sub)
    return Remit(department=code, categories=list(categories))


@router.get("/{order_id}", response_model=Order)
def get_order(order_id: uuid.UUID, ctx: TenantAuth) -> Order:
    """One order, if the caller may see it (else 404)."""
    return visible(ctx, order_id)


@router.post("/{order_id}/grab", response_model=Order)
def grab(order_id: uuid.UUID, ctx: TenantAuth) -> Order:
    """The calling department grabs an open order of its remit; exactly one grab wins (409
    `order.already_grabbed` for the others, JF-ORD-2); outside its remit the order is 404."""
    if not ctx.principal.has("department"):
        raise Forbidden("departments grab orders, each for itself (JF-ORD-2)")
    if not _covers(ctx, _orders(ctx).get(ctx.tenant_id, order_id).category):
        raise NotFound("no such order", order=str(order_id))
    return _orders(ctx).grab(ctx.tenant_id, order_id, ctx.actor)


@router.post("/{order_id}/complete", response_model=Order)
def complete(order_id: uuid.UUID, body: EvidenceIn, ctx: TenantAuth) -> Order:
    """The department holding the order reports it done, with evidence (422
    `order.evidence_required` without)."""
    visible(ctx, order_id)
    return _orders(ctx).complete(ctx.tenant_id, order_id, ctx.actor, body.evidence)


@router.post("/{order_id}/confirm", response_model=Order)
def confirm(order_id: uuid.UUID, ctx: TenantAuth) -> Order:
    """The reporting resident confirms the completion."""
    visible(ctx, order_id)
    return _orders(ctx).confirm(ctx.tenant_id, order_id, ctx.actor)


@router.post("/{order_id}/object", response_model=Order)
def object_to(order_id: uuid.UUID, body: ReasonIn, ctx: TenantAuth) -> Order:
    """The reporting resident says, with a reason, that the problem is not solved."""
    visible(ctx, order_id)
    return _orders(ctx).object(ctx.tenant_id, order_id, ctx.actor, body.reason)


@router.post("/{order_id}/verify", response_model=Order)
def verify(order_id: uuid.UUID, ctx: TenantAuth) -> Order:
    """The community verifies a completed order: the department is rewarded from the pool
    (split to its staff), the reporter earns the catalogue's reward (JF-ORD-3, JF-ORD-4)."""
    visible(ctx, order_id)
    return _orders(ctx).verify(ctx.tenant_id, order_id, ctx.actor)


@router.post("/{order_id}/send-back", response_model=Order)
def send_back(order_id: uuid.UUID, body: ReasonIn, ctx: TenantAuth) -> Order:
    """The community refuses a completion with a reason; the department completes it again."""
    visible(ctx, order_id)
    return _orders(ctx).send_back(ctx.tenant_id, order_id, ctx.actor, body.reason)
