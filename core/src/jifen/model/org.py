"""Tenants and the org tree city → district → street → community → grid (JF-ORG-1, JF-ORG-2)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

LEVELS: tuple[str, ...] = ("city", "district", "street", "community", "grid")
Level = Literal["city", "district", "street", "community", "grid"]

Code = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class TenantCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Code
    name: str = Field(min_length=1, max_length=200)
    timezone: str = "Asia/Shanghai"


class Tenant(TenantCreate):
    model_config = ConfigDict(frozen=True)

    id: uuid.UUID
    created_at: datetime


class OrgUnitCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Code
    name: str = Field(min_length=1, max_length=200)
    level: Level
    parent_code: str | None = None


class OrgUnit(BaseModel):
    model_config = ConfigDict(frozen=True)

    tenant_id: uuid.UUID
    id: uuid.UUID
    code: str
    name: str
    level: Level
    parent_id: uuid.UUID | None
    path: str
    """Materialised path of ids from the root, ``/``-separated: ancestors are prefixes."""
