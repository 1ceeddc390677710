"""Tenant configuration: one YAML file per tenant, validated by pydantic models.

A tenant file declares the city's org tree, its settings (rates, notice and appeal periods,
validity windows, score weights), its working-day calendar and its points catalogue (积分清单).
:func:`load_config` parses and validates a file and nothing else: it is pure, applies nothing and
touches no database. Every mistake is reported as a :class:`~jifen.errors.ConfigError` naming the
file, the line and the field, e.g. ``city.yaml:42: catalogue[3].amount: floats are not accepted``.

Clauses: JF-ORG-3 (settings set at the city, overridable lower down, nearest ancestor wins),
JF-CAT-1..7 (catalogue items), JF-EARN-3 (notice period in working days), JF-KIND-1 (material
rate), JF-EXP-1/2 (expiry, score window), JF-SCORE-1 (category weights), JF-DUE-3 (appeal days),
JF-SUB-2 (a guardian's score for a child).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml  # type: ignore[import-untyped]
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SerializationInfo,
    ValidationError,
    field_serializer,
    field_validator,
)
from pydantic import model_validator as _model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from jifen.errors import ConfigError, NotFound

__all__ = [
    "FORBIDDEN_CATEGORIES",
    "LEVELS",
    "Calendar",
    "Caps",
    "CatalogueItem",
    "OrgUnit",
    "ScenarioConfig",
    "ScenarioEligibilityOverride",
    "Settings",
    "TenantConfig",
    "add_working_days",
    "effective_settings",
    "find_unit_path",
    "is_working_day",
    "iter_units",
    "load_config",
]

LEVELS: tuple[str, ...] = ("city", "district", "street", "community", "grid")
Level = Literal["city", "district", "street", "community", "grid"]
ReviewLevel = Literal["community", "street", "district", "city"]
Kind = Literal["material", "moral"]

#: Categories that can never hold catalogue items: petitioning, complaints and lawful speech (JF-CAT-5).
FORBIDDEN_CATEGORIES: frozenset[str] = frozenset({"petition", "complaint", "speech"})
_FORBIDDEN_SPELLINGS: frozenset[str] = FORBIDDEN_CATEGORIES | frozenset(
    {"petitions", "petitioning", "complaints", "speeches", "xinfang", "shangfang", "tousu"}
)

_CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
_TENTH = Decimal("0.1")
_ONE = Decimal(1)

_STRICT = ConfigDict(extra="forbid", frozen=True)


# --------------------------------------------------------------------------------------------------
# exact decimals


def _exact_decimal(value: object) -> Decimal:
    """Accept ints and decimal strings; refuse floats (and booleans) with a clear message."""
    if isinstance(value, bool):
        raise PydanticCustomError("amount_type", "expected a decimal string or an integer, got a boolean")
    if isinstance(value, float):
        raise PydanticCustomError(
            "float_amount",
            "floats are not accepted (amounts must be exact): write {value} as a quoted decimal string "
            'such as "{value}", or as an integer',
            {"value": repr(value)},
        )
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except InvalidOperation:
            raise PydanticCustomError(
                "decimal_parsing", "'{value}' is not a decimal number", {"value": value}
            ) from None
    else:
        raise PydanticCustomError(
            "amount_type",
            "expected a decimal string or an integer, got {type}",
            {"type": type(value).__name__},
        )
    if not result.is_finite():
        raise PydanticCustomError("decimal_finite", "'{value}' is not a finite number", {"value": str(value)})
    return result


#: A decimal given in YAML as a string (``"2.5"``) or an integer; never a float.
ExactDecimal = Annotated[Decimal, BeforeValidator(_exact_decimal)]


def _places_ok(value: Decimal, kind: Kind) -> bool:
    """Material points are whole (JF-KIND-1); moral points have at most one decimal (JF-KIND-2)."""
    step = _ONE if kind == "material" else _TENTH
    return value == value.quantize(step)


def _places_message(kind: Kind) -> str:
    if kind == "material":
        return "material points are whole numbers (JF-KIND-1)"
    return "moral points have at most one decimal place (JF-KIND-2)"


class _Problems:
    """Collects field-level errors raised from model validators as one ValidationError."""

    def __init__(self, title: str) -> None:
        self.title = title
        self.items: list[InitErrorDetails] = []

    def add(self, loc: Sequence[str | int], message: str, value: object) -> None:
        self.items.append(
            {
                "type": PydanticCustomError("config_rule", "{message}", {"message": message}),
                "loc": tuple(loc),
                "input": value,
            }
        )

    def raise_if_any(self) -> None:
        if self.items:
            raise ValidationError.from_exception_data(self.title, self.items)


# --------------------------------------------------------------------------------------------------
# settings


class Settings(BaseModel):
    """Tenant-wide settings; any subset MAY be overridden on an org unit (JF-ORG-3)."""

    model_config = _STRICT

    #: Material points per yuan; default 100 (1 point = 1 fen) (JF-KIND-1).
    material_rate_points_per_yuan: int = Field(default=100, ge=1)
    #: Public notice period in working days (JF-EARN-3).
    notice_working_days: int = Field(default=5, ge=0)
    #: Days in which rejections and deductions can be appealed (JF-DUE-3).
    appeal_days: int = Field(default=15, ge=1)
    #: Months a deduction lowers the score (JF-CAT-5).
    deduction_validity_months: int = Field(default=12, ge=1)
    #: Window of moral points counted by the default score (JF-EXP-2).
    score_window_months: int = Field(default=36, ge=1)
    #: Expiry of material lots (JF-EXP-1).
    material_expiry: Literal["end_of_next_year", "never"] = "end_of_next_year"
    #: Per-category score weights, exact decimals, default 1.0 for unlisted categories (JF-SCORE-1).
    category_weights: dict[str, ExactDecimal] = Field(default_factory=dict)
    #: Whose score a scenario uses for a child of a household (JF-SUB-2): the child's ``own``, or
    #: ``best_of_guardians``, the highest of the child's own and each guardian's score.
    child_score: Literal["own", "best_of_guardians"] = "own"

    @field_validator("category_weights")
    @classmethod
    def _weights_not_negative(cls, value: dict[str, Decimal]) -> dict[str, Decimal]:
        for category, weight in value.items():
            if weight < 0:
                raise PydanticCustomError(
                    "weight_negative", "weight of '{category}' is negative", {"category": category}
                )
        return value


# --------------------------------------------------------------------------------------------------
# org tree


class OrgUnit(BaseModel):
    """A unit of the org tree city → district → street → community → grid (JF-ORG-2)."""

    model_config = _STRICT

    code: str = Field(pattern=_CODE_PATTERN)
    name: str = Field(min_length=1, max_length=200)
    level: Level
    #: Settings set on this unit; the nearest ancestor's value wins (JF-ORG-3).
    overrides: Settings | None = None
    children: list[OrgUnit] = Field(default_factory=list)

    @field_serializer("overrides")
    def _only_what_the_unit_sets(self, overrides: Settings | None,
                                 info: SerializationInfo) -> dict[str, Any] | None:
        """An override keeps only the fields the unit sets, also in the stored configuration:
        a field it leaves alone stays inherited when the configuration is read back."""
        if overrides is None:
            return None
        return overrides.model_dump(mode="json" if info.mode_is_json() else "python",
                                    exclude_unset=True)

    @_model_validator(mode="after")
    def _children_one_level_below(self) -> OrgUnit:
        problems = _Problems("OrgUnit")
        expected_index = LEVELS.index(self.level) + 1
        for i, child in enumerate(self.children):
            if expected_index >= len(LEVELS):
                problems.add(
                    ("children", i, "level"),
                    f"a {self.level} cannot have children (grid is the lowest level)",
                    child.level,
                )
            elif child.level != LEVELS[expected_index]:
                problems.add(
                    ("children", i, "level"),
                    f"a {child.level} cannot be placed under a {self.level}; "
                    f"children of a {self.level} are {LEVELS[expected_index]}s (JF-ORG-2)",
                    child.level,
                )
        problems.raise_if_any()
        return self


# --------------------------------------------------------------------------------------------------
# calendar


class Calendar(BaseModel):
    """Working-day calendar: weekends are non-working unless listed in ``extra_workdays``."""

    model_config = _STRICT

    holidays: list[date] = Field(default_factory=list)
    #: Weekend days that are worked (调休), e.g. 2024-09-29 and 2024-10-12.
    extra_workdays: list[date] = Field(default_factory=list)

    @_model_validator(mode="after")
    def _consistent(self) -> Calendar:
        problems = _Problems("Calendar")
        holidays = set(self.holidays)
        for i, day in enumerate(self.extra_workdays):
            if day in holidays:
                problems.add(
                    ("extra_workdays", i), f"{day} is listed both as a holiday and as a workday", day
                )
            elif day.weekday() < 5:
                problems.add(
                    ("extra_workdays", i), f"{day} is a weekday; only weekend days can be extra workdays", day
                )
        problems.raise_if_any()
        return self


# --------------------------------------------------------------------------------------------------
# catalogue


class Caps(BaseModel):
    """Per-subject caps per day, month and year (JF-CAT-2), in points of the item's kind."""

    model_config = _STRICT

    per_day: ExactDecimal | None = None
    per_month: ExactDecimal | None = None
    per_year: ExactDecimal | None = None

    @_model_validator(mode="after")
    def _positive_and_ordered(self) -> Caps:
        problems = _Problems("Caps")
        previous: tuple[str, Decimal] | None = None
        for name in ("per_day", "per_month", "per_year"):
            value: Decimal | None = getattr(self, name)
            if value is None:
                continue
            if value <= 0:
                problems.add((name,), "a cap must be positive", str(value))
            elif value != value.quantize(_TENTH):
                problems.add((name,), "a cap has at most one decimal place", str(value))
            elif previous is not None and value < previous[1]:
                problems.add((name,), f"{name} ({value}) is below {previous[0]} ({previous[1]})", str(value))
            previous = (name, value)
        problems.raise_if_any()
        return self


