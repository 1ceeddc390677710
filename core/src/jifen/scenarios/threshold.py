"""Threshold mode (JF-SCN-2), e.g. a bank's VIP lane: eligible while the score is at or above
the threshold, the rule's ``eligibility.min_score``.

A positive answer holds until the end of the tenant's local day of the decision
(``valid_until``), since the score can drop the next day. The resident proves it to the
provider with a verify-benefit code, which shows only ``<benefit>: valid until <date>`` and
no score (JF-CODE-2); see [`Scenarios.benefit_code`][jifen.scenarios.Scenarios.benefit_code].
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from jifen.errors import PluginError
from jifen.scenarios.decisions import CHECK_KINDS, evaluate
from jifen.scenarios.model import AllocationMode, DecisionRequest


class ThresholdOptions(BaseModel):
    """Options of the threshold mode."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    code_lifetime_seconds: int = Field(default=60, ge=1, le=3600)
    """How long a benefit code lives once issued (JF-CODE-1)."""


def check_result(request: DecisionRequest) -> dict[str, Any]:
    """The answer of a check kind: eligible, reasons, and until when a yes holds."""
    verdict = evaluate(request.rule, request.inputs)
    return {"eligible": verdict.eligible, "reasons": verdict.reasons,
            "valid_until": request.inputs["local_date"] if verdict.eligible else None}


def decide(request: DecisionRequest) -> dict[str, Any]:
    """Threshold decisions: only the check kinds."""
    if request.kind not in CHECK_KINDS:
        raise PluginError(f"the threshold mode makes no {request.kind!r} decisions")
    return check_result(request)


MODE = AllocationMode(name="threshold", options=ThresholdOptions, decide=decide,
                      description="eligible while the score is at or above the threshold")
