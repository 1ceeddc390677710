"""The scenario ``bank-vip`` as this plugin registers it (JF-SCN-1, JF-SCN-2).

A city overrides the threshold (and the code's lifetime) in its tenant file::

    scenarios:
      bank-vip:
        eligibility: {min_score: "150"}
        options: {code_lifetime_seconds: 120}

Decisions then record the rule version ``2024.1+config<N>``.
"""

from __future__ import annotations

from decimal import Decimal

from jifen.scenarios import Eligibility, ScenarioSpec

SCENARIO = "bank-vip"
"""The scenario's code."""
BANK = "鄂尔多斯农商银行康巴什支行"
"""The partner bank that grants the benefit."""
THRESHOLD = Decimal("100.0")
"""The contribution score at or above which a resident may use the VIP lane, unless the
tenant file says otherwise."""
BENEFIT = "VIP lane"
"""What a benefit code shows the bank: ``VIP lane: valid until <date>``."""
RULE_VERSION = "2024.1"

SPEC = ScenarioSpec(
    code=SCENARIO,
    name="银行VIP通道 bank VIP lane",
    provider=BANK,
    benefit=BENEFIT,
    mode="threshold",
    eligibility=Eligibility(min_score=THRESHOLD),  # consent required (the default)
    use_effect="none",
    rule_version=RULE_VERSION,
)
"""The scenario as registered through ``register_scenarios``."""
