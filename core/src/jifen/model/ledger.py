"""Ledger requests and views: transactions of signed postings (JF-LED-*)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

AccountCode = str
"""An account is named by a code: ``subject:<subject id>:<kind>`` or ``<type>:<kind>[:<name>]``."""


class Leg(BaseModel):
    """One side of a transaction: a signed amount in minor units on an account.

    Positive credits the account (its balance grows), negative debits it. ``lot_id`` pins a debit
    to a lot (used by reversals); otherwise debits of a lot-tracked kind take the soonest-expiring
    lots first. ``expires_at`` overrides the expiry of the lot a credit creates.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    account: AccountCode = Field(min_length=3, max_length=200)
    amount: int
    lot_id: uuid.UUID | None = None
    expires_at: datetime | None = None

    @field_validator("amount", mode="before")
    @classmethod
    def _integer_minor_units(cls, value: Any) -> Any:
        if isinstance(value, float | bool):
            raise ValueError("amount must be an integer number of minor units, never a float")
        return value


class TransactionRequest(BaseModel):
    """A request to post one transaction. Within it, the amounts of each kind sum to zero."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    idempotency_key: str = Field(min_length=1, max_length=200)
    legs: tuple[Leg, ...] = Field(min_length=2, max_length=1000)
    memo: str = Field(default="", max_length=500)
    metadata: dict[str, str] = Field(default_factory=dict)
    """Provenance: catalogue item, claim, evidence, approver, … (JF-DUE-1)."""


class PostingView(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: uuid.UUID
    transaction_id: uuid.UUID
    account: AccountCode
    kind: str
    amount: int
    lot_id: uuid.UUID | None


class TransactionView(BaseModel):
    model_config = ConfigDict(frozen=True)

    tenant_id: uuid.UUID
    id: uuid.UUID
    seq: int
    idempotency_key: str
    memo: str
    metadata: dict[str, str]
    reverses_id: uuid.UUID | None
    created_at: datetime
    hash: str
    postings: tuple[PostingView, ...]


class LotView(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: uuid.UUID
    account: AccountCode
    kind: str
    amount: int
    remaining: int
    earned_at: datetime
    expires_at: datetime | None