class CatalogueItem(BaseModel):
    """One published catalogue item (JF-CAT-1).

    The amount takes exactly one of three forms: fixed (``amount``), a range for the reviewer
    (``min``/``max``) or per unit (``per_unit``, ``unit``, optional ``max_units``). A negative
    amount makes the item a deduction: it names its ``basis`` and a ``max_deduction`` (JF-CAT-5),
    and always goes through notice (JF-CAT-4).
    """

    model_config = _STRICT

    code: str = Field(pattern=_CODE_PATTERN)
    name: str = Field(min_length=1, max_length=200)
    category: str = Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")
    kind: Kind
    amount: ExactDecimal | None = None
    min: ExactDecimal | None = None
    max: ExactDecimal | None = None
    per_unit: ExactDecimal | None = None
    unit: str | None = Field(default=None, min_length=1, max_length=32)
    max_units: int | None = Field(default=None, ge=1)
    evidence_required: bool
    review_level: ReviewLevel
    notice_required: bool = True
    auto_award: bool = False
    caps: Caps | None = None
    valid_from: date
    basis: str | None = Field(default=None, min_length=1)
    max_deduction: ExactDecimal | None = None
    #: The funding pool material awards of this item draw from (JF-FUND-1); default:
    #: the tenant's ``default_pool``.
    pool: str | None = Field(default=None, pattern=_CODE_PATTERN)

    @field_validator("category")
    @classmethod
    def _not_forbidden(cls, value: str) -> str:
        if value in _FORBIDDEN_SPELLINGS:
            raise PydanticCustomError(
                "category_forbidden",
                "category '{category}' is not allowed: petitioning, complaints and lawful speech are "
                "never catalogue items (JF-CAT-5)",
                {"category": value},
            )
        return value

    @property
    def amount_mode(self) -> Literal["fixed", "range", "per_unit"]:
        if self.amount is not None:
            return "fixed"
        if self.per_unit is not None:
            return "per_unit"
        return "range"

    @property
    def is_deduction(self) -> bool:
        """A deduction is an item whose amount (or range, or per-unit amount) is negative."""
        return any(v is not None and v < 0 for v in (self.amount, self.min, self.max, self.per_unit))

    @_model_validator(mode="after")
    def _rules(self) -> CatalogueItem:
        problems = _Problems("CatalogueItem")
        self._check_amount_form(problems)
        problems.raise_if_any()  # the remaining checks assume one well-formed amount
        self._check_places(problems)
        self._check_deduction(problems)
        problems.raise_if_any()
        return self

    def _check_amount_form(self, problems: _Problems) -> None:
        forms = [
            name
            for name, present in (
                ("amount", self.amount is not None),
                ("min/max", self.min is not None or self.max is not None),
                ("per_unit", self.per_unit is not None),
            )
            if present
        ]
        if not forms:
            problems.add(
                ("amount",),
                "give the amount: fixed (amount), a range (min and max) or per unit (per_unit and unit)",
                None,
            )
            return
        if len(forms) > 1:
            problems.add(
                ("amount",) if self.amount is not None else ("per_unit",),
                f"give exactly one form of amount, not {' and '.join(forms)}",
                None,
            )
            return
        if self.amount is not None and self.amount == 0:
            problems.add(("amount",), "the amount cannot be zero", str(self.amount))
        if forms == ["min/max"]:
            if self.min is None:
                problems.add(("min",), "a range needs both min and max", None)
            elif self.max is None:
                problems.add(("max",), "a range needs both min and max", None)
            elif self.min > self.max:
                problems.add(("min",), f"min ({self.min}) is greater than max ({self.max})", str(self.min))
            elif self.min < 0 < self.max or self.min == 0 or self.max == 0:
                problems.add(
                    ("min",),
                    "a range is either all awards (positive) or all deductions (negative)",
                    str(self.min),
                )
        if self.per_unit is not None:
            if self.per_unit == 0:
                problems.add(("per_unit",), "the amount per unit cannot be zero", str(self.per_unit))
            if self.unit is None:
                problems.add(("unit",), "a per-unit amount names its unit, e.g. unit: hour", None)
        else:
            for name in ("unit", "max_units"):
                if getattr(self, name) is not None:
                    problems.add((name,), f"{name} is only used with per_unit", getattr(self, name))

    def _check_places(self, problems: _Problems) -> None:
        for name in ("amount", "min", "max", "per_unit", "max_deduction"):
            value: Decimal | None = getattr(self, name)
            if value is not None and not _places_ok(value, self.kind):
                problems.add((name,), f"{value} is not allowed: {_places_message(self.kind)}", str(value))
        if self.caps is not None:
            for name in ("per_day", "per_month", "per_year"):
                cap: Decimal | None = getattr(self.caps, name)
                if cap is not None and not _places_ok(cap, self.kind):
                    problems.add(
                        ("caps", name), f"{cap} is not allowed: {_places_message(self.kind)}", str(cap)
                    )

    def _largest_single_deduction(self) -> Decimal | None:
        if self.amount is not None:
            return -self.amount
        if self.min is not None:
            return -self.min
        if self.per_unit is not None and self.max_units is not None:
            return -self.per_unit * self.max_units
        return None

    def _check_deduction(self, problems: _Problems) -> None:
        if not self.is_deduction:
            if self.max_deduction is not None:
                problems.add(("max_deduction",), "max_deduction is only used with deductions", None)
            return
        if self.basis is None or not self.basis.strip():
            problems.add(("basis",), "a deduction names its legal or regulatory basis (JF-CAT-5)", None)
        if self.max_deduction is None:
            problems.add(("max_deduction",), "a deduction names its maximum, max_deduction (JF-CAT-5)", None)
        elif self.max_deduction <= 0:
            problems.add(
                ("max_deduction",), "max_deduction is a positive number of points", str(self.max_deduction)
            )
        else:
            largest = self._largest_single_deduction()
            if largest is not None and largest > self.max_deduction:
                problems.add(
                    ("max_deduction",),
                    f"the item can deduct {largest}, more than its max_deduction {self.max_deduction}",
                    str(self.max_deduction),
                )
        if self.auto_award:
            problems.add(
                ("auto_award",),
                "a deduction cannot be auto-awarded: deductions always go through notice (JF-CAT-4)",
                True,
            )
        if not self.notice_required:
            problems.add(
                ("notice_required",),
                "deductions always go through notice (JF-CAT-4)",
                False,
            )


