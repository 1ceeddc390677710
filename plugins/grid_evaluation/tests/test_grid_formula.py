"""The published formula's arithmetic and grades, exactly (JF-GRID-1). No database."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from jifen_grid_evaluation import Formula, InvalidFormula, Metrics, load_formula, score
from jifen_grid_evaluation.scoring import evaluate, round_half_up

DEFAULT = Formula()


def full_but_response(count: int, minutes: int) -> Metrics:
    """Orders, ratings and inspections that give 40 + 30 + 10; the response part varies."""
    return Metrics(orders_done=20, ratings_count=1, ratings_sum=5, responses_count=count,
                   response_minutes=minutes, inspections=30)


def no_inspections(count: int, minutes: int) -> Metrics:
    """Orders and ratings full (70), no inspections; the response part varies."""
    return Metrics(orders_done=20, ratings_count=1, ratings_sum=5, responses_count=count,
                   response_minutes=minutes)


@pytest.mark.parametrize(("metrics", "expected", "grade", "points"), [
    (no_inspections(20, 600), "90.0", "A", 500),     # 40 + 30 + 20 + 0, exactly
    (no_inspections(20, 609), "89.9", "B", 300),     # response 19.9: exactly 89.9
    (no_inspections(40, 1209), "90.0", "A", 500),    # exactly 89.95: half up to 90.0
    (no_inspections(40, 1227), "89.9", "B", 300),    # exactly 89.85: half up (not to even)
    (no_inspections(2, 195), "75.0", "B", 300),      # response 5: exactly 75
    (no_inspections(40, 3909), "75.0", "B", 300),    # exactly 74.95: half up to 75.0
    (no_inspections(20, 1959), "74.9", "C", 0),      # exactly 74.9
])
def test_jf_grid_1_grade_boundaries_are_exact(metrics: Metrics, expected: str, grade: str,
                                              points: int) -> None:
    result = evaluate(DEFAULT, metrics)
    assert (result.score, result.grade, result.points) == (Decimal(expected), grade, points)
    assert str(result.score) == expected


@pytest.mark.parametrize(("value", "grade"), [
    ("100.0", "A"), ("90.0", "A"), ("89.9", "B"), ("75.0", "B"), ("74.9", "C"), ("0.0", "C")])
def test_jf_grid_1_default_grades(value: str, grade: str) -> None:
    assert DEFAULT.grade(Decimal(value)).grade == grade


def test_jf_grid_1_default_formula_parts() -> None:
    assert score(DEFAULT, Metrics()) == Decimal("35.0")  # neutral rating 15 + nothing to answer 20
    assert score(DEFAULT, full_but_response(0, 0)) == Decimal("100.0")
    assert score(DEFAULT, full_but_response(1, 30)) == Decimal("100.0")   # at the target: full
    assert score(DEFAULT, full_but_response(1, 120)) == Decimal("80.0")   # 4 × target: none
    assert score(DEFAULT, full_but_response(1, 75)) == Decimal("90.0")    # half way: half
    over = Metrics(orders_done=99, ratings_count=2, ratings_sum=2, inspections=99)
    assert score(DEFAULT, over) == Decimal("70.0")  # capped parts; ratings of 1 give nothing
    thirds = Metrics(inspections=1)  # 10/30 = 0.333…: 35 + 0.333… → 35.3
    assert score(DEFAULT, thirds) == Decimal("35.3")


def test_jf_grid_1_rounding_is_half_up_on_exact_fractions() -> None:
    from fractions import Fraction

    assert round_half_up(Fraction(8985, 100)) == Decimal("89.9")
    assert round_half_up(Fraction(8995, 100)) == Decimal("90.0")
    assert round_half_up(Fraction(89949999, 1000000)) == Decimal("89.9")
    assert round_half_up(Fraction(0)) == Decimal("0.0")


def test_jf_grid_1_a_configured_formula_changes_targets_weights_and_grades() -> None:
    formula = Formula.model_validate({
        "orders": {"weight": 50, "target": 10}, "rating": {"weight": 30, "neutral": 4},
        "response": {"weight": 10, "target_minutes": 60}, "inspections": {"weight": 10},
        "grades": [{"grade": "优秀", "min_score": "95.5", "points": 800},
                   {"grade": "合格", "min_score": 60, "points": 100},
                   {"grade": "不合格", "min_score": 0, "points": 0}]})
    assert score(formula, Metrics(orders_done=10)) == Decimal("82.5")  # 50 + 22.5 + 10 + 0
    assert evaluate(formula, Metrics(orders_done=10)).grade == "合格"
    assert formula.grade(Decimal("95.5")).points == 800
    assert formula.grade(Decimal("95.4")).grade == "合格"


@pytest.mark.parametrize(("changes", "message"), [
    ({"orders": {"weight": 50}}, "add up to 100"),
    ({"grades": [{"grade": "A", "min_score": 0, "points": 1},
                 {"grade": "B", "min_score": 50, "points": 0}]}, "highest min_score down"),
    ({"grades": [{"grade": "A", "min_score": 90, "points": 1}]}, "starts at 0"),
    ({"grades": [{"grade": "A", "min_score": 89.5, "points": 1},
                 {"grade": "C", "min_score": 0, "points": 0}]}, "floats are refused"),
    ({"grades": [{"grade": "A", "min_score": "89.55", "points": 1},
                 {"grade": "C", "min_score": 0, "points": 0}]}, "one decimal"),
    ({"grades": [{"grade": "A", "min_score": "90", "points": -1},
                 {"grade": "C", "min_score": 0, "points": 0}]}, "greater than or equal to 0"),
    ({"rating": {"neutral": 6}}, "less than or equal to 5"),
    ({"bonus": 1}, "Extra inputs"),
])
def test_jf_grid_1_formulas_are_checked(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Formula.model_validate(changes)


def test_jf_grid_1_formula_files(tmp_path: Path) -> None:
    good = tmp_path / "f.yaml"
    good.write_text("orders: {weight: 40, target: 25}\npool: kbs-civil-affairs-2024\n",
                    encoding="utf-8")
    assert load_formula(good) == Formula(orders={"weight": 40, "target": 25},  # type: ignore[arg-type]
                                         pool="kbs-civil-affairs-2024")
    bad = tmp_path / "bad.yaml"
    bad.write_text("orders: {weight: 41}\n", encoding="utf-8")
    with pytest.raises(InvalidFormula, match=r"bad.yaml: .*add up to 100"):
        load_formula(bad)


def test_jf_grid_1_metrics_are_checked() -> None:
    with pytest.raises(ValidationError, match="cannot sum to"):
        Metrics(ratings_count=2, ratings_sum=11)
    with pytest.raises(ValidationError, match="cannot sum to"):
        Metrics(ratings_count=2, ratings_sum=1)
    with pytest.raises(ValidationError, match="without any response"):
        Metrics(response_minutes=5)
    with pytest.raises(ValidationError):
        Metrics(orders_done=-1)


# --- properties --------------------------------------------------------------------------

counts = st.integers(min_value=0, max_value=200)


@st.composite
def metrics(draw: st.DrawFn) -> Metrics:
    ratings = draw(st.integers(min_value=0, max_value=50))
    responses = draw(st.integers(min_value=0, max_value=50))
    return Metrics(
        orders_done=draw(counts), ratings_count=ratings,
        ratings_sum=draw(st.integers(min_value=ratings, max_value=5 * ratings)),
        responses_count=responses,
        response_minutes=draw(st.integers(min_value=0, max_value=500 * responses)),
        inspections=draw(counts))


@given(metrics())
def test_jf_grid_1_property_score_is_0_to_100_with_one_decimal(m: Metrics) -> None:
    value = score(DEFAULT, m)
    assert Decimal(0) <= value <= Decimal(100)
    assert value.as_tuple().exponent == -1
    assert DEFAULT.grade(value).grade in {"A", "B", "C"}


@given(metrics(), st.integers(min_value=1, max_value=30))
def test_jf_grid_1_property_score_is_monotone_in_each_metric(m: Metrics, more: int) -> None:
    base = score(DEFAULT, m)
    better = [m.model_copy(update={"orders_done": m.orders_done + more}),
              m.model_copy(update={"inspections": m.inspections + more})]
    if m.ratings_sum + more <= 5 * m.ratings_count:
        better.append(m.model_copy(update={"ratings_sum": m.ratings_sum + more}))
    if m.response_minutes >= more:
        better.append(m.model_copy(update={"response_minutes": m.response_minutes - more}))
    for improved in better:
        assert score(DEFAULT, improved) >= base
    if m.responses_count:
        slower = m.model_copy(update={"response_minutes": m.response_minutes + more})
        assert score(DEFAULT, slower) <= base
