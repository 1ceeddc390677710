"""Subjects: who holds points (JF-SUB-*)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, SecretStr


class SubjectType(BaseModel):
    """A type of subject, registered through ``register_subject_types`` (JF-SUB-1).

    ``needs_grid`` True means every subject of the type belongs to a grid (residents, JF-ORG-2).
    """

    model_config = ConfigDict(frozen=True)

    name: str = Field(pattern=r"^[a-z][a-z0-9_]{1,31}$")
    label: str
    needs_grid: bool = False


class SubjectCreate(BaseModel):
    """What a caller gives to create a subject. National ID and phone are secrets: they are
    stored only as a keyed hash (for lookup) and encrypted (for recovery), never in clear (JF-SUB-3).
    """

    model_config = ConfigDict(extra="forbid")

    type: str
    name: str = Field(min_length=1, max_length=200)
    org_unit_code: str
    national_id: SecretStr | None = None
    phone: SecretStr | None = None
    external_ref: str | None = Field(default=None, max_length=200)


class Subject(BaseModel):
    model_config = ConfigDict(frozen=True)

    tenant_id: uuid.UUID
    id: uuid.UUID
    type: str
    name: str
    org_unit_id: uuid.UUID
    code: str
    """The subject's public handle (一户一码 for households), unique in the tenant (JF-SUB-4)."""
    created_at: datetime


class LinkRole(StrEnum):
    guardian = "guardian"
    child = "child"
    member = "member"


class HouseholdLink(BaseModel):
    model_config = ConfigDict(frozen=True)

    household_id: uuid.UUID
    member_id: uuid.UUID
    role: LinkRole
