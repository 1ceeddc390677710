"""Tenants and their org tree, read-only (JF-ORG-1, JF-ORG-2)."""

from __future__ import annotations

from fastapi import APIRouter

from jifen.api.deps import TenantAuth
from jifen.api.problems import PROBLEM_RESPONSES
from jifen.model import OrgUnit, Tenant

router = APIRouter(prefix="/v1/tenants/{tenant}", tags=["tenants"], responses=PROBLEM_RESPONSES)


@router.get("", response_model=Tenant)
def get_tenant(tenant: str, ctx: TenantAuth) -> Tenant:
    """The caller's tenant."""
    return ctx.platform.tenant(tenant)


@router.get("/org-units", response_model=list[OrgUnit])
def list_org_units(ctx: TenantAuth) -> list[OrgUnit]:
    """The org tree, parents before children."""
    return ctx.platform.org_units(ctx.tenant_id)
