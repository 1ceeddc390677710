"""The demo login: a subject's password for a bearer token, rate limited (JF-PRIV-1)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from jifen.api.auth import LoginLimiter, check_password, issue_token, login_roles
from jifen.api.deps import PlatformDep, get_settings
from jifen.api.problems import PROBLEM_RESPONSES
from jifen.api.settings import ApiSettings
from jifen.errors import BadCredentials

router = APIRouter(prefix="/v1/auth", tags=["auth"], responses=PROBLEM_RESPONSES)


class LoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tenant: str = Field(min_length=1, max_length=64)
    subject: str = Field(min_length=1, max_length=64, description="The subject's code.")
    password: str = Field(min_length=1, max_length=200)


class TokenOut(BaseModel):
    """An OAuth2 bearer token response."""

    access_token: str
    token_type: str = "bearer"
    expires_at: datetime
    roles: list[str]


def _limiter(request: Request) -> LoginLimiter:
    limiter: LoginLimiter = request.app.state.login_limiter
    return limiter


@router.post("/login", response_model=TokenOut)
def login(body: LoginIn, request: Request, platform: PlatformDep,
          settings: Annotated[ApiSettings, Depends(get_settings)],
          limiter: Annotated[LoginLimiter, Depends(_limiter)]) -> TokenOut:
    """A token for the subject's roles (its type and its granted roles). After
    ``login_max_failures`` failures within the window, per subject and per client address,
    429 `auth.rate_limited`."""
    keys = (f"subject:{body.tenant}:{body.subject}",
            f"ip:{request.client.host if request.client else '?'}")
    limiter.check(*keys)
    try:
        subject_id = check_password(platform, body.tenant, body.subject, body.password)
    except BadCredentials:
        limiter.failed(*keys)
        raise
    tenant_id = platform.tenant(body.tenant).id
    roles = login_roles(platform, tenant_id, subject_id)
    token, expires = issue_token(platform, body.tenant, body.subject, roles,
                                 ttl=settings.token_ttl)
    return TokenOut(access_token=token, expires_at=expires, roles=[str(r) for r in roles])
