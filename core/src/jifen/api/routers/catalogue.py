"""The catalogue in force (积分清单, JF-CAT-1)."""

from __future__ import annotations

from fastapi import APIRouter

from jifen import configure
from jifen.api.deps import TenantAuth
from jifen.api.problems import PROBLEM_RESPONSES
from jifen.config import CatalogueItem

router = APIRouter(prefix="/v1/tenants/{tenant}/catalogue", tags=["catalogue"],
                   responses=PROBLEM_RESPONSES)


@router.get("", response_model=list[CatalogueItem])
def list_catalogue(ctx: TenantAuth) -> list[CatalogueItem]:
    """Every published item version of the tenant's catalogue."""
    with ctx.platform.db.read() as conn:
        return configure.catalogue(conn, ctx.tenant_id)
