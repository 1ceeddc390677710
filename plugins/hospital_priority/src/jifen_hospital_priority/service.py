"""Priority specialist appointments on jifen's public scenario API (JF-SCN-4, JF-CODE-2).

:class:`HospitalPriority` is the city's side: consent, booking and cancelling a priority
slot, the slot's confirmation code. :func:`verify_confirmation` is the hospital's side: it
runs offline, with nothing but the tenant's public keys, and learns the benefit (which
department) and its validity (which day) — no name, no id, no score (JF-CODE-2, JF-PRIV-2).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict

from jifen.codes import verify_offline
from jifen.errors import NoConsent
from jifen.scenarios import (
    Booking,
    CapacityOptions,
    ConsentRecord,
    Decision,
    EligibilityAssertion,
    ReplayReport,
    ResolvedRule,
)
from jifen_hospital_priority.errors import NotASlotConfirmation, OtherHospital
from jifen_hospital_priority.scenario import BENEFIT, SCENARIO

if TYPE_CHECKING:
    from jifen.platform import Platform

SEPARATOR = " · "
"""Between the benefit and the department in a confirmation code's benefit text."""


class SlotConfirmation(BaseModel):
    """What the hospital learns from a confirmation code, offline: the benefit (with its
    department) and its validity (the slot's day, and when the code itself expires). Nothing
    else is in the code (JF-CODE-2)."""

    model_config = ConfigDict(frozen=True)

    benefit: str
    """The benefit as the code shows it, e.g. ``Priority appointment · 市中心医院:心内科``."""
    department: str
    """The department part of ``benefit``, e.g. ``市中心医院:心内科``."""
    valid_until: date
    """The day of the priority slot."""
    expires_at: datetime
    """When the code expires (it is short-lived, JF-CODE-1)."""

    @property
    def text(self) -> str:
        """One line for the hospital's screen: ``<benefit>: valid until <day>``."""
        return f"{self.benefit}: valid until {self.valid_until.isoformat()}"


