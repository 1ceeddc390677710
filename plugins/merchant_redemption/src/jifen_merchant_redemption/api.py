"""The merchant-redemption endpoints, mounted through ``register_routers``:

- ``/v1/tenants/{tenant}/merchants``: enrol a merchant (operators, admins); a merchant's terms
  and settlement account; a quote, a redemption with the resident's pay code, a refund and the
  list of the merchant's own redemptions (the merchant's staff only, see `access`);
- ``/v1/tenants/{tenant}/settlements``: a settlement run (operators, admins; JF-FUND-2).

Amounts are integer fen and points. Writes take the core's ``Idempotency-Key``; the key also
makes the redemption or refund itself idempotent in the plugin's tables (JF-LED-3).
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Header, Query
from pydantic import BaseModel, ConfigDict, Field

from jifen.api.deps import Context, TenantAuth
from jifen.api.problems import PROBLEM_RESPONSES

from .access import staff_merchant
from .errors import InvalidMerchant, UnknownRedemption
from .models import Merchant, Redemption, SettlementReport
from .rules import DEFAULT_REFUND_WINDOW_DAYS, yuan
from .service import MerchantRedemption

MERCHANTS = "/v1/tenants/{tenant}/merchants"
SETTLEMENTS = "/v1/tenants/{tenant}/settlements"
merchants_router = APIRouter(tags=["merchant-redemption"], responses=PROBLEM_RESPONSES)
settlements_router = APIRouter(tags=["merchant-redemption"], responses=PROBLEM_RESPONSES)
KeyHeader = Annotated[str, Header(alias="Idempotency-Key", max_length=200)]
_STRICT = ConfigDict(extra="forbid", strict=True)


class MerchantIn(BaseModel):
    model_config = _STRICT

    subject: str = Field(min_length=1, max_length=100, description="A merchant subject's code.")
    category: str = "other"
    cap_percent: int | None = Field(default=None, description="Overrides the category's cap.")
    refund_window_days: int = DEFAULT_REFUND_WINDOW_DAYS


class MerchantOut(BaseModel):
    code: str
    name: str
    category: str
    cap_percent: int
    """The cap in force (JF-RED-1): the merchant's own, else its category's."""
    cap_percent_override: int | None
    refund_window_days: int
    settlement_points: int
    """Points redeemed here, not refunded, awaiting settlement (JF-FUND-2)."""


class QuoteIn(BaseModel):
    model_config = _STRICT

    bill_fen: int = Field(description="The bill in fen (1 yuan = 100 fen).")
    token: str | None = Field(default=None, max_length=4096,
                              description="The resident's pay code; it is checked, not used.")


class QuoteOut(BaseModel):
    bill_fen: int
    cap_percent: int
    cap_fen: int
    rate: int
    """Points per yuan."""
    points: int
    """The most points usable: the cap's, limited by the resident's usable points if a pay code
    was given (JF-RED-2). The resident's balance itself is not shown."""
    value_fen: int
    due_fen: int
    """What the resident pays in money when ``points`` are used."""


class RedeemIn(BaseModel):
    model_config = _STRICT

    bill_fen: int
    token: str = Field(min_length=1, max_length=4096, description="The resident's pay code.")
    points: int | None = Field(default=None, description="Use these (default: the most allowed).")


class RedemptionOut(BaseModel):
    id: uuid.UUID
    merchant: str
    bill_fen: int
    cap_percent: int
    rate: int
    cap_fen: int
    points: int
    value_fen: int
    due_fen: int
    refunded_fen: int
    refunded_points: int
    pools: dict[str, int]
    """Funding pool → points of this redemption it paid for (JF-FUND-2)."""
    created_at: datetime
    refund_until: datetime
    settled_at: datetime | None


class RefundIn(BaseModel):
    model_config = _STRICT

    refund_fen: int | None = Field(default=None, description="Default: all that is left.")


class RefundOut(BaseModel):
    id: uuid.UUID
    redemption_id: uuid.UUID
    refund_fen: int
    points: int
    """Points returned to the resident, to the lots they came from (JF-RED-4)."""
    created_at: datetime


class SettleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    until: datetime | None = Field(default=None, description="Default: now.")


class SettlementLineOut(BaseModel):
    pool: str
    merchant: str
    points: int
    fen_owed: int
    yuan_owed: str
    """What the pool owes the merchant, in yuan with two decimals."""


class SettlementOut(BaseModel):
    run_id: uuid.UUID | None
    """``null`` when there was nothing to settle."""
    until: datetime
    redemptions: int
    points: int
    fen_owed: int
    yuan_owed: str
    lines: list[SettlementLineOut]


# --- the merchant's terms -----------------------------------------------------------------------

@merchants_router.post("", response_model=MerchantOut, status_code=201)
def enrol(body: MerchantIn, ctx: TenantAuth) -> MerchantOut:
    """Enrol a subject of type ``merchant`` with its category, cap and refund window
    (operators, and admins over the merchant's org unit; JF-RED-1)."""
    ctx.require("operator", "admin")
    subject = ctx.subject(body.subject)
    merchant = MerchantRedemption(ctx.platform).enrol_merchant(
        ctx.tenant_id, subject.id, category=body.category, cap_percent=body.cap_percent,
        refund_window_days=body.refund_window_days)
    return _merchant(ctx, merchant)


@merchants_router.get("/{merchant}", response_model=MerchantOut)
def terms(merchant: str, ctx: TenantAuth) -> MerchantOut:
    """The merchant's terms and settlement account: for its staff, operators and auditors."""
    if not ctx.principal.has("operator", "auditor"):
        return _merchant(ctx, staff_merchant(ctx, merchant))
    subject = ctx.subject(merchant)
    if subject.type != "merchant":
        raise InvalidMerchant(f"subject {subject.code} is not a merchant", subject=subject.code)
    return _merchant(ctx, MerchantRedemption(ctx.platform).merchant(ctx.tenant_id, subject.id))


# --- quote, redeem, refund, list (the merchant's staff) -----------------------------------------

@merchants_router.post("/{merchant}/quotes", response_model=QuoteOut)
def quote(merchant: str, body: QuoteIn, ctx: TenantAuth) -> QuoteOut:
    """What a bill allows here (JF-RED-1, JF-RED-2), for the resident whose pay code is given:
    the code is verified but not used, so it still pays for the redemption."""
    shop = staff_merchant(ctx, merchant)
    who = None if body.token is None else ctx.platform.codes.verify(
        ctx.tenant_id, body.token, "pay").subject_id
    found = MerchantRedemption(ctx.platform).quote(ctx.tenant_id, shop.id, body.bill_fen, who)
    return QuoteOut(bill_fen=found.bill_fen, cap_percent=found.cap_percent,
                    cap_fen=found.cap_fen, rate=found.rate, points=found.max_points,
                    value_fen=found.value_fen, due_fen=found.bill_fen - found.value_fen)


@merchants_router.post("/{merchant}/redemptions", response_model=RedemptionOut,
                       status_code=201)
def redeem(merchant: str, body: RedeemIn, ctx: TenantAuth,
           idempotency_key: KeyHeader) -> RedemptionOut:
    """Redeem points on a bill with the resident's pay code, used up by this redemption
    (JF-RED-2, JF-RED-3, JF-RED-5, JF-CODE-1)."""
    shop = staff_merchant(ctx, merchant)
    done = MerchantRedemption(ctx.platform).redeem(
        ctx.tenant_id, shop.id, body.bill_fen, body.token, _key(ctx, idempotency_key),
        body.points)
    return redemption_out(shop, done)


@merchants_router.post("/{merchant}/redemptions/{redemption_id}/refund",
                       response_model=RefundOut, status_code=201)
