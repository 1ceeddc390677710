"""Balances and history with provenance, and scores with explanations (JF-DUE-1, JF-SCORE-*).

Residents read their own and their household's (``me`` for oneself); staff the subjects their
roles cover (JF-PRIV-2).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel

from jifen.api.deps import TenantAuth
from jifen.api.problems import PROBLEM_RESPONSES
from jifen.ledger import subject_account
from jifen.model.points import format_minor
from jifen.scoring import Score

router = APIRouter(prefix="/v1/tenants/{tenant}/subjects/{code}", tags=["ledger"],
                   responses=PROBLEM_RESPONSES)


class Balance(BaseModel):
    kind: str
    amount: str
    """Decimal string in the kind's unit (exact)."""
    minor: int
    """Integer minor units (tenths of a moral point, fen)."""


class Balances(BaseModel):
    subject: str
    balances: list[Balance]


class HistoryEntry(BaseModel):
    """One posting on the subject's account with the provenance its transaction records:
    item, evidence fingerprint, approver, notice batch and its end, pool (JF-DUE-1)."""

    transaction_id: uuid.UUID
    created_at: datetime
    kind: str
    amount: str
    minor: int
    memo: str
    reverses_id: uuid.UUID | None
    provenance: dict[str, str]


@router.get("/balances", response_model=Balances)
def get_balances(code: str, ctx: TenantAuth) -> Balances:
    """The subject's balance in every point kind."""
    subject = ctx.subject(code)
    rows = []
    for kind in ctx.platform.registry.kinds.values():
        minor = ctx.platform.ledger.balance(ctx.tenant_id, subject_account(subject.id, kind.name))
        rows.append(Balance(kind=kind.name, amount=format_minor(minor, kind.scale), minor=minor))
    return Balances(subject=subject.code, balances=rows)


@router.get("/history", response_model=list[HistoryEntry])
def get_history(code: str, kind: str, ctx: TenantAuth) -> list[HistoryEntry]:
    """Every posting on the subject's account of ``kind``, oldest first, with provenance."""
    subject = ctx.subject(code)
    scale = ctx.platform.registry.kind(kind).scale
    account = subject_account(subject.id, kind)
    entries = []
    for view in ctx.platform.ledger.history(ctx.tenant_id, account):
        minor = sum(p.amount for p in view.postings if p.account == account)
        entries.append(HistoryEntry(
            transaction_id=view.id, created_at=view.created_at, kind=kind,
            amount=format_minor(minor, scale), minor=minor, memo=view.memo,
            reverses_id=view.reverses_id, provenance=view.metadata))
    return entries


@router.get("/score", response_model=Score)
def get_score(code: str, ctx: TenantAuth) -> Score:
    """The subject's contribution score now, with its explanation (JF-SCORE-1/2)."""
    return ctx.platform.score(ctx.tenant_id, ctx.subject(code).id)
