"""The plugin's public value types: merchants, redemptions, refunds, settlements and the report.

All amounts are integers: fen (1 yuan = 100 fen) and points.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict


class Merchant(BaseModel):
    """A merchant: a jifen subject of type ``merchant`` and its redemption terms (JF-RED-1)."""

    model_config = ConfigDict(frozen=True)

    tenant_id: uuid.UUID
    id: uuid.UUID
    """The merchant's subject id; its settlement account is ``settlement:material:<id>``."""
    code: str
    name: str
    org_unit_id: uuid.UUID
    category: str
    cap_percent_override: int | None
    cap_percent: int
    """The cap in force: the override, else the category's default."""
    refund_window_days: int


class Redemption(BaseModel):
    """One redemption at a merchant, with the points each pool paid for (JF-RED-*, JF-FUND-2)."""

    model_config = ConfigDict(frozen=True)

    tenant_id: uuid.UUID
    id: uuid.UUID
    merchant_id: uuid.UUID
    resident_id: uuid.UUID
    idempotency_key: str
    bill_fen: int
    cap_percent: int
    rate: int
    cap_fen: int
    points: int
    value_fen: int
    """What the points took off the bill: ``ceil(points × 100 / rate)``, at most ``cap_fen``."""
    refund_window_days: int
    refunded_fen: int
    refunded_points: int
    transaction_id: uuid.UUID
    created_at: datetime
    settled_at: datetime | None
    pools: dict[str, int]
    """Pool code → points of this redemption the pool paid for (before refunds)."""

    @property
    def due_fen(self) -> int:
        """What the resident pays in money: the bill less the value the points deducted."""
        return self.bill_fen - self.value_fen


class Refund(BaseModel):
    """A full or partial refund of a redemption (JF-RED-4)."""

    model_config = ConfigDict(frozen=True)

    tenant_id: uuid.UUID
    id: uuid.UUID
    redemption_id: uuid.UUID
    idempotency_key: str
    refund_fen: int
    points: int
    """Points returned to the resident's lots."""
    transaction_id: uuid.UUID | None
    created_at: datetime


class SettlementLine(BaseModel):
    """What one pool owes one merchant in one settlement run (JF-FUND-2)."""

    model_config = ConfigDict(frozen=True)

    pool: str
    merchant_id: uuid.UUID
    rate: int
    points: int
    fen_owed: int


class SettlementReport(BaseModel):
    """A settlement run: the redemptions it settled and what each pool owes each merchant."""

    model_config = ConfigDict(frozen=True)

    run_id: uuid.UUID | None
    """``None`` when there was nothing to settle (nothing was written)."""
    until: datetime
    redemptions: int
    lines: list[SettlementLine]

    @property
    def points(self) -> int:
        return sum(line.points for line in self.lines)

    @property
    def fen_owed(self) -> int:
        return sum(line.fen_owed for line in self.lines)


class ReportLine(BaseModel):
    """Per pool and merchant: points redeemed, refunded and settled, and their value in fen."""

    model_config = ConfigDict(frozen=True)

    pool: str
    merchant_id: uuid.UUID
    merchant_code: str
    merchant_name: str
    redeemed_points: int
    refunded_points: int
    settled_points: int
    redeemed_fen: int
    refunded_fen: int
    settled_fen: int
    """What the pool owes the merchant for the settled points (sum of its settlement rows)."""

    @property
    def unsettled_points(self) -> int:
        return self.redeemed_points - self.refunded_points - self.settled_points
