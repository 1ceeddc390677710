"""The types of scenarios (JF-SCN-*): what a plugin registers, what a decision records, and what
residents, providers and the public get back.

A plugin describes a scenario with a [`ScenarioSpec`][jifen.scenarios.ScenarioSpec] and may add
an allocation mode with an [`AllocationMode`][jifen.scenarios.AllocationMode]. A tenant may
override a scenario's eligibility values and options in its tenant file (``scenarios:``); the
spec plus the overrides is the [`ResolvedRule`][jifen.scenarios.ResolvedRule] every decision
records. Amounts are exact decimals of moral points, never floats.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from jifen.config import ExactDecimal

__all__ = [
    "AllocationMode",
    "Application",
    "BenefitCodeIssued",
    "Booking",
    "ConsentRecord",
    "Decision",
    "DecisionRequest",
    "Eligibility",
    "EligibilityAssertion",
    "PublicRoundEntry",
    "PublicRoundList",
    "ReplayReport",
    "ResolvedRule",
    "Round",
    "RoundCreate",
    "RoundObjection",
    "ScenarioSpec",
    "UseEffect",
]

_CODE = r"^[a-z][a-z0-9_.-]{0,63}$"
_TENTH = Decimal("0.1")

UseEffect = Literal["none", "consume", "mark"]
"""What an allocation does to moral points (JF-SCN-1): nothing (default), ``consume`` (a debit
of ``consume_points`` from the subject whose score was used) or ``mark`` (a mark that later
decisions of the same scenario subtract)."""


def _one_decimal(value: Decimal | None) -> Decimal | None:
    if value is not None and value != value.quantize(_TENTH):
        raise ValueError("moral points have at most one decimal place (JF-KIND-2)")
    return value


class Eligibility(BaseModel):
    """Who may benefit (JF-SCN-1). Every condition given must hold.

    ``min_score`` is compared with the score the scenario uses (a child may use a guardian's,
    JF-SUB-2) minus the points marked for this scenario; ``residence`` is an org unit code the
    subject must live at or under; every category of ``required_categories`` must have at least
    one counted line in that score; ``consent`` (default true) requires the subject's consent
    to this scenario — for a child, a guardian's (JF-PRIV-4).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    min_score: ExactDecimal | None = None
    residence: str | None = Field(default=None, min_length=1, max_length=64)
    required_categories: tuple[str, ...] = ()
    consent: bool = True

    @field_validator("min_score")
    @classmethod
    def _places(cls, value: Decimal | None) -> Decimal | None:
        return _one_decimal(value)


class ScenarioSpec(BaseModel):
    """A scenario, as a plugin registers it through ``register_scenarios`` (JF-SCN-1).

    ``mode`` names an allocation mode (``threshold``, ``quota_round``, ``capacity`` or one a
    plugin adds); ``options`` are validated by the mode's options model. ``rule_version`` is
    the plugin's version of the rule; a decision records it (with ``+config<N>`` when the
    tenant file overrides the scenario, N being the tenant's configuration version).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str = Field(pattern=_CODE)
    name: str = Field(min_length=1, max_length=200)
    provider: str = Field(min_length=1, max_length=200)
    """Who grants the benefit (a bank, a hospital, the education bureau)."""
    benefit: str = Field(min_length=1, max_length=80)
    """The words a benefit code shows the provider, e.g. ``VIP lane`` (JF-CODE-2)."""
    mode: str = Field(min_length=1, max_length=64)
    eligibility: Eligibility = Field(default_factory=Eligibility)
    use_effect: UseEffect = "none"
    consume_points: ExactDecimal = Decimal(0)
    """Moral points consumed or marked per allocation (with ``use_effect`` consume or mark)."""
    rule_version: str = Field(min_length=1, max_length=40, pattern=r"^[^+\s]+$")
    options: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _use(self) -> ScenarioSpec:
        _one_decimal(self.consume_points)
        if self.consume_points < 0:
            raise ValueError("consume_points cannot be negative")
        if (self.use_effect == "none") != (self.consume_points == 0):
            raise ValueError("consume_points is positive exactly when use_effect is consume or mark")
        return self


class ResolvedRule(BaseModel):
    """A scenario's rule as a tenant applies it: the spec with the tenant file's overrides,
    the options validated by the mode (JF-SCN-5). Recorded, as JSON, with every decision."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    scenario: str
    name: str
    provider: str
    benefit: str
    mode: str
    eligibility: Eligibility
    use_effect: UseEffect
    consume_points: Decimal
    options: dict[str, Any]
    rule_version: str