# --------------------------------------------------------------------------------------------------
# tenant


class Pool(BaseModel):
    """A funded budget line that material points are issued from (JF-FUND-1)."""

    model_config = _STRICT

    code: str = Field(pattern=_CODE_PATTERN)
    name: str = Field(min_length=1, max_length=200)
    #: Whose budget it is: a department, a street or a sponsor.
    owner: str = Field(min_length=1, max_length=200)
    #: The most material points the pool may have issued (points; 100 points = 1 yuan).
    limit_points: int = Field(ge=0)


class ScenarioEligibilityOverride(BaseModel):
    """The eligibility values of a scenario a tenant sets in its file (JF-SCN-1); a field left
    out (or null) keeps the plugin's value."""

    model_config = _STRICT

    min_score: ExactDecimal | None = None
    residence: str | None = Field(default=None, pattern=_CODE_PATTERN)
    required_categories: list[str] | None = None
    consent: bool | None = None

    @field_validator("min_score")
    @classmethod
    def _one_decimal(cls, value: Decimal | None) -> Decimal | None:
        if value is not None and value != value.quantize(_TENTH):
            raise PydanticCustomError("min_score_places", _places_message("moral"))
        return value


class ScenarioConfig(BaseModel):
    """A tenant's overrides of one scenario (``scenarios: {<code>: ...}``): eligibility values
    and mode options (validated by the scenario's mode when the rule is resolved)."""

    model_config = _STRICT

    eligibility: ScenarioEligibilityOverride = Field(default_factory=ScenarioEligibilityOverride)
    options: dict[str, Any] = Field(default_factory=dict)


