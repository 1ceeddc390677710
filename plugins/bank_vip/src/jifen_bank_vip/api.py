"""The bank-VIP endpoints (``/v1/tenants/{tenant}/bank-vip``, mounted through
``register_routers``): the resident's verify-benefit code, and the bank's check of it, which
uses nothing but the tenant's public keys and shows only ``VIP lane: valid until <date>``
(JF-SCN-2, JF-CODE-2, JF-PRIV-2)."""

from __future__ import annotations

from datetime import date, datetime

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from jifen.api.deps import TenantAuth
from jifen.api.problems import PROBLEM_RESPONSES
from jifen.scenarios import BenefitCodeIssued
from jifen_bank_vip.service import BankVip, verify_vip_code

PREFIX = "/v1/tenants/{tenant}/bank-vip"
router = APIRouter(tags=["bank-vip"], responses=PROBLEM_RESPONSES)


class VerifyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: str = Field(min_length=1, max_length=4096, description="The code, as scanned.")


class VipPassOut(BaseModel):
    """All the bank learns: the benefit and its validity; never a score, a name or an id."""

    benefit: str
    valid_until: date
    expires_at: datetime
    text: str
    """``VIP lane: valid until <date>``."""


@router.post("/code", response_model=BenefitCodeIssued, status_code=201)
def issue_code(ctx: TenantAuth) -> BenefitCodeIssued:
    """The caller's own verify-benefit code for the VIP lane (consent and a score at or above
    the threshold needed: 403 `scenario.no_consent`, 409 `scenario.not_eligible`)."""
    return BankVip(ctx.platform).code(ctx.tenant_id, ctx.actor)


@router.post("/verify", response_model=VipPassOut)
def verify(body: VerifyIn, ctx: TenantAuth) -> VipPassOut:
    """The bank (role ``provider``) checks a code with the tenant's public keys only, as it
    would offline; 422 `code.*` or `bank_vip.wrong_benefit` for a code that proves nothing."""
    ctx.require("provider")
    shown = verify_vip_code(body.token, ctx.platform.codes.public_keys(ctx.tenant_id),
                            now=ctx.platform.clock.now(), tenant=ctx.principal.tenant)
    return VipPassOut(benefit=shown.benefit, valid_until=shown.valid_until,
                      expires_at=shown.expires_at, text=shown.text)