class DecisionRequest(BaseModel):
    """What a mode's ``decide`` function is given: the kind of decision, the resolved rule and
    the recorded inputs (JSON). ``decide`` must be a pure function of these, so that a decision
    can be replayed (JF-SCN-5)."""

    model_config = ConfigDict(frozen=True)

    kind: str
    rule: ResolvedRule
    inputs: dict[str, Any]


class AllocationMode(BaseModel):
    """An allocation mode, as registered through ``register_allocation_modes``.

    ``options`` is the pydantic model the scenario's options (after the tenant's overrides)
    must validate against. ``decide(request)`` returns the decision's result as a JSON object;
    it is called with ``kind`` ``check`` (and ``assertion``, ``benefit_code``) by the core for
    every mode, and with the kinds of the mode's own operations (``book`` for ``capacity``,
    ``round_draw`` for ``quota_round``). For the check kinds the result has at least
    ``eligible`` (bool) and ``reasons`` (list of str); ``valid_until`` (ISO date or null) says
    how long a positive answer holds.
    """

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")
    description: str = ""
    options: type[BaseModel]
    decide: Callable[[DecisionRequest], dict[str, Any]]


class ConsentRecord(BaseModel):
    """One grant or withdrawal of consent to a scenario (JF-SCN-1, JF-PRIV-2, JF-PRIV-4).
    Records are never changed; the latest is the current state."""

    model_config = ConfigDict(frozen=True)

    tenant_id: uuid.UUID
    id: uuid.UUID
    scenario: str
    subject_id: uuid.UUID
    granted: bool
    given_by: uuid.UUID
    """The subject itself, or for a child the guardian who gave (or withdrew) consent."""
    via: Literal["online", "counter"]
    """``counter``: recorded by an operator at a service counter (JF-PRIV-5)."""
    created_at: datetime


class Decision(BaseModel):
    """A recorded decision (JF-SCN-5): the score, its method and version, the rule and its
    version, the inputs and the result, so that it can be replayed and audited."""

    model_config = ConfigDict(frozen=True)

    tenant_id: uuid.UUID
    id: uuid.UUID
    scenario: str
    subject_id: uuid.UUID | None
    kind: str
    as_of: datetime
    score_value: Decimal | None
    method: str | None
    method_version: str | None
    rule: dict[str, Any]
    rule_version: str
    inputs: dict[str, Any]
    result: dict[str, Any]
    created_at: datetime

    @property
    def eligible(self) -> bool:
        """Whether the result says eligible (false when it does not say)."""
        return bool(self.result.get("eligible", False))

    @property
    def reasons(self) -> list[str]:
        """Why not eligible: ``no_consent``, ``below_min_score``, ``residence``,
        ``missing_category:<c>``, and the mode's own (e.g. ``monthly_limit``)."""
        return list(self.result.get("reasons", []))


class EligibilityAssertion(BaseModel):
    """What a provider learns, and only with the resident's consent (JF-PRIV-2): the scenario,
    whether eligible, and until when — never the score."""

    model_config = ConfigDict(frozen=True)

    scenario: str
    eligible: bool
    valid_until: date | None


class BenefitCodeIssued(BaseModel):
    """A benefit code for the resident to show: the token (QR text) and what it says."""

    model_config = ConfigDict(frozen=True)

    token: str
    benefit: str
    valid_until: date
    expires_at: datetime
    decision_id: uuid.UUID