class TenantConfig(BaseModel):
    """The whole configuration of one tenant (one city)."""

    model_config = _STRICT

    code: str = Field(pattern=_CODE_PATTERN)
    name: str = Field(min_length=1, max_length=200)
    timezone: str = "Asia/Shanghai"
    org: OrgUnit
    settings: Settings = Field(default_factory=Settings)
    calendar: Calendar = Field(default_factory=Calendar)
    catalogue: list[CatalogueItem] = Field(default_factory=list)
    #: Per-subject caps per category (JF-CAT-2).
    category_caps: dict[str, Caps] = Field(default_factory=dict)
    #: Funding pools of material points (JF-FUND-1).
    pools: list[Pool] = Field(default_factory=list)
    #: The pool of material items that name none.
    default_pool: str | None = Field(default=None, pattern=_CODE_PATTERN)
    #: Per-scenario overrides of eligibility and options (JF-SCN-1), by scenario code.
    scenarios: dict[str, ScenarioConfig] = Field(default_factory=dict)

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise PydanticCustomError("timezone_unknown", "unknown time zone '{tz}'", {"tz": value}) from None
        return value

    @_model_validator(mode="after")
    def _tenant_rules(self) -> TenantConfig:
        problems = _Problems("TenantConfig")
        if self.org.level != "city":
            problems.add(("org", "level"), "the root of the org tree is the city (JF-ORG-2)", self.org.level)

        seen_units: dict[str, tuple[str | int, ...]] = {}
        categories = {item.category for item in self.catalogue}
        for unit, _path, loc in iter_units(self):
            if unit.code in seen_units:
                first = _format_loc(seen_units[unit.code])
                problems.add(
                    (*loc, "code"), f"org code {unit.code!r} is used twice (first at {first})", unit.code
                )
            else:
                seen_units[unit.code] = (*loc, "code")
            if unit.overrides is not None:
                self._check_weights(problems, unit.overrides, (*loc, "overrides"), categories)
        self._check_weights(problems, self.settings, ("settings",), categories)

        seen_items: dict[tuple[str, date], int] = {}
        for i, item in enumerate(self.catalogue):
            key = (item.code, item.valid_from)
            if key in seen_items:
                problems.add(
                    ("catalogue", i, "code"),
                    f"catalogue item {item.code!r} valid from {item.valid_from} is defined twice "
                    f"(first at catalogue[{seen_items[key]}]); "
                    "a new version needs a new valid_from (JF-CAT-3)",
                    item.code,
                )
            else:
                seen_items[key] = i

        for category in self.category_caps:
            if category in _FORBIDDEN_SPELLINGS:
                problems.add(
                    ("category_caps", category),
                    f"category {category!r} is not allowed (JF-CAT-5)",
                    category,
                )
            elif category not in categories:
                problems.add(
                    ("category_caps", category), f"no catalogue item has category {category!r}", category
                )
        self._check_pools(problems)
        self._check_scenarios(problems, set(seen_units))
        problems.raise_if_any()
        return self

    def _check_scenarios(self, problems: _Problems, units: set[str]) -> None:
        """A scenario's residence names a unit of the tree (JF-SCN-1)."""
        for code, scenario in self.scenarios.items():
            residence = scenario.eligibility.residence
            if residence is not None and residence not in units:
                problems.add(("scenarios", code, "eligibility", "residence"),
                             f"no org unit {residence!r} in the tree", residence)

    def _check_pools(self, problems: _Problems) -> None:
        """JF-FUND-1: pools are named once, and every material item resolves to one."""
        codes: set[str] = set()
        for i, pool in enumerate(self.pools):
            if pool.code in codes:
                problems.add(("pools", i, "code"), f"pool {pool.code!r} is defined twice", pool.code)
            codes.add(pool.code)
        if self.default_pool is not None and self.default_pool not in codes:
            problems.add(("default_pool",), f"no pool {self.default_pool!r} in pools", self.default_pool)
        for i, item in enumerate(self.catalogue):
            if item.pool is not None and item.pool not in codes:
                problems.add(("catalogue", i, "pool"), f"no pool {item.pool!r} in pools", item.pool)
            elif item.kind == "material" and item.pool is None and self.default_pool is None:
                problems.add(("catalogue", i, "pool"),
                             f"material item {item.code!r} needs a funding pool: set pool here or "
                             "default_pool (JF-FUND-1)", item.code)

    def pool_of(self, item: CatalogueItem) -> str | None:
        """The pool an item's material awards draw from; None for other kinds."""
        if item.kind != "material":
            return None
        return item.pool or self.default_pool

    @staticmethod
    def _check_weights(
        problems: _Problems, settings: Settings, loc: tuple[str | int, ...], categories: set[str]
    ) -> None:
        for category in settings.category_weights:
            if category not in categories:
                problems.add(
                    (*loc, "category_weights", category),
                    f"no catalogue item has category {category!r}",
                    category,
                )


