"""The scenario ``hospital-priority`` as this plugin registers it (JF-SCN-1, JF-SCN-4).

A city overrides the minimum score, the departments and their daily quotas, and K in its
tenant file::

    scenarios:
      hospital-priority:
        eligibility: {min_score: "80"}
        options:
          daily_quota: {"市中心医院:心内科": 8, "市中心医院:儿科": 6}
          max_uses_per_month: 3

(``daily_quota`` replaces the whole default table.) Decisions then record the rule version
``2024.1+config<N>``.
"""

from __future__ import annotations

from decimal import Decimal

from jifen.scenarios import Eligibility, ScenarioSpec

SCENARIO = "hospital-priority"
"""The scenario's code."""
HOSPITAL = "市中心医院"
"""The provider of the default departments (a unit is ``<hospital>:<department>``)."""
DEPARTMENTS = (f"{HOSPITAL}:心内科", f"{HOSPITAL}:眼科", f"{HOSPITAL}:儿科", f"{HOSPITAL}:骨科")
"""The provider units: hospital departments, each ``<hospital>:<department>``."""
DAILY_QUOTA = 5
"""Priority slots a day per department, unless the tenant file says otherwise."""
MAX_USES_PER_MONTH = 2
"""K: priority bookings a resident may hold per calendar month, unless overridden."""
MIN_SCORE = Decimal("50.0")
"""The minimum contribution score, unless overridden."""
BENEFIT = "Priority appointment"
"""What a confirmation code shows, followed by `` · <department>``."""
RULE_VERSION = "2024.1"

SPEC = ScenarioSpec(
    code=SCENARIO,
    name="优先挂专家号 priority specialist appointment",
    provider=HOSPITAL,
    benefit=BENEFIT,
    mode="capacity",
    eligibility=Eligibility(min_score=MIN_SCORE),  # consent required (the default)
    use_effect="none",
    rule_version=RULE_VERSION,
    options={"daily_quota": dict.fromkeys(DEPARTMENTS, DAILY_QUOTA),
             "max_uses_per_month": MAX_USES_PER_MONTH},
)
"""The scenario as registered through ``register_scenarios``."""
