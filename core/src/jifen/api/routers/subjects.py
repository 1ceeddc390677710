"""Subjects: create (operators, admins; JF-PRIV-5) and read one's own (JF-SUB-*, JF-PRIV-2)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from jifen.api.deps import TenantAuth
from jifen.api.problems import PROBLEM_RESPONSES
from jifen.errors import Forbidden
from jifen.model import Subject, SubjectCreate

router = APIRouter(prefix="/v1/tenants/{tenant}/subjects", tags=["subjects"],
                   responses=PROBLEM_RESPONSES)


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