OrgUnit.model_rebuild()


# --------------------------------------------------------------------------------------------------
# org helpers and settings resolution


def iter_units(
    config: TenantConfig,
) -> Iterator[tuple[OrgUnit, tuple[OrgUnit, ...], tuple[str | int, ...]]]:
    """Yield every unit with its path from the root (inclusive) and its location in the file."""
    stack: list[tuple[OrgUnit, tuple[OrgUnit, ...], tuple[str | int, ...]]] = [
        (config.org, (config.org,), ("org",))
    ]
    while stack:
        unit, path, loc = stack.pop()
        yield unit, path, loc
        for i in reversed(range(len(unit.children))):
            child = unit.children[i]
            stack.append((child, (*path, child), (*loc, "children", i)))


def find_unit_path(config: TenantConfig, org_code: str) -> tuple[OrgUnit, ...]:
    """The units from the root down to ``org_code`` (inclusive); NotFound if no unit has that code."""
    for unit, path, _loc in iter_units(config):
        if unit.code == org_code:
            return path
    raise NotFound(f"no org unit {org_code!r} in tenant {config.code!r}", org_code=org_code)


def effective_settings(config: TenantConfig, org_code: str) -> Settings:
    """The settings in force at ``org_code``: the nearest ancestor's override wins (JF-ORG-3).

    Starts from the tenant's settings and walks from the root down to the unit, applying the
    fields each unit's ``overrides`` sets explicitly; so a value set on the unit itself beats its
    street's, which beats its district's, and so on. A field replaces the inherited value whole
    (``category_weights`` included).
    """
    result = config.settings
    for unit in find_unit_path(config, org_code):
        if unit.overrides is not None:
            update: dict[str, Any] = {
                name: getattr(unit.overrides, name) for name in unit.overrides.model_fields_set
            }
            if update:
                result = result.model_copy(update=update)
    return result


