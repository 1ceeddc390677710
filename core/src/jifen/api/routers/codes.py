"""Codes: a subject's own pay or identify code, and the public keys providers verify with
(JF-CODE-1, JF-CODE-2)."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from jifen.api.deps import PlatformDep, TenantAuth
from jifen.api.problems import PROBLEM_RESPONSES
from jifen.codes import IssuedCode

router = APIRouter(prefix="/v1/tenants/{tenant}/codes", tags=["codes"],
                   responses=PROBLEM_RESPONSES)


class CodeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    purpose: Literal["pay", "identify"]
    lifetime: int = Field(default=60, ge=1, le=300, description="Seconds (default 60).")


@router.post("", response_model=IssuedCode, status_code=201)
def issue_code(body: CodeIn, ctx: TenantAuth) -> IssuedCode:
    """Issue the caller's own short-lived signed code (a pay code is single-use)."""
    return ctx.platform.codes.issue(ctx.tenant_id, ctx.actor, body.purpose,
                                    lifetime=timedelta(seconds=body.lifetime))


@router.get("/keys", response_model=dict[str, str], tags=["public"])
def public_keys(tenant: str, platform: PlatformDep) -> dict[str, str]:
    """Key id → base64 Ed25519 public key: what providers verify codes with offline; public."""
    return platform.codes.public_keys(platform.tenant(tenant).id)
