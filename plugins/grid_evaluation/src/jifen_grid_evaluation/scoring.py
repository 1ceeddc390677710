"""The formula's arithmetic (JF-GRID-1): exact fractions, then ROUND_HALF_UP to 0.1.

No float is ever involved: each part is a `Fraction` of its weight, the sum is rounded once
to tenths (half up), and the score is a `Decimal` with one decimal place.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from jifen_grid_evaluation.model import Formula, GradeRule, Metrics

_ZERO, _ONE = Fraction(0), Fraction(1)


@dataclass(frozen=True)
class Parts:
    """The four parts of a score, exact, before rounding."""

    orders: Fraction
    rating: Fraction
    response: Fraction
    inspections: Fraction

    @property
    def total(self) -> Fraction:
        return self.orders + self.rating + self.response + self.inspections


@dataclass(frozen=True)
class Result:
    """A score (one decimal), its grade and the points the grade is rewarded."""

    score: Decimal
    grade: str
    points: int


def parts(formula: Formula, metrics: Metrics) -> Parts:
    """Each part of the score of ``metrics`` under ``formula``, as an exact fraction."""
    return Parts(
        orders=formula.orders.weight * min(_ONE, Fraction(metrics.orders_done,
                                                          formula.orders.target)),
        rating=formula.rating.weight * (_average_rating(formula, metrics) - 1) / 4,
        response=formula.response.weight * _response_share(formula, metrics),
        inspections=formula.inspections.weight * min(_ONE, Fraction(metrics.inspections,
                                                                    formula.inspections.target)))


def score(formula: Formula, metrics: Metrics) -> Decimal:
    """The score 0–100 with one decimal: the exact sum of the parts, rounded half up."""
    return round_half_up(parts(formula, metrics).total)


def evaluate(formula: Formula, metrics: Metrics) -> Result:
    """Score, grade and reward of ``metrics`` under ``formula``."""
    value = score(formula, metrics)
    rule: GradeRule = formula.grade(value)
    return Result(value, rule.grade, rule.points)


def round_half_up(value: Fraction) -> Decimal:
    """A non-negative fraction rounded to tenths, halves up (89.95 → 90.0)."""
    tenths = math.floor(value * 10 + Fraction(1, 2))
    return Decimal(tenths).scaleb(-1)


def _average_rating(formula: Formula, metrics: Metrics) -> Fraction:
    if not metrics.ratings_count:
        return Fraction(formula.rating.neutral)
    return Fraction(metrics.ratings_sum, metrics.ratings_count)


def _response_share(formula: Formula, metrics: Metrics) -> Fraction:
    if not metrics.responses_count:
        return _ONE
    target = formula.response.target_minutes
    average = Fraction(metrics.response_minutes, metrics.responses_count)
    return min(_ONE, max(_ZERO, (4 * target - average) / (3 * target)))