# --------------------------------------------------------------------------------------------------
# working days


def is_working_day(config: TenantConfig, day: date) -> bool:
    """Weekdays are working days unless holidays; weekends are not unless listed as extra workdays."""
    if day in config.calendar.extra_workdays:
        return True
    if day in config.calendar.holidays:
        return False
    return day.weekday() < 5


def add_working_days(config: TenantConfig | Calendar, start: date, n: int) -> date:
    """The date ``n`` working days after ``start`` (``start`` itself not counted; n < 0 goes back).

    E.g. a notice published on a Friday with 5 working days ends on the following Friday, later if
    holidays fall in between (JF-EARN-3). ``n == 0`` returns ``start``.
    """
    calendar = config if isinstance(config, Calendar) else config.calendar
    holidays = frozenset(calendar.holidays)
    extra = frozenset(calendar.extra_workdays)
    step = timedelta(days=1 if n >= 0 else -1)
    remaining = abs(n)
    day = start
    while remaining:
        day += step
        if day in extra or (day not in holidays and day.weekday() < 5):
            remaining -= 1
    return day


# --------------------------------------------------------------------------------------------------
# loading


def _format_loc(loc: Sequence[str | int]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _line_of(root: Any, loc: Sequence[str | int]) -> int:
    """The 1-based line of the YAML node at ``loc``, or of its nearest existing ancestor."""
    node = root
    line: int = root.start_mark.line + 1
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            # the last match is the one in effect (a key set explicitly after a merged one, <<)
            matches = [
                (key_node, value_node)
                for key_node, value_node in node.value
                if isinstance(key_node, yaml.ScalarNode) and key_node.value == str(part)
            ]
            if not matches:
                return line
            key_node, node = matches[-1]
            line = key_node.start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            return line
    return line


MAX_NODES = 1_000_000
"""The most YAML nodes a tenant file may expand to, counting each use of an alias."""


def _expanded_size(node: Any, memo: dict[int, int]) -> int:
    """How many nodes ``node`` stands for once every alias is expanded (each node counted once
    per use, computed once per node)."""
    if id(node) not in memo:
        if isinstance(node, yaml.MappingNode):
            children = [part for pair in node.value for part in pair]
        else:
            children = node.value if isinstance(node, yaml.SequenceNode) else []
        memo[id(node)] = 1 + sum(_expanded_size(child, memo) for child in children)
    return memo[id(node)]


def _duplicate_keys(
    node: Any, loc: tuple[str | int, ...] = ()
) -> Iterator[tuple[tuple[str | int, ...], int]]:
    """YAML silently keeps the last of two equal keys; find them so they can be reported."""
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key in seen:
                yield (*loc, key), key_node.start_mark.line + 1
            seen.add(key)
            yield from _duplicate_keys(value_node, (*loc, key))
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            yield from _duplicate_keys(item, (*loc, i))


def _error(file: str, line: int, field: str, message: str, **extra: Any) -> ConfigError:
    where = f"{file}:{line}: {field}: " if field else f"{file}:{line}: "
    return ConfigError(where + message, file=file, line=line, field=field, **extra)


def load_config(path: str | Path) -> TenantConfig:
    """Parse and validate one tenant file; raise ConfigError naming file, line and field.

    Pure: it reads the file and returns the validated configuration, applying nothing.
    """
    path = Path(path)
    file = path.name
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise ConfigError(
            f"{file}: cannot read: {reason}", file=file, line=0, field="", path=str(path)
        ) from None

    try:
        loader = yaml.SafeLoader(text)
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow (NUL, controls)
        line = text.count("\n", 0, exc.position) + 1
        raise _error(file, line, "", f"invalid YAML: {exc.reason}", path=str(path)) from None
    try:
        root = loader.get_single_node()
        if root is None:
            raise _error(file, 1, "", "the file is empty", path=str(path))
        if _expanded_size(root, {}) > MAX_NODES:  # a few aliases can expand exponentially
            raise _error(file, 1, "", f"the file expands to more than {MAX_NODES} YAML nodes "
                         "(through aliases)", path=str(path))
        # checked before construction, which inlines merge keys (<<) into the node tree
        for loc, line in _duplicate_keys(root):
            raise _error(file, line, _format_loc(loc), "key given twice", path=str(path))
        data = loader.construct_document(root)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 0
        raise _error(file, line, "", f"invalid YAML: {exc.problem or exc}", path=str(path)) from None
    except yaml.YAMLError as exc:
        raise _error(file, 0, "", f"invalid YAML: {exc}", path=str(path)) from None
    except RecursionError:
        raise _error(file, 0, "", "the YAML is nested too deeply", path=str(path)) from None
    finally:
        loader.dispose()

    if not isinstance(root, yaml.MappingNode) or not isinstance(data, dict):
        raise _error(
            file, root.start_mark.line + 1, "", "the file must be a mapping (key: value)", path=str(path)
        )

    try:
        return TenantConfig.model_validate(data)
    except ValidationError as exc:
        found: list[tuple[int, str, str]] = []
        for err in exc.errors(include_url=False):
            loc = tuple(err["loc"])
            found.append((_line_of(root, loc), _format_loc(loc), err["msg"]))
        found.sort()
        line, field, message = found[0]
        errors = [{"file": file, "line": ln, "field": fd, "message": msg} for ln, fd, msg in found]
        message += "".join(f"\n{file}:{ln}: {fd}: {msg}" for ln, fd, msg in found[1:])
        raise _error(file, line, field, message, errors=errors, path=str(path)) from None
