"""Bank VIP lanes on jifen's public scenario API (JF-SCN-2, JF-CODE-2).

:class:`BankVip` is the city's side: consent, the eligibility decision and the resident's
verify-benefit code (text and QR). :func:`verify_vip_code` is the bank's side: it runs
offline, with nothing but the tenant's public keys, and learns only ``VIP lane: valid until
<date>`` — no name, no id, no score (JF-CODE-2, JF-PRIV-2).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict

from jifen.codes import render_qr, verify_offline
from jifen.scenarios import (
    BenefitCodeIssued,
    ConsentRecord,
    Decision,
    EligibilityAssertion,
    ReplayReport,
    ResolvedRule,
)
from jifen_bank_vip.errors import NotAVipCode
from jifen_bank_vip.scenario import BENEFIT, SCENARIO

if TYPE_CHECKING:
    from jifen.platform import Platform


class VipPass(BaseModel):
    """What the bank learns from a resident's code, offline: the benefit and its validity
    (the day it holds until, and when the code itself expires). Nothing else is in the code
    (JF-CODE-2)."""

    model_config = ConfigDict(frozen=True)

    benefit: str
    """``VIP lane``."""
    valid_until: date
    """The last day the resident's eligibility is vouched for."""
    expires_at: datetime
    """When the code expires (it is short-lived, JF-CODE-1)."""

    @property
    def text(self) -> str:
        """One line for the bank's screen: ``VIP lane: valid until <date>``."""
        return f"{self.benefit}: valid until {self.valid_until.isoformat()}"


class BankVip:
    """The scenario ``bank-vip`` of every tenant of a platform (threshold mode, JF-SCN-2):
    a resident whose contribution score is at or above the threshold, and who consents, may
    use the partner bank's VIP lane, proving it with a short-lived verify-benefit code.

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

    def threshold(self, tenant_id: uuid.UUID) -> Decimal:
        """The score at or above which a resident is eligible, as the tenant applies it."""
        value = self.rule(tenant_id).eligibility.min_score
        assert value is not None  # the spec sets it; an override can only change it
        return value

    # --- consent (JF-SCN-1, JF-PRIV-2, JF-PRIV-4) --------------------------------------------

    def grant_consent(self, tenant_id: uuid.UUID, subject_id: uuid.UUID, *,
                      given_by: uuid.UUID | None = None,
                      via: Literal["online", "counter"] = "online") -> ConsentRecord:
        """Consent to prove VIP eligibility to the bank: by the resident, or for a child by a
        guardian (``given_by``)."""
        return self.platform.scenarios.grant_consent(
            tenant_id, SCENARIO, subject_id, given_by=given_by or subject_id, via=via)

    def withdraw_consent(self, tenant_id: uuid.UUID, subject_id: uuid.UUID, *,
                         given_by: uuid.UUID | None = None,
                         via: Literal["online", "counter"] = "online") -> ConsentRecord:
        """Withdraw consent: from now on no code and no assertion — the bank learns nothing
        (JF-PRIV-2). A code issued before lives out its short lifetime."""
        return self.platform.scenarios.withdraw_consent(
            tenant_id, SCENARIO, subject_id, given_by=given_by or subject_id, via=via)

    def has_consent(self, tenant_id: uuid.UUID, subject_id: uuid.UUID) -> bool:
        """Whether the resident's consent (for a child, a guardian's) stands now."""
        return self.platform.scenarios.has_consent(tenant_id, SCENARIO, subject_id)

    # --- eligibility and the code --------------------------------------------------------------

    def check(self, tenant_id: uuid.UUID, subject_id: uuid.UUID) -> Decision:
        """Whether the resident is eligible now (for the resident and the administration, with
        the score and the reasons); the decision is recorded (JF-SCN-5)."""
        return self.platform.scenarios.check(tenant_id, SCENARIO, subject_id)

    def assertion(self, tenant_id: uuid.UUID, subject_id: uuid.UUID
                  ) -> EligibilityAssertion | None:
        """What the bank may be told online: eligible or not and until when, never the score;
        ``None`` (nothing at all) without consent (JF-PRIV-2)."""
        return self.platform.scenarios.assert_eligibility(tenant_id, SCENARIO, subject_id)

    def code(self, tenant_id: uuid.UUID, subject_id: uuid.UUID, *,
             lifetime: timedelta | None = None) -> BenefitCodeIssued:
        """The resident's verify-benefit code for the bank (JF-SCN-2, JF-CODE-2): it says
        ``VIP lane`` valid until the end of today, and nothing else. The decision is recorded.

        Raises:
            NoConsent: ``scenario.no_consent``.
            NotEligible: ``scenario.not_eligible`` — the score is below the threshold.
        """
        return self.platform.scenarios.benefit_code(tenant_id, SCENARIO, subject_id,
                                                    lifetime=lifetime)

    def public_keys(self, tenant_id: uuid.UUID) -> dict[str, str]:
        """The tenant's public keys (key id → base64): all the bank needs to verify codes
        offline."""
        return self.platform.codes.public_keys(tenant_id)

    def decisions(self, tenant_id: uuid.UUID, subject_id: uuid.UUID | None = None
                  ) -> list[Decision]:
        """Recorded decisions of this scenario, oldest first."""
        return self.platform.scenarios.decisions(tenant_id, scenario=SCENARIO,
                                                 subject_id=subject_id)

    def replay(self, tenant_id: uuid.UUID, decision_id: uuid.UUID) -> ReplayReport:
        """Recompute a recorded decision and compare (JF-SCN-5)."""
        return self.platform.scenarios.replay(tenant_id, decision_id)


def qr(token: str, fmt: Literal["svg", "png"] = "svg") -> bytes:
    """The code as a QR image for the resident's phone (JF-CODE-3)."""
    return render_qr(token, fmt)


# --- the bank's side: offline -------------------------------------------------------------------

def verify_vip_code(token: str, public_keys: Mapping[str, bytes | str], *, now: datetime,
                    tenant: str | None = None) -> VipPass:
    """Verify a resident's code offline, as the bank does (JF-CODE-2): no database, no
    network, only the tenant's public keys.

    Args:
        token: the code, as read from the resident's QR image.
        public_keys: key id → Ed25519 public key (base64 or raw bytes).
        now: the bank's current time (aware).
        tenant: if given, the tenant code the code must come from.

    Raises:
        InvalidCode: ``code.invalid`` (malformed, forged), ``code.expired``,
            ``code.unknown_key``, ``code.wrong_tenant``, ``code.wrong_purpose``,
            ``bank_vip.wrong_benefit``.
    """
    shown = verify_offline(token, public_keys, purpose="verify-benefit", now=now, tenant=tenant)
    if shown.benefit != BENEFIT:
        raise NotAVipCode(f"this code proves {shown.benefit!r}, not the {BENEFIT}")
    return VipPass(benefit=shown.benefit, valid_until=shown.valid_until,
                   expires_at=shown.expires_at)