class Booking(BaseModel):
    """A capacity-mode booking of one slot of a provider unit on a day (JF-SCN-4)."""

    model_config = ConfigDict(frozen=True)

    tenant_id: uuid.UUID
    id: uuid.UUID
    scenario: str
    subject_id: uuid.UUID
    unit: str
    day: date
    state: Literal["booked", "cancelled"]
    idempotency_key: str
    decision_id: uuid.UUID
    created_at: datetime
    cancelled_at: datetime | None = None
    token: str | None = None
    """A verify-benefit code confirming the slot to the provider (only when just booked)."""


class RoundCreate(BaseModel):
    """A quota round to open (JF-SCN-3): quotas per slot and the application window."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=200)
    quotas: dict[str, int] = Field(min_length=1)
    """Slot (e.g. ``第一小学:2-A→1-A``) → how many applicants it takes (top N)."""
    opens_at: datetime
    closes_at: datetime

    @model_validator(mode="after")
    def _window(self) -> RoundCreate:
        if any(n < 1 for n in self.quotas.values()) or any(
                not s.strip() or len(s) > 100 for s in self.quotas):
            raise ValueError("every slot has a name (1 to 100 characters) and a quota of 1 or more")
        if self.opens_at.tzinfo is None or self.closes_at.tzinfo is None:
            raise ValueError("the window's instants are aware datetimes")
        if self.closes_at <= self.opens_at:
            raise ValueError("the window closes after it opens")
        return self


RoundState = Literal["open", "drawn", "in_notice", "final"]


class Round(BaseModel):
    """A quota round. ``seed_sha256`` is published at creation; ``seed`` only once the window
    has closed (before the draw), so anyone can recompute the lottery (JF-SCN-3)."""

    model_config = ConfigDict(frozen=True)

    tenant_id: uuid.UUID
    id: uuid.UUID
    scenario: str
    name: str
    quotas: dict[str, int]
    opens_at: datetime
    closes_at: datetime
    seed_sha256: str
    seed: str | None
    state: RoundState
    created_by: uuid.UUID | None
    created_at: datetime
    draw_decision_id: uuid.UUID | None
    published_by: uuid.UUID | None
    notice_starts_on: date | None
    notice_ends_on: date | None
    finalised_at: datetime | None


class Application(BaseModel):
    """One applicant's application to a round (one per applicant per round)."""

    model_config = ConfigDict(frozen=True)

    tenant_id: uuid.UUID
    id: uuid.UUID
    round_id: uuid.UUID
    applicant_id: uuid.UUID
    slot: str
    applied_by: uuid.UUID
    applied_at: datetime


class RoundObjection(BaseModel):
    """An objection to an entry of a round's list during its notice (JF-DUE-2)."""

    model_config = ConfigDict(frozen=True)

    tenant_id: uuid.UUID
    id: uuid.UUID
    round_id: uuid.UUID
    application_id: uuid.UUID
    raised_by: uuid.UUID | None
    raised_at: datetime
    grounds: str
    state: Literal["open", "upheld", "dismissed"]
    decided_by: uuid.UUID | None
    decided_at: datetime | None
    decision_reason: str | None


class PublicRoundEntry(BaseModel):
    """One line of a round's public list: masked name, no identifiers (JF-DUE-4)."""

    model_config = ConfigDict(frozen=True)

    rank: int
    """Rank within the slot, from 1."""
    name: str
    slot: str
    score: str
    selected: bool


class PublicRoundList(BaseModel):
    """A round's list under public notice (or, once final, the final list)."""

    model_config = ConfigDict(frozen=True)

    round: str
    scenario: str
    seed_sha256: str
    seed: str | None
    notice_starts_on: date | None
    notice_ends_on: date | None
    final: bool
    entries: tuple[PublicRoundEntry, ...]


class ReplayReport(BaseModel):
    """The result of replaying a decision: what was recorded and what was recomputed."""

    model_config = ConfigDict(frozen=True)

    decision_id: uuid.UUID
    kind: str
    identical: bool
    differences: tuple[str, ...]
    recorded: dict[str, Any]
    replayed: dict[str, Any]
