"""Funding pools, statistics, the ledger audit and the audit log, for administrators and
auditors (JF-FUND-1, JF-STAT-1, JF-LED-5/6, JF-DUE-5)."""

from __future__ import annotations

import uuid
from datetime import date

from fastapi import APIRouter, Query
from pydantic import BaseModel

from jifen import stats
from jifen.api.deps import TenantAuth
from jifen.api.problems import PROBLEM_RESPONSES
from jifen.funding import PoolStatus
from jifen.model.claims import AuditEntry

router = APIRouter(prefix="/v1/tenants/{tenant}", tags=["administration"],
                   responses=PROBLEM_RESPONSES)
STAFF = ("admin", "operator", "auditor", "department")


class AuditOut(BaseModel):
    """The result of re-deriving balances and lots and checking the hash chain."""

    ok: bool
    transactions: int
    postings: int
    accounts: int
    lots: int
    problems: list[str]


@router.get("/pools", response_model=list[PoolStatus])
def list_pools(ctx: TenantAuth) -> list[PoolStatus]:
    """The funding pools with what each has issued (JF-FUND-1)."""
    ctx.require(*STAFF)
    return ctx.platform.funding.pools(ctx.tenant_id)


@router.get("/stats", response_model=stats.StatsReport)
def get_stats(ctx: TenantAuth, start: date, end: date,
              level: str = "community") -> stats.StatsReport:
    """Totals per org unit at ``level`` over ``[start, end)`` (JF-STAT-1)."""
    ctx.require(*STAFF)
    with ctx.platform.db.read() as conn:
        return stats.totals(conn, ctx.tenant_id, start, end, level)


@router.get("/audit", response_model=AuditOut)
def verify_audit(ctx: TenantAuth) -> AuditOut:
    """Re-derive every balance and lot and check the hash chain (auditors)."""
    ctx.require("auditor")
    report = ctx.platform.audit(ctx.tenant_id)
    return AuditOut(ok=report.ok, transactions=report.transactions, postings=report.postings,
                    accounts=report.accounts, lots=report.lots,
                    problems=[str(p) for p in report.problems])


@router.get("/audit-log", response_model=list[AuditEntry])
def audit_log(ctx: TenantAuth, entity_id: uuid.UUID | None = None, action: str | None = None,
              after: uuid.UUID | None = None,
              limit: int = Query(default=1000, ge=1, le=10_000)) -> list[AuditEntry]:
    """The tenant's log of administrative actions, oldest first (auditors; JF-DUE-5):
    optionally those on one entity (a claim, a notice batch, a subject) or of one action;
    at most ``limit`` entries, after the entry ``after`` (the last ``id`` of a page)."""
    ctx.require("auditor")
    entries = ctx.platform.audit_log(ctx.tenant_id, entity_id=entity_id, action=action)
    return [e for e in entries if after is None or e.id > after][:limit]
