"""Tenant configuration files: loading, error reporting, overrides and working days.

Test names cite the clauses they check (JF-ORG-3, JF-CAT-*, JF-EARN-3, JF-KIND-*, ...).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from jifen.config import (
    TenantConfig,
    add_working_days,
    effective_settings,
    is_working_day,
    load_config,
)
from jifen.errors import ConfigError, NotFound

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "kangbashi.yaml"

MINIMAL = """\
code: demo
name: 示例市
org:
  code: demo
  name: 示例市
  level: city
  children:
    - code: demo.d1
      name: 示例区
      level: district
      children:
        - code: demo.d1.s1
          name: 示例街道
          level: street
catalogue:
  - code: ITEM-A
    name: 示例事项
    category: good_deed
    kind: moral
    amount: "2"
    evidence_required: true
    review_level: community
    valid_from: 2024-01-01
"""


def write(tmp_path: Path, text: str, name: str = "city.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def line_of(text: str, needle: str) -> int:
    """1-based line of the first line containing ``needle``."""
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in text")


def load_error(tmp_path: Path, text: str) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, text))
    return info.value


@pytest.fixture(scope="module")
def example() -> TenantConfig:
    return load_config(EXAMPLE)


# ------------------------------------------------------------------------------------------------
# the example


def test_jf_cat_1_example_city_loads(example: TenantConfig) -> None:
    assert example.code == "ordos"
    assert example.timezone == "Asia/Shanghai"
    assert len(example.catalogue) >= 25
    assert {item.kind for item in example.catalogue} == {"material", "moral"}
    assert {item.amount_mode for item in example.catalogue} == {"fixed", "range", "per_unit"}
    deductions = [item for item in example.catalogue if item.is_deduction]
    assert deductions and all(d.basis and d.max_deduction for d in deductions)
    assert all(d.notice_required and not d.auto_award for d in deductions)


def test_jf_cat_7_example_follows_practice_ranges(example: TenantConfig) -> None:
    items = {item.code: item for item in example.catalogue if item.valid_from == date(2024, 1, 1)}
    assert (items["HEROIC"].min, items["HEROIC"].max) == (Decimal(20), Decimal(50))
    assert (items["GOOD-DEED"].min, items["GOOD-DEED"].max) == (Decimal(2), Decimal(100))
    assert (items["DONATE"].min, items["DONATE"].max) == (Decimal(1), Decimal(20))
    volunteering = items["VOL-HOUR"]
    assert (volunteering.per_unit, volunteering.unit, volunteering.max_units) == (Decimal(1), "hour", 2)


def test_jf_org_2_example_tree_shape(example: TenantConfig) -> None:
    district = example.org.children[0]
    assert example.org.level == "city" and district.level == "district"
    assert len(district.children) == 2
    for street in district.children:
        assert 2 <= len(street.children) <= 3
        for community in street.children:
            assert [grid.level for grid in community.children] == ["grid", "grid"]


def test_jf_kind_1_jf_score_1_example_settings_are_exact(example: TenantConfig) -> None:
    assert example.settings.material_rate_points_per_yuan == 100
    assert example.settings.category_weights["heroic_act"] == Decimal("1.5")
    assert all(isinstance(w, Decimal) for w in example.settings.category_weights.values())


def test_jf_cat_1_defaults_apply_to_a_minimal_file(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, MINIMAL))
    s = config.settings
    assert (s.material_rate_points_per_yuan, s.notice_working_days, s.appeal_days) == (100, 5, 15)
    assert (s.deduction_validity_months, s.score_window_months) == (12, 36)
    assert s.material_expiry == "end_of_next_year"
    assert s.category_weights == {}
    item = config.catalogue[0]
    assert item.notice_required is True and item.auto_award is False


# ------------------------------------------------------------------------------------------------
# errors name file, line and field


def test_jf_kind_2_float_amount_reported_with_file_line_field(tmp_path: Path) -> None:
    text = MINIMAL.replace('amount: "2"', "amount: 2.5")
    err = load_error(tmp_path, text)
    line = line_of(text, "amount: 2.5")
    assert err.details["file"] == "city.yaml"
    assert err.details["line"] == line
    assert err.details["field"] == "catalogue[0].amount"
    assert err.message.startswith(f"city.yaml:{line}: catalogue[0].amount: floats are not accepted")
    assert err.code == "config.invalid"


def test_jf_kind_2_float_amount_in_example_names_item_index(tmp_path: Path) -> None:
    text = EXAMPLE.read_text(encoding="utf-8").replace('per_unit: "1.5"', "per_unit: 1.5")
    err = load_error(tmp_path, text)
    assert err.details["line"] == line_of(text, "per_unit: 1.5")
    assert err.details["field"] == "catalogue[1].per_unit"


def test_jf_cat_1_unknown_field_reported_with_line(tmp_path: Path) -> None:
    text = MINIMAL.replace("    evidence_required: true\n", "    evidence_required: true\n    colour: red\n")
    err = load_error(tmp_path, text)
    assert err.details["line"] == line_of(text, "colour: red")
    assert err.details["field"] == "catalogue[0].colour"
    assert "Extra inputs are not permitted" in err.message


def test_jf_org_2_grid_under_street_reported(tmp_path: Path) -> None:
    text = MINIMAL.replace(
        "          level: street\n",
        "          level: street\n"
        "          children:\n"
        "            - code: demo.d1.s1.g1\n"
        "              name: 错误网格\n"
        "              level: grid\n",
    )
    err = load_error(tmp_path, text)
    assert err.details["line"] == line_of(text, "level: grid")
    assert err.details["field"] == "org.children[0].children[0].children[0].level"
    assert "grid cannot be placed under a street" in err.message


def test_jf_org_1_duplicate_org_code_refused(tmp_path: Path) -> None:
    text = MINIMAL.replace("code: demo.d1.s1", "code: demo.d1")
    err = load_error(tmp_path, text)
    assert err.details["field"] == "org.children[0].children[0].code"
    assert err.details["line"] == line_of(text, "        - code: demo.d1")
    assert "used twice" in err.message


def test_jf_cat_3_duplicate_item_code_and_valid_from_refused(tmp_path: Path) -> None:
    item = MINIMAL[MINIMAL.index("  - code: ITEM-A") :]
    err = load_error(tmp_path, MINIMAL + item)
    assert err.details["field"] == "catalogue[1].code"
    # the same code with a later valid_from is a new version, not a duplicate
    load_config(write(tmp_path, MINIMAL + item.replace("2024-01-01", "2025-01-01")))


def test_yaml_syntax_and_duplicate_keys_reported_with_line(tmp_path: Path) -> None:
    err = load_error(tmp_path, MINIMAL.replace("name: 示例区", "name: [unclosed"))
    assert err.details["file"] == "city.yaml" and err.details["line"] > 0
    text = MINIMAL.replace("    kind: moral\n", "    kind: moral\n    kind: material\n")
    err = load_error(tmp_path, text)
    assert (err.details["line"], err.details["field"]) == (
        line_of(text, "kind: material"),
        "catalogue[0].kind",
    )


def test_unknown_timezone_refused(tmp_path: Path) -> None:
    err = load_error(
        tmp_path, MINIMAL.replace("name: 示例市\norg:", "name: 示例市\ntimezone: Mars/Olympus\norg:")
    )
    assert err.details["field"] == "timezone"
    assert "unknown time zone 'Mars/Olympus'" in err.message
    assert err.details["line"] == 3


def test_several_mistakes_all_listed(tmp_path: Path) -> None:
    text = MINIMAL.replace('amount: "2"', "amount: 2.5").replace("review_level: community", "review_level: x")
    err = load_error(tmp_path, text)
    fields = [e["field"] for e in err.details["errors"]]
    assert fields == ["catalogue[0].amount", "catalogue[0].review_level"]


# ------------------------------------------------------------------------------------------------
# catalogue rules


def test_jf_cat_5_deduction_without_basis_refused(tmp_path: Path) -> None:
    text = MINIMAL.replace('amount: "2"', 'amount: "-2"\n    max_deduction: 2')
    err = load_error(tmp_path, text)
    assert err.details["field"] == "catalogue[0].basis"
    assert err.details["line"] == line_of(text, "- code: ITEM-A")
    assert "legal or regulatory basis" in err.message


def test_jf_cat_5_deduction_without_maximum_refused(tmp_path: Path) -> None:
    text = MINIMAL.replace('amount: "2"', 'amount: "-2"\n    basis: 《示例条例》第一条')
    err = load_error(tmp_path, text)
    assert err.details["field"] == "catalogue[0].max_deduction"


def test_jf_cat_5_deduction_beyond_its_maximum_refused(tmp_path: Path) -> None:
    text = MINIMAL.replace(
        'amount: "2"', "min: -20\n    max: -5\n    basis: 《示例条例》\n    max_deduction: 10"
    )
    err = load_error(tmp_path, text)
    assert err.details["field"] == "catalogue[0].max_deduction"


def test_jf_cat_4_auto_awarded_deduction_refused(tmp_path: Path) -> None:
    text = MINIMAL.replace(
        'amount: "2"', 'amount: "-2"\n    basis: 《示例条例》\n    max_deduction: 2\n    auto_award: true'
    )
    err = load_error(tmp_path, text)
    assert err.details["field"] == "catalogue[0].auto_award"
    assert "JF-CAT-4" in err.message


def test_jf_cat_4_deduction_without_notice_refused(tmp_path: Path) -> None:
    text = MINIMAL.replace(
        'amount: "2"',
        'amount: "-2"\n    basis: 《示例条例》\n    max_deduction: 2\n    notice_required: false',
    )
    assert load_error(tmp_path, text).details["field"] == "catalogue[0].notice_required"


@pytest.mark.parametrize("category", ["petition", "complaint", "speech", "petitioning", "complaints"])
def test_jf_cat_5_petition_complaint_speech_categories_refused(tmp_path: Path, category: str) -> None:
    text = MINIMAL.replace("category: good_deed", f"category: {category}")
    err = load_error(tmp_path, text)
    assert err.details["field"] == "catalogue[0].category"
    assert err.details["line"] == line_of(text, f"category: {category}")
    assert f"category '{category}' is not allowed" in err.message
    assert "never catalogue items" in err.message


def test_jf_kind_2_moral_amount_with_two_decimals_refused(tmp_path: Path) -> None:
    text = MINIMAL.replace('amount: "2"', 'amount: "2.55"')
    err = load_error(tmp_path, text)
    assert err.details["field"] == "catalogue[0].amount"
    assert "one decimal place" in err.message
    load_config(write(tmp_path, MINIMAL.replace('amount: "2"', 'amount: "2.5"')))


def test_jf_kind_1_material_amount_must_be_whole(tmp_path: Path) -> None:
    text = MINIMAL.replace("kind: moral", "kind: material").replace('amount: "2"', 'amount: "2.5"')
    err = load_error(tmp_path, text)
    assert err.details["field"] == "catalogue[0].amount"
    assert "whole" in err.message


def test_jf_cat_1_range_min_above_max_refused(tmp_path: Path) -> None:
    text = MINIMAL.replace('amount: "2"', "min: 50\n    max: 20")
    assert load_error(tmp_path, text).details["field"] == "catalogue[0].min"


def test_jf_cat_1_exactly_one_amount_form(tmp_path: Path) -> None:
    none = MINIMAL.replace('    amount: "2"\n', "")
    assert load_error(tmp_path, none).details["field"] == "catalogue[0].amount"
    both = MINIMAL.replace('amount: "2"', 'amount: "2"\n    per_unit: "1"\n    unit: hour')
    assert "exactly one form" in load_error(tmp_path, both).message
    no_unit = MINIMAL.replace('amount: "2"', 'per_unit: "1"')
    assert load_error(tmp_path, no_unit).details["field"] == "catalogue[0].unit"


def test_jf_cat_2_caps_refuse_floats_and_disorder(tmp_path: Path) -> None:
    text = MINIMAL.replace("    valid_from:", "    caps: {per_day: 1.5}\n    valid_from:")
    assert load_error(tmp_path, text).details["field"] == "catalogue[0].caps.per_day"
    text = MINIMAL.replace("    valid_from:", "    caps: {per_day: 10, per_month: 5}\n    valid_from:")
    assert load_error(tmp_path, text).details["field"] == "catalogue[0].caps.per_month"


def test_jf_score_1_weights_are_decimal_strings_not_floats(tmp_path: Path) -> None:
    text = MINIMAL + "settings:\n  category_weights:\n    good_deed: 1.5\n"
    err = load_error(tmp_path, text)
    assert err.details["field"] == "settings.category_weights.good_deed"
    assert err.details["line"] == line_of(text, "good_deed: 1.5")
    ok = load_config(write(tmp_path, MINIMAL + 'settings:\n  category_weights:\n    good_deed: "1.5"\n'))
    assert ok.settings.category_weights == {"good_deed": Decimal("1.5")}


# ------------------------------------------------------------------------------------------------
# overrides (JF-ORG-3)


def test_jf_org_3_street_override_applies_to_its_grids(example: TenantConfig) -> None:
    assert effective_settings(example, "ordos").notice_working_days == 5
    assert effective_settings(example, "ordos.kbs.qcs").notice_working_days == 3
    assert effective_settings(example, "ordos.kbs.qcs.yangguang.g02").notice_working_days == 3
    # a sibling street keeps the city's value
    assert effective_settings(example, "ordos.kbs.hbgx.youyi.g01").notice_working_days == 5
    # fields not overridden are inherited
    assert effective_settings(example, "ordos.kbs.qcs.yangguang.g02").appeal_days == 15


def test_jf_org_3_nearest_ancestor_wins(tmp_path: Path) -> None:
    text = (
        MINIMAL.replace(
            "      level: district\n",
            "      level: district\n"
            "      overrides:\n"
            "        notice_working_days: 7\n"
            "        appeal_days: 20\n",
        ).replace(
            "          level: street\n",
            "          level: street\n          overrides: {notice_working_days: 2}\n",
        )
        + "settings:\n  notice_working_days: 6\n"
    )
    config = load_config(write(tmp_path, text))
    assert effective_settings(config, "demo").notice_working_days == 6
    district = effective_settings(config, "demo.d1")
    assert (district.notice_working_days, district.appeal_days) == (7, 20)
    street = effective_settings(config, "demo.d1.s1")
    # the street's own value wins over the district's; the district's appeal_days is inherited
    assert (street.notice_working_days, street.appeal_days) == (2, 20)
    assert street.material_rate_points_per_yuan == 100


def test_jf_org_3_stored_overrides_keep_only_what_the_unit_sets(example: TenantConfig) -> None:
    """The applied configuration is stored as JSON and read back; a street that overrides one
    setting must not, once read back, override every other with its default."""
    stored = TenantConfig.model_validate(example.model_dump(mode="json"))
    grid = "ordos.kbs.qcs.yangguang.g02"  # under the street that overrides notice_working_days
    assert effective_settings(stored, grid) == effective_settings(example, grid)
    assert effective_settings(stored, grid).child_score == "best_of_guardians"  # the city's
    assert effective_settings(stored, grid).notice_working_days == 3


def test_jf_org_3_unknown_unit(example: TenantConfig) -> None:
    with pytest.raises(NotFound):
        effective_settings(example, "nowhere")


def test_jf_org_3_override_field_checked(tmp_path: Path) -> None:
    text = MINIMAL.replace(
        "      level: district\n", "      level: district\n      overrides: {notice_days: 3}\n"
    )
    err = load_error(tmp_path, text)
    assert err.details["field"] == "org.children[0].overrides.notice_days"
    assert err.details["line"] == line_of(text, "notice_days: 3")


# ------------------------------------------------------------------------------------------------
# working days (JF-EARN-3)


def test_jf_earn_3_working_days_skip_the_weekend(example: TenantConfig) -> None:
    friday = date(2024, 11, 8)
    assert is_working_day(example, friday)
    assert not is_working_day(example, date(2024, 11, 9))
    assert add_working_days(example, friday, 1) == date(2024, 11, 11)
    assert add_working_days(example, friday, 5) == date(2024, 11, 15)
    assert add_working_days(example, date(2024, 11, 15), -5) == friday
    assert add_working_days(example, friday, 0) == friday


def test_jf_earn_3_working_days_across_the_october_holiday(example: TenantConfig) -> None:
    assert is_working_day(example, date(2024, 9, 29))  # Sunday worked (调休)
    assert is_working_day(example, date(2024, 10, 12))  # Saturday worked
    assert not any(is_working_day(example, date(2024, 10, d)) for d in range(1, 8))
    # published Friday 27 September: Sun 29, Mon 30, Tue 8, Wed 9, Thu 10 October
    assert add_working_days(example, date(2024, 9, 27), 5) == date(2024, 10, 10)
    # Thu 10 → Fri 11, Sat 12 (worked), Mon 14
    assert add_working_days(example, date(2024, 10, 10), 3) == date(2024, 10, 14)


def test_jf_earn_3_notice_end_uses_effective_notice_period(example: TenantConfig) -> None:
    start = date(2024, 9, 27)
    grid = "ordos.kbs.qcs.qingchun.g01"
    days = effective_settings(example, grid).notice_working_days
    assert add_working_days(example, start, days) == date(2024, 10, 8)


def test_calendar_extra_workday_must_be_a_weekend_day(tmp_path: Path) -> None:
    text = MINIMAL + "calendar:\n  extra_workdays: [2024-10-08]\n"
    err = load_error(tmp_path, text)
    assert err.details["field"] == "calendar.extra_workdays[0]"


def test_jf_cat_5_petition_category_refused_in_category_caps(tmp_path: Path) -> None:
    text = MINIMAL + "category_caps:\n  petition: {per_year: 10}\n"
    err = load_error(tmp_path, text)
    assert err.details["field"] == "category_caps.petition"
    assert err.details["line"] == line_of(text, "petition:")


def test_yaml_merge_keys_report_the_line_in_effect(tmp_path: Path) -> None:
    item = MINIMAL[MINIMAL.index("  - code: ITEM-A") :].replace(
        "  - code: ITEM-A", "  - &base\n    code: ITEM-A"
    )
    text = (
        MINIMAL[: MINIMAL.index("  - code: ITEM-A")]
        + item
        + "  - <<: *base\n    code: ITEM-B\n    amount: 2.5\n"
    )
    err = load_error(tmp_path, text)
    assert (err.details["field"], err.details["line"]) == (
        "catalogue[1].amount",
        line_of(text, "amount: 2.5"),
    )
    config = load_config(write(tmp_path, text.replace("amount: 2.5", 'amount: "3"')))
    assert [(i.code, i.amount) for i in config.catalogue] == [("ITEM-A", Decimal(2)), ("ITEM-B", Decimal(3))]


def test_jf_kind_2_non_decimal_amount_refused(tmp_path: Path) -> None:
    err = load_error(tmp_path, MINIMAL.replace('amount: "2"', 'amount: "two"'))
    assert err.details["field"] == "catalogue[0].amount"
    assert "'two' is not a decimal number" in err.message
