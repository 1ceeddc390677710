"""The hospital-priority endpoints (``/v1/tenants/{tenant}/hospital``, mounted through
``register_routers``): the departments and their daily quotas, booking a priority slot for
oneself or one's household's child (JF-SCN-4), the booking's verify-benefit code, cancelling,
and the hospital's check of a code with the tenant's public keys only (JF-CODE-2)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from fastapi import APIRouter, Header
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from jifen import subjects
from jifen.api.deps import Context, TenantAuth
from jifen.api.problems import PROBLEM_RESPONSES
from jifen.api.routers.scenarios import acting_for
from jifen.errors import Forbidden
from jifen.scenarios import Booking
from jifen.store import tables as t
from jifen_hospital_priority.scenario import SCENARIO
from jifen_hospital_priority.service import HospitalPriority, verify_confirmation

PREFIX = "/v1/tenants/{tenant}/hospital"
router = APIRouter(tags=["hospital-priority"], responses=PROBLEM_RESPONSES)


class Departments(BaseModel):
    departments: dict[str, int]
    """Department (``<hospital>:<department>``) → priority slots a day."""
    max_uses_per_month: int
    """K: bookings a resident may hold per calendar month."""


class BookIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    department: str = Field(min_length=1, max_length=100)
    day: date
    subject: str = Field(default="me", description="``me``, or a child of the caller's "
                         "household (the caller a guardian).")


class CancelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(default="", max_length=500)


class BookingOut(BaseModel):
    id: uuid.UUID
    subject: str
    """The code of whom the slot is for."""
    department: str
    day: date
    state: str
    token: str | None
    """The verify-benefit code for the hospital (absent on a cancelled booking)."""
    decision_id: uuid.UUID
    created_at: datetime
    cancelled_at: datetime | None


class CodeOut(BaseModel):
    token: str


class VerifyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: str = Field(min_length=1, max_length=4096)
    hospital: str | None = Field(default=None, description="Refuse slots of other hospitals.")


class ConfirmationOut(BaseModel):
    """All the hospital learns: the benefit (with its department) and its validity."""

    benefit: str
    department: str
    valid_until: date
    expires_at: datetime
    text: str


@router.get("/departments", response_model=Departments)
def departments(ctx: TenantAuth) -> Departments:
    """The departments with priority slots, their daily quotas and K, as the tenant applies
    them."""
    service = HospitalPriority(ctx.platform)
    return Departments(departments=service.departments(ctx.tenant_id),
                       max_uses_per_month=service.monthly_limit(ctx.tenant_id))


@router.post("/bookings", response_model=BookingOut, status_code=201)
def book(body: BookIn, ctx: TenantAuth,
         idempotency_key: str = Header(alias="Idempotency-Key")) -> BookingOut:
    """Book a priority slot (409 `scenario.quota_full`, 409 `scenario.monthly_limit`, 403
    `scenario.no_consent`, 409 `scenario.not_eligible`); a retry with the same key answers with
    the same booking."""
    found = acting_for(ctx, body.subject)
    booking = HospitalPriority(ctx.platform).book(
        ctx.tenant_id, found.id, body.department, body.day,
        f"api:{ctx.principal.sub}:{idempotency_key}", booked_by=ctx.actor)
    return _out(found.code, booking)


@router.get("/bookings", response_model=list[BookingOut])
def list_bookings(ctx: TenantAuth, subject: str = "me") -> list[BookingOut]:
    """The bookings of ``me`` (or of one's household's child), oldest first, without codes."""
    found = acting_for(ctx, subject)
    b = t.scenario_bookings.c
    with ctx.platform.db.read() as conn:
        rows = conn.execute(select(t.scenario_bookings).where(
            b.tenant_id == ctx.tenant_id, b.scenario == SCENARIO, b.subject_id == found.id)
            .order_by(b.created_at, b.id)).mappings().all()
    return [_out(found.code, Booking.model_validate(dict(r))) for r in rows]


@router.post("/bookings/{booking_id}/code", response_model=CodeOut, status_code=201)
def booking_code(booking_id: uuid.UUID, ctx: TenantAuth) -> CodeOut:
    """A fresh code for one's booked slot (403 `scenario.no_consent` after a withdrawal)."""
    booking = _own(ctx, booking_id)[1]
    return CodeOut(token=HospitalPriority(ctx.platform).confirmation_code(booking))


@router.post("/bookings/{booking_id}/cancel", response_model=BookingOut)
def cancel(booking_id: uuid.UUID, body: CancelIn, ctx: TenantAuth) -> BookingOut:
    """Cancel one's booking: the slot and the month's use are freed (409 if cancelled)."""
    code, booking = _own(ctx, booking_id)
    return _out(code, HospitalPriority(ctx.platform).cancel(
        ctx.tenant_id, booking.id, actor=ctx.actor, reason=body.reason))


@router.post("/verify", response_model=ConfirmationOut)
def verify(body: VerifyIn, ctx: TenantAuth) -> ConfirmationOut:
    """The hospital (role ``provider``) checks a slot's code with the tenant's public keys
    only; 422 `code.*`, `hospital.not_a_slot` or `hospital.other_hospital` otherwise."""
    ctx.require("provider")
    shown = verify_confirmation(body.token, ctx.platform.codes.public_keys(ctx.tenant_id),
                                now=ctx.platform.clock.now(), tenant=ctx.principal.tenant,
                                hospital=body.hospital)
    return ConfirmationOut(text=shown.text, **shown.model_dump())


def _own(ctx: Context, booking_id: uuid.UUID) -> tuple[str, Booking]:
    """A booking the caller may act on (theirs or their child's); 403 for any other id."""
    b = t.scenario_bookings.c
    with ctx.platform.db.read() as conn:
        row = conn.execute(select(t.scenario_bookings).where(
            b.tenant_id == ctx.tenant_id, b.scenario == SCENARIO, b.id == booking_id)
            ).mappings().first()
        if row is None:
            raise Forbidden("not your booking, nor your child's (JF-PRIV-2)")
        code = subjects.get_subject(conn, ctx.tenant_id, row["subject_id"]).code
    acting_for(ctx, code)
    return code, Booking.model_validate(dict(row))


def _out(code: str, booking: Booking) -> BookingOut:
    return BookingOut(id=booking.id, subject=code, department=booking.unit, day=booking.day,
                      state=booking.state, token=booking.token, decision_id=booking.decision_id,
                      created_at=booking.created_at, cancelled_at=booking.cancelled_at)