class HospitalPriority:
    """The scenario ``hospital-priority`` of every tenant of a platform (capacity mode,
    JF-SCN-4): a daily quota of priority slots per hospital department and at most K
    bookings per resident per month, for residents at or above the minimum score who consent.

    A thin layer over ``platform.scenarios`` in the words of the domain; every decision is
    recorded by jifen and can be replayed (JF-SCN-5).
    """

    scenario = SCENARIO

    def __init__(self, platform: Platform) -> None:
        self.platform = platform

    # --- the rule ------------------------------------------------------------------------------

    def rule(self, tenant_id: uuid.UUID) -> ResolvedRule:
        """The rule as the tenant applies it (the defaults with the tenant file's overrides)."""
        return self.platform.scenarios.rule(tenant_id, SCENARIO)

    def departments(self, tenant_id: uuid.UUID) -> dict[str, int]:
        """Department → priority slots a day, as the tenant applies them."""
        return dict(self._options(tenant_id).daily_quota)

    def monthly_limit(self, tenant_id: uuid.UUID) -> int:
        """K: how many priority bookings a resident may hold per calendar month."""
        return self._options(tenant_id).max_uses_per_month

    def _options(self, tenant_id: uuid.UUID) -> CapacityOptions:
        return CapacityOptions.model_validate(self.rule(tenant_id).options)

    # --- consent (JF-SCN-1, JF-PRIV-2, JF-PRIV-4) --------------------------------------------

    def grant_consent(self, tenant_id: uuid.UUID, subject_id: uuid.UUID, *,
                      given_by: uuid.UUID | None = None,
                      via: Literal["online", "counter"] = "online") -> ConsentRecord:
        """Consent to share priority-slot confirmations with the hospital: by the resident, or
        for a child by a guardian (``given_by``)."""
        return self.platform.scenarios.grant_consent(
            tenant_id, SCENARIO, subject_id, given_by=given_by or subject_id, via=via)

    def withdraw_consent(self, tenant_id: uuid.UUID, subject_id: uuid.UUID, *,
                         given_by: uuid.UUID | None = None,
                         via: Literal["online", "counter"] = "online") -> ConsentRecord:
        """Withdraw consent: from now on no booking, no confirmation code, no assertion — the
        hospital learns nothing (JF-PRIV-2). Existing bookings stay until cancelled."""
        return self.platform.scenarios.withdraw_consent(
            tenant_id, SCENARIO, subject_id, given_by=given_by or subject_id, via=via)

    def has_consent(self, tenant_id: uuid.UUID, subject_id: uuid.UUID) -> bool:
        """Whether the resident's consent (for a child, a guardian's) stands now."""
        return self.platform.scenarios.has_consent(tenant_id, SCENARIO, subject_id)

    # --- eligibility ---------------------------------------------------------------------------

    def check(self, tenant_id: uuid.UUID, subject_id: uuid.UUID) -> Decision:
        """Whether the resident may book now (for the resident and the administration); the
        decision is recorded. ``reasons`` include ``monthly_limit`` when K is used up."""
        return self.platform.scenarios.check(tenant_id, SCENARIO, subject_id)

    def assertion(self, tenant_id: uuid.UUID, subject_id: uuid.UUID
                  ) -> EligibilityAssertion | None:
        """What the hospital may be told online: eligible or not, never the score; ``None``
        (nothing at all) without consent (JF-PRIV-2)."""
        return self.platform.scenarios.assert_eligibility(tenant_id, SCENARIO, subject_id)

    # --- booking -------------------------------------------------------------------------------

    def book(self, tenant_id: uuid.UUID, subject_id: uuid.UUID, department: str, day: date,
             idempotency_key: str, *, booked_by: uuid.UUID | None = None) -> Booking:
        """Book a priority slot of ``department`` on ``day`` (JF-SCN-4). The booking's
        ``token`` is the confirmation code for the hospital. A retry with the same key answers
        with the same booking (and a fresh code).

        Raises:
            QuotaFull: ``scenario.quota_full`` — every slot of the department that day is taken.
            MonthlyLimit: ``scenario.monthly_limit`` — K bookings this month already.
            NoConsent: ``scenario.no_consent``.
            NotEligible: ``scenario.not_eligible`` (e.g. below the minimum score).
            InvalidInput: an unknown department or a day in the past.
            IdempotencyConflict: the key was used for another booking.
        """
        booking = self.platform.scenarios.book(tenant_id, SCENARIO, subject_id, department, day,
                                               idempotency_key, booked_by=booked_by)
        if booking.token is not None:  # a retry after a withdrawal: no code to show
            self._require_consent(booking)
        return booking

    def cancel(self, tenant_id: uuid.UUID, booking_id: uuid.UUID, *,
               actor: uuid.UUID | None = None, reason: str = "") -> Booking:
        """Cancel a booking: the department's slot that day and the resident's monthly use
        are freed.

        Raises:
            NotFound: no such booking in the tenant.
            Conflict: the booking is cancelled already.
        """
        return self.platform.scenarios.cancel_booking(tenant_id, booking_id, actor=actor,
                                                      reason=reason)

    def confirmation_code(self, booking: Booking) -> str:
        """A fresh confirmation code of a booked slot, for the hospital (JF-CODE-2): it shows
        ``Priority appointment · <department>`` valid until the slot's day, and nothing else.

        Raises:
            NoConsent: ``scenario.no_consent`` — consent was withdrawn (JF-PRIV-2).
            Conflict: the booking is cancelled.
        """
        self._require_consent(booking)
        return self.platform.scenarios.booking_code(booking.tenant_id, booking.id)

    def _require_consent(self, booking: Booking) -> None:
        if not self.has_consent(booking.tenant_id, booking.subject_id):
            raise NoConsent("no consent to share this slot with the hospital: it learns "
                            "nothing (JF-PRIV-2)", scenario=SCENARIO, booking=str(booking.id))

    # --- what the hospital needs, and audit ------------------------------------------------------

    def public_keys(self, tenant_id: uuid.UUID) -> dict[str, str]:
        """The tenant's public keys (key id → base64): all the hospital needs to verify
        confirmation codes offline."""
        return self.platform.codes.public_keys(tenant_id)

    def decisions(self, tenant_id: uuid.UUID, subject_id: uuid.UUID | None = None
                  ) -> list[Decision]:
        """Recorded decisions of this scenario (bookings and refusals), oldest first."""
        return self.platform.scenarios.decisions(tenant_id, scenario=SCENARIO,
                                                 subject_id=subject_id)

    def replay(self, tenant_id: uuid.UUID, decision_id: uuid.UUID) -> ReplayReport:
        """Recompute a recorded decision (a booking or a refusal) and compare (JF-SCN-5)."""
        return self.platform.scenarios.replay(tenant_id, decision_id)


# --- the hospital's side: offline ------------------------------------------------------------

def verify_confirmation(token: str, public_keys: Mapping[str, bytes | str], *, now: datetime,
                        tenant: str | None = None, hospital: str | None = None
                        ) -> SlotConfirmation:
    """Verify a slot's confirmation code offline, as the hospital does (JF-CODE-2): no
    database, no network, only the tenant's public keys.

    Args:
        token: the code, as read from the resident's QR image.
        public_keys: key id → Ed25519 public key (base64 or raw bytes).
        now: the hospital's current time (aware).
        tenant: if given, the tenant code the code must come from.
        hospital: if given, the department must be one of this hospital's
            (``<hospital>:<department>``).

    Raises:
        InvalidCode: ``code.invalid`` (malformed, forged), ``code.expired``,
            ``code.unknown_key``, ``code.wrong_tenant``, ``code.wrong_purpose``,
            ``hospital.not_a_slot``, ``hospital.other_hospital``.
    """
    shown = verify_offline(token, public_keys, purpose="verify-benefit", now=now, tenant=tenant)
    prefix = BENEFIT + SEPARATOR
    if not shown.benefit.startswith(prefix):
        raise NotASlotConfirmation(f"this code proves {shown.benefit!r}, not a priority slot")
    department = shown.benefit[len(prefix):]
    if hospital is not None and not department.startswith(f"{hospital}:"):
        raise OtherHospital(f"the slot is at {department}, not at {hospital}")
    return SlotConfirmation(benefit=shown.benefit, department=department,
                            valid_until=shown.valid_until, expires_at=shown.expires_at)

