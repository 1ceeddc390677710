"""The pydantic types of the problem list: an order as posted and as it stands, a department's
remit and staff, and a line of the assessment ranking (JF-ORD-1..4)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, PositiveInt

CATEGORY_PATTERN = r"^[a-z][a-z0-9_.-]{0,63}$"
Source = Literal["photo_report", "inspection"]
ReporterResponse = Literal["confirmed", "objected"]
DEFAULT_REPORTER_DAYS = 3
"""Days a reporting resident has, from completion, to confirm or object (a plugin default)."""


class OrderState(StrEnum):
    """``open → grabbed → completed → verified``; ``completed → grabbed`` (sent back);
    ``grabbed → open`` (overdue, reopened)."""

    OPEN = "open"
    GRABBED = "grabbed"
    COMPLETED = "completed"
    VERIFIED = "verified"


class OrderPost(BaseModel):
    """What a community posts (JF-ORD-1).

    ``grid`` is the code of an org unit at or under ``community``; ``reward`` is in material
    points, drawn from ``pool`` (default: the tenant's ``default_pool``) when the order is
    verified. ``reporter_id`` names the resident whose photo report (随手拍) led to the order;
    without one the source is an inspection. ``reporter_days`` is how long that resident has,
    from completion, to confirm or object.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    idempotency_key: str = Field(min_length=1, max_length=200)
    community: str = Field(min_length=1, max_length=64)
    grid: str = Field(min_length=1, max_length=64)
    category: str = Field(pattern=CATEGORY_PATTERN)
    description: str = Field(min_length=1, max_length=1000)
    deadline: AwareDatetime
    reward: PositiveInt
    pool: str | None = Field(default=None, min_length=1, max_length=64)
    reporter_id: uuid.UUID | None = None
    reporter_days: int = Field(default=DEFAULT_REPORTER_DAYS, ge=0, le=60)

    @property
    def source(self) -> Source:
        return "photo_report" if self.reporter_id else "inspection"


class Order(BaseModel):
    """An order as it stands."""

    model_config = ConfigDict(frozen=True)

    id: uuid.UUID
    category: str
    community: str
    grid: str
    description: str
    source: Source
    reporter_id: uuid.UUID | None
    reporter_days: int
    reward: int
    pool: str
    deadline: datetime
    posted_by: uuid.UUID
    posted_at: datetime
    state: OrderState
    department_id: uuid.UUID | None
    grabbed_at: datetime | None
    evidence: str | None
    completed_at: datetime | None
    reporter_response: ReporterResponse | None
    reporter_reason: str | None
    verified_by: uuid.UUID | None
    verified_at: datetime | None
    transaction_id: uuid.UUID | None
    reporter_claim_id: uuid.UUID | None
    reporter_reward_note: str | None
    send_backs: int
    reopened: int


class Lapse(BaseModel):
    """A department that held an order past its deadline; the order was reopened (JF-ORD-3)."""

    model_config = ConfigDict(frozen=True)

    order_id: uuid.UUID
    department_id: uuid.UUID
    grabbed_at: datetime
    deadline: datetime
    reopened_at: datetime


class Department(BaseModel):
    """A department with its remit (problem categories) and its staff's shares in percent."""

    model_config = ConfigDict(frozen=True)

    id: uuid.UUID
    name: str
    code: str
    categories: tuple[str, ...]
    staff: dict[uuid.UUID, int]


class RankingRow(BaseModel):
    """One department's line of the assessment ranking (考核) for a period (JF-ORD-3)."""

    model_config = ConfigDict(frozen=True)

    rank: int
    department_id: uuid.UUID
    name: str
    points: int = Field(description="material points of the orders verified in the period, "
                                    "staff shares included")
    verified: int
    lapsed: int = Field(description="orders reopened in the period after the department let "
                                    "them lapse")