def refund(merchant: str, redemption_id: uuid.UUID, body: RefundIn, ctx: TenantAuth,
           idempotency_key: KeyHeader) -> RefundOut:
    """Refund one of the merchant's redemptions in full or in part, within its refund window
    (JF-RED-4). Another merchant's redemption is `redemption.not_found`."""
    shop = staff_merchant(ctx, merchant)
    service = MerchantRedemption(ctx.platform)
    own_redemption(service, shop, redemption_id)
    done = service.refund(ctx.tenant_id, redemption_id, body.refund_fen,
                          idempotency_key=_key(ctx, idempotency_key))
    return RefundOut(id=done.id, redemption_id=done.redemption_id, refund_fen=done.refund_fen,
                     points=done.points, created_at=done.created_at)


@merchants_router.get("/{merchant}/redemptions", response_model=list[RedemptionOut])
def redemptions(merchant: str, ctx: TenantAuth,
                limit: Annotated[int, Query(ge=1, le=500)] = 100) -> list[RedemptionOut]:
    """The merchant's own redemptions, newest first (JF-PRIV-2)."""
    shop = staff_merchant(ctx, merchant)
    found = MerchantRedemption(ctx.platform).redemptions_of(ctx.tenant_id, shop.id, limit)
    return [redemption_out(shop, r) for r in found]


# --- settlement ----------------------------------------------------------------------------------

@settlements_router.post("", response_model=SettlementOut, status_code=201)
def settle(body: SettleIn, ctx: TenantAuth) -> SettlementOut:
    """Settle every unsettled redemption up to ``until``: what each pool owes each merchant, in
    fen and yuan; the points are marked settled (operators, admins; JF-FUND-2)."""
    ctx.require("operator", "admin")
    service = MerchantRedemption(ctx.platform)
    report = service.settle(ctx.tenant_id, until=body.until)
    return settlement_out(report, {m.id: m.code for m in service.merchants(ctx.tenant_id)})


# --- helpers -------------------------------------------------------------------------------------

def own_redemption(service: MerchantRedemption, shop: Merchant,
                   redemption_id: uuid.UUID) -> Redemption:
    """The redemption if it is ``shop``'s; `redemption.not_found` otherwise (leaking nothing)."""
    refusal = UnknownRedemption("no redemption with that id at this merchant",
                                redemption=str(redemption_id))
    try:
        found = service.redemption(shop.tenant_id, redemption_id)
    except UnknownRedemption:
        raise refusal from None
    if found.merchant_id != shop.id:
        raise refusal
    return found


def redemption_out(shop: Merchant, done: Redemption) -> RedemptionOut:
    return RedemptionOut(
        id=done.id, merchant=shop.code, bill_fen=done.bill_fen, cap_percent=done.cap_percent,
        rate=done.rate, cap_fen=done.cap_fen, points=done.points, value_fen=done.value_fen,
        due_fen=done.due_fen, refunded_fen=done.refunded_fen,
        refunded_points=done.refunded_points, pools=done.pools, created_at=done.created_at,
        refund_until=done.created_at + timedelta(days=done.refund_window_days),
        settled_at=done.settled_at)


def settlement_out(report: SettlementReport, codes: dict[uuid.UUID, str]) -> SettlementOut:
    lines = [SettlementLineOut(pool=line.pool, merchant=codes.get(line.merchant_id, "?"),
                               points=line.points, fen_owed=line.fen_owed,
                               yuan_owed=yuan(line.fen_owed)) for line in report.lines]
    return SettlementOut(run_id=report.run_id, until=report.until,
                         redemptions=report.redemptions, points=report.points,
                         fen_owed=report.fen_owed, yuan_owed=yuan(report.fen_owed), lines=lines)


def _merchant(ctx: Context, merchant: Merchant) -> MerchantOut:
    points = MerchantRedemption(ctx.platform).settlement_points(ctx.tenant_id, merchant.id)
    return MerchantOut(code=merchant.code, name=merchant.name, category=merchant.category,
                       cap_percent=merchant.cap_percent,
                       cap_percent_override=merchant.cap_percent_override,
                       refund_window_days=merchant.refund_window_days,
                       settlement_points=points)


def _key(ctx: Context, header: str) -> str:
    """The plugin's idempotency key for a request: scoped to the caller like the core's."""
    digest = hashlib.sha256(f"{ctx.principal.sub}\n{header}".encode()).hexdigest()
    return f"http:{digest}"
