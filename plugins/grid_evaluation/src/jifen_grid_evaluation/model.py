"""The pydantic types of grid-worker evaluation (JF-GRID-1, JF-GRID-2): a worker's monthly
metrics, the published formula with its grades, an evaluation, a run's report and a ranking.

Scores are exact: computed with fractions and kept as a `Decimal` with one decimal place
(stored as integer tenths), never as floats.
"""

from __future__ import annotations

import itertools
import re
import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    NonNegativeInt,
    PositiveInt,
    field_validator,
    model_validator,
)

from jifen_grid_evaluation.errors import InvalidMonth

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
Level = Literal["community", "street", "district", "city"]
LEVELS: tuple[str, ...] = ("community", "street", "district", "city")
State = Literal["current", "superseded"]


def parse_month(month: str) -> date:
    """The first day of a month written ``YYYY-MM`` (`grid.invalid_month` otherwise)."""
    found = _MONTH.match(month)
    if found is None:
        raise InvalidMonth(f"{month!r} is not a month: write YYYY-MM, e.g. 2024-08", month=month)
    return date(int(found[1]), int(found[2]), 1)


def next_month(first: date) -> date:
    """The first day of the month after the one starting on ``first``."""
    return date(first.year + first.month // 12, first.month % 12 + 1, 1)


class Metrics(BaseModel):
    """One grid worker's metrics for one month (JF-GRID-1); every count defaults to zero.

    Ratings are residents' 1–5 ratings, kept as their count and sum; response times as their
    count and total minutes, so that averages are exact fractions.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    orders_done: NonNegativeInt = 0
    ratings_count: NonNegativeInt = 0
    ratings_sum: NonNegativeInt = 0
    responses_count: NonNegativeInt = 0
    response_minutes: NonNegativeInt = 0
    inspections: NonNegativeInt = 0

    @model_validator(mode="after")
    def _ratings_are_1_to_5(self) -> Metrics:
        if not self.ratings_count <= self.ratings_sum <= 5 * self.ratings_count:
            raise ValueError(f"{self.ratings_count} ratings of 1–5 cannot sum to "
                             f"{self.ratings_sum}")
        if self.response_minutes and not self.responses_count:
            raise ValueError("response minutes without any response")
        return self


def _no_float(value: Any) -> Any:
    if isinstance(value, float):
        raise ValueError("write decimals as quoted strings (\"89.5\"); floats are refused")
    return value


class OrdersPart(BaseModel):
    """Orders completed in the worker's grid: ``weight × min(1, done / target)``."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    weight: NonNegativeInt = 40
    target: PositiveInt = 20


class RatingPart(BaseModel):
    """Residents' ratings: ``weight × (average − 1) / 4``; no ratings count as ``neutral``."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    weight: NonNegativeInt = 30
    neutral: int = Field(default=3, ge=1, le=5)


class ResponsePart(BaseModel):
    """Response time: ``weight × clamp((4·target − average) / (3·target), 0, 1)``: full marks
    up to ``target_minutes`` on average, none from four times it; full marks when there was
    nothing to respond to."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    weight: NonNegativeInt = 20
    target_minutes: PositiveInt = 30


class InspectionsPart(BaseModel):
    """Inspections logged: ``weight × min(1, inspections / target)``."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    weight: NonNegativeInt = 10
    target: PositiveInt = 30


class GradeRule(BaseModel):
    """A grade, the lowest score that earns it and the material points it is rewarded."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    grade: str = Field(pattern=r"^\S{1,8}$")
    min_score: Decimal = Field(ge=0, le=100)
    points: NonNegativeInt

    _floats = field_validator("min_score", mode="before")(_no_float)

    @field_validator("min_score")
    @classmethod
    def _one_decimal(cls, value: Decimal) -> Decimal:
        if value != value.quantize(Decimal("0.1")):
            raise ValueError("a score has at most one decimal place")
        return value.quantize(Decimal("0.1"))


DEFAULT_GRADES = (GradeRule(grade="A", min_score=Decimal(90), points=500),
                  GradeRule(grade="B", min_score=Decimal(75), points=300),
                  GradeRule(grade="C", min_score=Decimal(0), points=0))


class Formula(BaseModel):
    """The published evaluation formula of a tenant (JF-GRID-1).

    The four weights add up to 100, so a score is 0–100; grades are listed from the highest
    ``min_score`` down, the last at 0 so that every score gets one. ``pool`` is the funding pool
    the rewards come from; ``None`` means the tenant's ``default_pool``. Every default here is
    the plugin's, not a number of the standard's public record.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    orders: OrdersPart = OrdersPart()
    rating: RatingPart = RatingPart()
    response: ResponsePart = ResponsePart()
    inspections: InspectionsPart = InspectionsPart()
    grades: tuple[GradeRule, ...] = Field(default=DEFAULT_GRADES, min_length=1)
    pool: str | None = Field(default=None, min_length=1, max_length=64)

    @model_validator(mode="after")
    def _consistent(self) -> Formula:
        weights = (self.orders.weight + self.rating.weight + self.response.weight
                   + self.inspections.weight)
        if weights != 100:
            raise ValueError(f"the four weights must add up to 100, not {weights}")
        names = [g.grade for g in self.grades]
        if len(set(names)) != len(names):
            raise ValueError("every grade is named once")
        floors = [g.min_score for g in self.grades]
        if any(a <= b for a, b in itertools.pairwise(floors)):
            raise ValueError("grades go from the highest min_score down, each lower than the last")
        if floors[-1] != 0:
            raise ValueError("the last grade starts at 0, so that every score gets a grade")
        return self

    def grade(self, score: Decimal) -> GradeRule:
        """The grade a score earns: the first whose ``min_score`` it reaches."""
        return next(rule for rule in self.grades if score >= rule.min_score)


class PublishedFormula(BaseModel):
    """A formula in force: version 0 is the plugin's default, never published by the tenant."""

    model_config = ConfigDict(frozen=True)

    version: NonNegativeInt
    formula: Formula
    published_at: datetime | None = None
    published_by: str | None = None


class Evaluation(BaseModel):
    """One worker's evaluation of one month, in one revision (JF-GRID-1/2).

    Revision 1 is the monthly run's; each correction supersedes the current revision (keeping
    it, with the reason) and adds the next. ``transaction_id`` is the reward's ledger
    transaction (none for a grade worth 0 points).
    """

    model_config = ConfigDict(frozen=True)

    id: uuid.UUID
    worker_id: uuid.UUID
    month: str
    revision: PositiveInt
    state: State
    formula_version: NonNegativeInt
    metrics: Metrics
    score: Decimal
    grade: str
    reward: NonNegativeInt
    pool: str | None
    transaction_id: uuid.UUID | None
    evaluated_at: datetime
    evaluated_by: str
    reason: str = ""
    superseded_at: datetime | None = None
    superseded_by: str | None = None
    superseded_reason: str | None = None


class EvaluationReport(BaseModel):
    """What one run of a month did: the workers it evaluated now, and how many it found
    evaluated already (a second run evaluates nobody and rewards nobody, JF-GRID-2)."""

    model_config = ConfigDict(frozen=True)

    month: str
    formula_version: NonNegativeInt
    evaluated: list[Evaluation]
    already_evaluated: NonNegativeInt

    @property
    def points(self) -> int:
        """Material points issued by this run."""
        return sum(e.reward for e in self.evaluated)

    @property
    def grades(self) -> dict[str, int]:
        """How many workers this run gave each grade."""
        counts: dict[str, int] = {}
        for evaluation in self.evaluated:
            counts[evaluation.grade] = counts.get(evaluation.grade, 0) + 1
        return dict(sorted(counts.items()))


class Correction(BaseModel):
    """A correction: the superseded revision, the new one and the reversal posted, if any."""

    model_config = ConfigDict(frozen=True)

    previous: Evaluation
    current: Evaluation
    reversal_id: uuid.UUID | None


class Worker(BaseModel):
    """A grid worker: a core subject of type ``grid_worker`` attached to a grid."""

    model_config = ConfigDict(frozen=True)

    id: uuid.UUID
    code: str
    name: str
    grid: str


class RankingEntry(BaseModel):
    """One worker's place in a ranking."""

    model_config = ConfigDict(frozen=True)

    rank: PositiveInt
    worker_id: uuid.UUID
    worker_code: str
    name: str
    grid: str
    score: Decimal
    grade: str
    reward: NonNegativeInt


class RankingGroup(BaseModel):
    """The ranking of one org unit (a street, say): by score, highest first, ties by the
    workers' codes."""

    model_config = ConfigDict(frozen=True)

    unit_code: str
    unit_name: str
    level: Level
    entries: list[RankingEntry]
