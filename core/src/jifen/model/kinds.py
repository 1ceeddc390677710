"""Point kinds and account types, as registered by plugins (JF-KIND-*, JF-LED-1)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class PointKind(BaseModel):
    """A kind of points and the rules the ledger enforces for it.

    ``scale`` is the number of decimal places (stored as integer minor units). ``transferable``
    False means the kind can only be issued to and taken back from subjects, never moved between
    subjects, spent at a merchant or converted (moral points, JF-KIND-3). ``lots`` True makes every
    credit to a subject a lot with an expiry, consumed soonest-expiring first (JF-EXP-1, JF-RED-5).
    ``negative_allowed`` lets a subject's balance go below zero (moral deductions lower a score).
    """

    model_config = ConfigDict(frozen=True)

    name: str = Field(pattern=r"^[a-z][a-z0-9_]{1,31}$")
    label: str
    scale: int = Field(ge=0, le=4)
    transferable: bool
    lots: bool = False
    negative_allowed: bool = False


class AccountType(BaseModel):
    """A type of ledger account.

    ``system`` accounts belong to the tenant, not to a subject (issuance, expiry, settlement …).
    ``negative_allowed`` True for accounts whose balance mirrors what was issued (the issuance
    account's balance is minus everything in circulation).
    """

    model_config = ConfigDict(frozen=True)

    name: str = Field(pattern=r"^[a-z][a-z0-9_]{1,31}$")
    label: str
    system: bool
    negative_allowed: bool = False
