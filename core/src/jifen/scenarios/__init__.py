"""Scenarios (积分应用场景, JF-SCN-*): benefits that moral points unlock, registered by plugins.

The core knows no scenario: a plugin registers each one with ``register_scenarios`` (a
[`ScenarioSpec`][jifen.scenarios.ScenarioSpec]) and may add allocation modes with
``register_allocation_modes``. The built-in modes — ``threshold`` (JF-SCN-2), ``quota_round``
(JF-SCN-3) and ``capacity`` (JF-SCN-4) — come from the built-in plugin
``jifen.builtins.scenario_modes`` through the same hook. Everything else goes through
``platform.scenarios`` ([`Scenarios`][jifen.scenarios.Scenarios]).
"""

from jifen.scenarios.capacity import CapacityOptions
from jifen.scenarios.decisions import CHECK_KINDS, evaluate, reached_at
from jifen.scenarios.model import (
    AllocationMode,
    Application,
    BenefitCodeIssued,
    Booking,
    ConsentRecord,
    Decision,
    DecisionRequest,
    Eligibility,
    EligibilityAssertion,
    PublicRoundEntry,
    PublicRoundList,
    ReplayReport,
    ResolvedRule,
    Round,
    RoundCreate,
    RoundObjection,
    ScenarioSpec,
    UseEffect,
)
from jifen.scenarios.rounds import QuotaRoundOptions, lottery_ticket, rank, seed_digest
from jifen.scenarios.service import Scenarios
from jifen.scenarios.threshold import ThresholdOptions

__all__ = [
    "CHECK_KINDS",
    "AllocationMode",
    "Application",
    "BenefitCodeIssued",
    "Booking",
    "CapacityOptions",
    "ConsentRecord",
    "Decision",
    "DecisionRequest",
    "Eligibility",
    "EligibilityAssertion",
    "PublicRoundEntry",
    "PublicRoundList",
    "QuotaRoundOptions",
    "ReplayReport",
    "ResolvedRule",
    "Round",
    "RoundCreate",
    "RoundObjection",
    "ScenarioSpec",
    "Scenarios",
    "ThresholdOptions",
    "UseEffect",
    "evaluate",
    "lottery_ticket",
    "rank",
    "reached_at",
    "seed_digest",
]
