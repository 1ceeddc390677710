"""Capacity mode (JF-SCN-4), e.g. priority specialist appointments: a daily quota of priority
slots per provider unit (a hospital department), and at most K uses per resident per month.

Options: ``daily_quota`` (unit → slots a day; the units are the plugin's strings) and
``max_uses_per_month`` (K, counted per calendar month of the booked day).

A booking takes two counters in one database transaction with the booking row: the unit-day
counter (``unit:<unit>:<day>``) and the resident-month counter
(``subject:<id>:<YYYY-MM>``) of the table ``scenario_counters``. Each is raised by a
conditional ``UPDATE … SET used = used + 1 WHERE … AND used < limit`` after its row is
inserted if missing (``ON CONFLICT DO NOTHING``); no row updated means full, and the whole
transaction rolls back (``scenario.quota_full``, ``scenario.monthly_limit``). This holds under
concurrency on PostgreSQL (the row lock of the UPDATE) and SQLite (one writer at a time).
Cancelling frees both.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, NoReturn
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Connection, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from jifen import audit_log, tenants
from jifen.errors import (
    Conflict,
    IdempotencyConflict,
    InvalidInput,
    MonthlyLimit,
    NoConsent,
    NotEligible,
    NotFound,
    PluginError,
    QuotaFull,
    WrongMode,
)
from jifen.model import new_id
from jifen.scenarios import decisions
from jifen.scenarios.decisions import CHECK_KINDS, evaluate
from jifen.scenarios.model import AllocationMode, Booking, DecisionRequest, ResolvedRule
from jifen.scenarios.registry import ScenarioRegistry
from jifen.store import tables as t

if TYPE_CHECKING:
    from jifen.ledger import Poster
    from jifen.platform import Platform


class CapacityOptions(BaseModel):
    """Options of the capacity mode."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    daily_quota: dict[str, int] = Field(min_length=1)
    """Provider unit → priority slots a day."""
    max_uses_per_month: int = Field(ge=1)
    """K: bookings a resident may hold per calendar month (of the booked day)."""
    code_lifetime_seconds: int = Field(default=600, ge=1, le=3600)


def unit_key(unit: str, day: date) -> str:
    return f"unit:{unit}:{day.isoformat()}"


def month_key(subject_id: uuid.UUID, day: date) -> str:
    return f"subject:{subject_id}:{day:%Y-%m}"


def decide(request: DecisionRequest) -> dict[str, Any]:
    """Capacity decisions. The check kinds add ``monthly_limit`` to the reasons when the
    resident has no use left this month (``inputs.capacity.month_used``); ``book`` allocates
    when eligible and both counters had room (``inputs.capacity``: ``unit``, ``unit_used``,
    ``month_used``, the counts before this booking)."""
    options = CapacityOptions.model_validate(request.rule.options)
    verdict = evaluate(request.rule, request.inputs)
    reasons = list(verdict.reasons)
    counts = request.inputs.get("capacity", {})
    if counts.get("month_used", 0) >= options.max_uses_per_month:
        reasons.append("monthly_limit")
    if request.kind in CHECK_KINDS:
        return {"eligible": not reasons, "reasons": reasons, "valid_until": None}
    if request.kind != "book":
        raise PluginError(f"the capacity mode makes no {request.kind!r} decisions")
    quota = options.daily_quota.get(counts.get("unit", ""), 0)
    if counts.get("unit_used", 0) >= quota:
        reasons.append("quota_full")
    return {"eligible": verdict.eligible, "allocated": not reasons, "reasons": reasons}


def take(conn: Connection, tenant_id: uuid.UUID, scenario: str, key: str, limit: int) -> int | None:
    """Raise a counter if it is below ``limit``; its count before, or ``None`` when full."""
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    conn.execute(insert(t.scenario_counters).values(
        tenant_id=tenant_id, scenario=scenario, key=key, used=0).on_conflict_do_nothing())
    c = t.scenario_counters.c
    row = conn.execute(update(t.scenario_counters).where(
        c.tenant_id == tenant_id, c.scenario == scenario, c.key == key, c.used < limit)
        .values(used=c.used + 1).returning(c.used)).first()
    return None if row is None else int(row[0]) - 1


