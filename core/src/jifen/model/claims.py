"""Claims and their due process: requests, views, notices, objections, appeals (JF-EARN-*, JF-DUE-*)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class ClaimState(StrEnum):
    """submitted → approved | rejected → in_notice → final; objected goes back to review;
    withdrawn by the claimant; reversed when a final award is corrected or a deduction is
    overturned on appeal (JF-EARN-1)."""

    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"
    IN_NOTICE = "in_notice"
    OBJECTED = "objected"
    FINAL = "final"
    WITHDRAWN = "withdrawn"
    REVERSED = "reversed"


class ClaimSubmit(BaseModel):
    """A request to award (or deduct) points for one catalogue item (申报)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    idempotency_key: str = Field(min_length=1, max_length=200)
    subject_id: uuid.UUID
    item: str = Field(min_length=1, max_length=64)
    deed_date: date
    units: int | None = Field(default=None, ge=1)
    """For per-unit items: how many units (e.g. volunteer hours)."""
    amount: str | None = None
    """For range items: the amount proposed, as a decimal string (the reviewer decides)."""
    evidence: dict[str, str] = Field(default_factory=dict)
    """References to the evidence (photo hash, activity id, certificate number, …)."""
    submitted_by: uuid.UUID | None = None
    """Who files it: the subject, or an official for them (JF-PRIV-5); ``None`` for a system feed."""


class CapOutcome(BaseModel):
    """What the caps did to an award (JF-CAT-2): nothing, reduced it, or refused it."""

    model_config = ConfigDict(frozen=True)

    outcome: Literal["none", "reduced", "refused"]
    requested: int
    granted: int
    cap: str | None = None
    """Which cap decided, e.g. ``item volunteer.hour per_month`` or ``category volunteering per_year``."""


class Claim(BaseModel):
    model_config = ConfigDict(frozen=True)

    tenant_id: uuid.UUID
    id: uuid.UUID
    subject_id: uuid.UUID
    item_code: str
    item_version: date
    category: str
    kind: str
    deed_date: date
    units: int | None
    requested: int | None
    amount: int | None
    evidence: dict[str, str]
    evidence_fingerprint: str
    state: ClaimState
    submitted_by: uuid.UUID | None
    submitted_at: datetime
    reviewed_by: uuid.UUID | None
    reviewed_at: datetime | None
    cap_note: str | None
    reason: str | None
    notice_batch_id: uuid.UUID | None
    notice_ends_on: date | None
    transaction_id: uuid.UUID | None
    decided_at: datetime | None


class Decision(BaseModel):
    """The reply to a review: the claim as it now stands and what the caps did."""

    model_config = ConfigDict(frozen=True)

    claim: Claim
    caps: CapOutcome


class NoticeBatch(BaseModel):
    """One published notice list (赋分批次, JF-EARN-6)."""

    model_config = ConfigDict(frozen=True)

    tenant_id: uuid.UUID
    id: uuid.UUID
    org_unit_id: uuid.UUID
    published_by: uuid.UUID
    published_at: datetime
    starts_on: date
    ends_on: date
    closed_at: datetime | None
    entries: int = 0


class PublicEntry(BaseModel):
    """One line of a public notice list: masked name, no identifiers (JF-DUE-4)."""

    model_config = ConfigDict(frozen=True)

    entry: int
    name: str
    org_unit: str
    item: str
    amount: str
    deed_date: date


class PublicNotice(BaseModel):
    model_config = ConfigDict(frozen=True)

    batch_id: uuid.UUID
    org_unit: str
    starts_on: date
    ends_on: date
    entries: tuple[PublicEntry, ...]


class Objection(BaseModel):
    model_config = ConfigDict(frozen=True)

    tenant_id: uuid.UUID
    id: uuid.UUID
    claim_id: uuid.UUID
    raised_by: uuid.UUID | None
    raised_at: datetime
    grounds: str
    state: Literal["open", "upheld", "dismissed"]
    decided_by: uuid.UUID | None
    decided_at: datetime | None
    decision_reason: str | None


class Appeal(BaseModel):
    model_config = ConfigDict(frozen=True)

    tenant_id: uuid.UUID
    id: uuid.UUID
    claim_id: uuid.UUID
    filed_by: uuid.UUID
    filed_at: datetime
    grounds: str
    state: Literal["open", "upheld", "dismissed"]
    decided_by: uuid.UUID | None
    decided_at: datetime | None
    decision_reason: str | None


class AuditEntry(BaseModel):
    """One administrative action (JF-DUE-5); a claim's history is its entries (JF-EARN-2)."""

    model_config = ConfigDict(frozen=True)

    id: uuid.UUID
    at: datetime
    actor_id: uuid.UUID | None
    actor: str
    action: str
    entity: str
    entity_id: uuid.UUID | None
    reason: str
    data: dict[str, str]