def free(conn: Connection, tenant_id: uuid.UUID, scenario: str, key: str) -> None:
    """Give a counted use back (a cancellation)."""
    c = t.scenario_counters.c
    conn.execute(update(t.scenario_counters).where(
        c.tenant_id == tenant_id, c.scenario == scenario, c.key == key, c.used > 0)
        .values(used=c.used - 1))


def used(conn: Connection, tenant_id: uuid.UUID, scenario: str, key: str) -> int:
    """A counter's count (0 before its first use)."""
    c = t.scenario_counters.c
    value = conn.execute(select(c.used).where(
        c.tenant_id == tenant_id, c.scenario == scenario, c.key == key)).scalar()
    return int(value or 0)


MODE = AllocationMode(name="capacity", options=CapacityOptions, decide=decide,
                      description="a daily quota per provider unit, K uses per resident a month")


# --- bookings -------------------------------------------------------------------------------

class _Full(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Bookings:
    """Capacity-mode bookings of every tenant; reached through ``platform.scenarios``."""

    def __init__(self, platform: Platform, registry: ScenarioRegistry) -> None:
        self.platform, self.registry = platform, registry

    def book(self, tenant_id: uuid.UUID, scenario: str, subject_id: uuid.UUID, unit: str,
             day: date, idempotency_key: str, *, booked_by: uuid.UUID | None = None) -> Booking:
        """Book one priority slot (see the module's description). A retry with the same
        idempotency key answers with the first booking (and a fresh code)."""
        earlier = self._by_key(tenant_id, scenario, idempotency_key)
        if earlier is not None:
            return self._again(earlier, subject_id, unit, day)
        rule = decisions.policy_rule(self.platform, self.registry, tenant_id, scenario)
        options = self._options(rule, unit, day, tenant_id)
        now = self.platform.clock.now()
        decision_id = new_id()
        inputs = decisions.subject_inputs(self.platform, tenant_id, scenario, [subject_id], now,
                                          decision_id)[subject_id]
        verdict = evaluate(rule, inputs)
        if not verdict.eligible:
            self._refuse(tenant_id, rule, decision_id, subject_id, unit, day, inputs, options)
        try:
            booking = self.platform.ledger.run(tenant_id, lambda conn, post: self._take(
                conn, post, tenant_id, rule, options, decision_id, subject_id, unit, day,
                idempotency_key, inputs, booked_by))
        except _Full as full:
            self._refuse(tenant_id, rule, decision_id, subject_id, unit, day, inputs, options,
                         seen=full.reason)
        except IntegrityError:
            earlier = self._by_key(tenant_id, scenario, idempotency_key)
            if earlier is None:
                raise
            return self._again(earlier, subject_id, unit, day)
        return booking.model_copy(update={"token": self._token(tenant_id, rule, booking)})

    def _options(self, rule: ResolvedRule, unit: str, day: date,
                 tenant_id: uuid.UUID) -> CapacityOptions:
        if rule.mode != "capacity":
            raise WrongMode(f"scenario {rule.scenario!r} is allocated by {rule.mode}, not by "
                            "booking", scenario=rule.scenario)
        options = CapacityOptions.model_validate(rule.options)
        if unit not in options.daily_quota:
            raise InvalidInput(f"scenario {rule.scenario!r} has no provider unit {unit!r}",
                               unit=unit)
        if day < self._today(tenant_id):
            raise InvalidInput(f"{day} is in the past", day=str(day))
        return options

    def _take(self, conn: Connection, post: Poster, tenant_id: uuid.UUID, rule: ResolvedRule,
              options: CapacityOptions, decision_id: uuid.UUID, subject_id: uuid.UUID,
              unit: str, day: date, key: str, inputs: dict[str, Any],
              booked_by: uuid.UUID | None) -> Booking:
        unit_used = take(conn, tenant_id, rule.scenario, unit_key(unit, day),
                         options.daily_quota[unit])
        if unit_used is None:
            raise _Full("quota_full")
        month_used = take(conn, tenant_id, rule.scenario, month_key(subject_id, day),
                          options.max_uses_per_month)
        if month_used is None:
            raise _Full("monthly_limit")
        inputs = {**inputs, "capacity": {"unit": unit, "day": day.isoformat(),
                                         "unit_used": unit_used, "month_used": month_used}}
        result = decisions.decide(self.registry, "book", rule, inputs)
        if not result.get("allocated"):
            raise _Full(",".join(result.get("reasons", [])) or "refused")
        now = self.platform.clock.now()
        decisions.record(conn, tenant_id, decision_id, "book", rule, subject_id, now, inputs,
                         result, now)
        basis = uuid.UUID(inputs["score"]["basis"])
        tx = decisions.apply_use(conn, post, tenant_id, rule, decision_id, basis, now)
        booking = Booking(tenant_id=tenant_id, id=new_id(), scenario=rule.scenario,
                          subject_id=subject_id, unit=unit, day=day, state="booked",
                          idempotency_key=key, decision_id=decision_id, created_at=now)
        conn.execute(insert(t.scenario_bookings).values(
            **booking.model_dump(exclude={"token"}), transaction_id=tx))
        audit_log.record(conn, tenant_id, now, booked_by, "scenario.booked", "subject",
                         subject_id, "", {"scenario": rule.scenario, "unit": unit,
                                          "day": day.isoformat(), "booking": str(booking.id)},
                         actor=None if booked_by else "system:scenarios")
        return booking

    def _refuse(self, tenant_id: uuid.UUID, rule: ResolvedRule, decision_id: uuid.UUID,
                subject_id: uuid.UUID, unit: str, day: date, inputs: dict[str, Any],
                options: CapacityOptions, seen: str = "") -> NoReturn:
        """Record the refusal (with the counts seen) and raise its error."""
        now = self.platform.clock.now()
        with self.platform.db.write() as conn:
            counts = {"unit": unit, "day": day.isoformat(),
                      "unit_used": used(conn, tenant_id, rule.scenario, unit_key(unit, day)),
                      "month_used": used(conn, tenant_id, rule.scenario,
                                         month_key(subject_id, day))}
            inputs = {**inputs, "capacity": counts}
            result = decisions.decide(self.registry, "book", rule, inputs)
            decisions.record(conn, tenant_id, decision_id, "book", rule, subject_id, now,
                             inputs, result, now)
        reasons = result.get("reasons") or [seen]
        details = {"scenario": rule.scenario, "decision": str(decision_id)}
        if "no_consent" in reasons:
            raise NoConsent("no consent to this scenario (JF-SCN-1)", **details)
        if any(r not in ("quota_full", "monthly_limit") for r in reasons):
            raise NotEligible(f"not eligible: {', '.join(reasons)}", reasons=reasons, **details)
        if "quota_full" in reasons:
            raise QuotaFull(f"every priority slot of {unit} on {day} is taken (JF-SCN-4)",
                            **details)
        raise MonthlyLimit(f"at most {options.max_uses_per_month} uses a month (JF-SCN-4)",
                           **details)

    def cancel(self, tenant_id: uuid.UUID, booking_id: uuid.UUID, *, actor: uuid.UUID | None,
               reason: str) -> Booking:
        """Cancel a booking: its slot and the resident's monthly use are freed, a ``consume``
        debit is reversed and a mark undone (a negative mark)."""
        return self.platform.ledger.run(tenant_id, lambda conn, post: self._cancel(
            conn, post, tenant_id, booking_id, actor, reason))

    def _cancel(self, conn: Connection, post: Poster, tenant_id: uuid.UUID,
                booking_id: uuid.UUID, actor: uuid.UUID | None, reason: str) -> Booking:
        b = t.scenario_bookings.c
        found = conn.execute(select(t.scenario_bookings).where(
            b.tenant_id == tenant_id, b.id == booking_id).with_for_update()).mappings().first()
        if found is None:
            raise NotFound("no such booking in this tenant", booking=str(booking_id))
        booking = Booking.model_validate(dict(found))
        if booking.state != "booked":
            raise Conflict("the booking is cancelled already", booking=str(booking_id))
        now = self.platform.clock.now()
        free(conn, tenant_id, booking.scenario, unit_key(booking.unit, booking.day))
        free(conn, tenant_id, booking.scenario, month_key(booking.subject_id, booking.day))
        if found["transaction_id"] is not None:
            post.reverse(found["transaction_id"], f"scenario:{booking.decision_id}:consume:reversal",
                         f"booking cancelled: {reason}")
        _unmark(conn, tenant_id, booking.decision_id, now)
        conn.execute(update(t.scenario_bookings).where(b.tenant_id == tenant_id, b.id == booking_id)
                     .values(state="cancelled", cancelled_at=now))
        audit_log.record(conn, tenant_id, now, actor, "scenario.booking_cancelled", "subject",
                         booking.subject_id, reason, {"booking": str(booking_id)},
                         actor=None if actor else "system:scenarios")
        return booking.model_copy(update={"state": "cancelled", "cancelled_at": now})

    def code(self, tenant_id: uuid.UUID, booking_id: uuid.UUID) -> str:
        """A fresh verify-benefit code confirming a booked slot to the provider."""
        with self.platform.db.read() as conn:
            found = conn.execute(select(t.scenario_bookings).where(
                t.scenario_bookings.c.tenant_id == tenant_id,
                t.scenario_bookings.c.id == booking_id)).mappings().first()
        if found is None:
            raise NotFound("no such booking in this tenant", booking=str(booking_id))
        booking = Booking.model_validate(dict(found))
        if booking.state != "booked":
            raise Conflict("the booking is cancelled", booking=str(booking_id))
        rule = decisions.policy_rule(self.platform, self.registry, tenant_id, booking.scenario)
        return self._token(tenant_id, rule, booking)

    def _token(self, tenant_id: uuid.UUID, rule: ResolvedRule, booking: Booking) -> str:
        """The slot's code, only while the resident consents (a code given after consent was
        withdrawn would tell the provider again, JF-PRIV-2)."""
        if rule.eligibility.consent and not self.platform.scenarios.has_consent(
                tenant_id, booking.scenario, booking.subject_id):
            raise NoConsent("no consent to this scenario: the provider learns nothing "
                            "(JF-PRIV-2)", scenario=booking.scenario, booking=str(booking.id))
        options = CapacityOptions.model_validate(rule.options)
        return self.platform.codes.issue(
            tenant_id, booking.subject_id, "verify-benefit",
            benefit=f"{rule.benefit} · {booking.unit}"[:100], valid_until=booking.day,
            lifetime=timedelta(seconds=options.code_lifetime_seconds)).token

    def _by_key(self, tenant_id: uuid.UUID, scenario: str, key: str) -> Booking | None:
        b = t.scenario_bookings.c
        with self.platform.db.read() as conn:
            found = conn.execute(select(t.scenario_bookings).where(
                b.tenant_id == tenant_id, b.scenario == scenario, b.idempotency_key == key)
                ).mappings().first()
        return Booking.model_validate(dict(found)) if found else None

    def _again(self, earlier: Booking, subject_id: uuid.UUID, unit: str, day: date) -> Booking:
        if (earlier.subject_id, earlier.unit, earlier.day) != (subject_id, unit, day):
            raise IdempotencyConflict("the idempotency key was used for another booking",
                                      booking=str(earlier.id))
        if earlier.state != "booked":
            return earlier
        rule = decisions.policy_rule(self.platform, self.registry, earlier.tenant_id,
                                     earlier.scenario)
        return earlier.model_copy(update={"token": self._token(earlier.tenant_id, rule, earlier)})

    def _today(self, tenant_id: uuid.UUID) -> date:
        with self.platform.db.read() as conn:
            zone = ZoneInfo(tenants.get_tenant_by_id(conn, tenant_id).timezone)
        return self.platform.clock.now().astimezone(zone).date()


def _unmark(conn: Connection, tenant_id: uuid.UUID, decision_id: uuid.UUID, now: datetime) -> None:
    m = t.scenario_marks.c
    rows = conn.execute(select(m.scenario, m.subject_id, func.sum(m.amount)).where(
        m.tenant_id == tenant_id, m.decision_id == decision_id)
        .group_by(m.scenario, m.subject_id)).all()
    for scenario, subject_id, total in rows:
        if total:
            decisions.add_mark(conn, tenant_id, scenario, subject_id, -int(total), decision_id, now)
