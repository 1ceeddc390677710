"""The school-place scenario and its words: a round for a school year with quotas per school
and place type (JF-SCN-1, JF-SCN-3).

A *slot* is the core's quota-round slot, written ``<school>:<from>→<to>``, e.g.
``第一小学:2-A→1-A``: an upgrade at one school from one place type to a better one. The top N
applicants of each slot (N its number of places) get the upgrade.
"""

from __future__ import annotations

from decimal import Decimal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from jifen.scenarios import Eligibility, RoundCreate, ScenarioSpec

SCENARIO = "school-place-upgrade"
"""The scenario's code."""

MIN_SCORE = Decimal("50.0")
"""The default minimum score (a tenant may override it in its tenant file)."""

SPEC = ScenarioSpec(
    code=SCENARIO,
    name="品德积分助力学位升级 school-place upgrade",
    provider="区教育局 district education bureau",
    benefit="入学积分加分 school-place upgrade",
    mode="quota_round",
    rule_version="2024.1",
    # residence: none by default; a city names its district in the tenant file (`scenarios:`).
    # consent: required, and for a child only a guardian's counts (JF-PRIV-4).
    eligibility=Eligibility(min_score=MIN_SCORE, residence=None, consent=True),
    # "mark": a won upgrade marks one minimum score's worth of the guardian's points for this
    # scenario (see docs/plugins/school-place.md for why, and what a mark does not do).
    use_effect="mark",
    consume_points=MIN_SCORE,
)
"""The scenario as the plugin registers it through ``register_scenarios``."""

_SEP, _ARROW = ":", "→"
_PLACE_TYPE = r"^[^:→\s]{1,20}$"


def slot(school: str, from_type: str, to_type: str) -> str:
    """The core's slot string for an upgrade at ``school`` from ``from_type`` to ``to_type``."""
    return f"{school}{_SEP}{from_type}{_ARROW}{to_type}"


def parse_slot(text: str) -> tuple[str, str, str]:
    """``第一小学:2-A→1-A`` → ``("第一小学", "2-A", "1-A")``; ValueError if malformed."""
    school, sep, upgrade = text.rpartition(_SEP)
    from_type, arrow, to_type = upgrade.partition(_ARROW)
    if not (sep and arrow and school and from_type and to_type):
        raise ValueError(f"{text!r}: expected SCHOOL:FROM→TO, e.g. 第一小学:2-A→1-A")
    return school, from_type, to_type


class PlaceUpgrade(BaseModel):
    """Places for an upgrade at one school from one place type to another (one slot)."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    school: str = Field(min_length=1, max_length=60, pattern=r"^[^:→]+$")
    from_type: str = Field(alias="from", pattern=_PLACE_TYPE)
    to_type: str = Field(alias="to", pattern=_PLACE_TYPE)
    places: int = Field(ge=1)

    @model_validator(mode="after")
    def _an_upgrade(self) -> PlaceUpgrade:
        if self.from_type == self.to_type:
            raise ValueError(f"{self.school}: an upgrade goes from one place type to another")
        return self

    @property
    def slot(self) -> str:
        return slot(self.school, self.from_type, self.to_type)


class SchoolRound(BaseModel):
    """A round for one school year, as the education bureau writes it (YAML or Python).

    ```yaml
    school_year: "2024"
    name: 康巴什区2024年品德积分助力学位升级名单     # optional
    opens_at: 2024-07-01T08:00:00+08:00
    closes_at: 2024-07-10T08:00:00+08:00
    upgrades:
      - {school: 第一小学, from: 2-A, to: 1-A, places: 15}
    ```
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    school_year: str = Field(pattern=r"^[0-9]{4}(-[0-9]{4})?$")
    name: str | None = Field(default=None, min_length=1, max_length=200)
    opens_at: AwareDatetime
    closes_at: AwareDatetime
    upgrades: tuple[PlaceUpgrade, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _one_line_per_slot(self) -> SchoolRound:
        slots = [u.slot for u in self.upgrades]
        if len(set(slots)) != len(slots):
            raise ValueError("an upgrade (school, from, to) is listed twice")
        if self.closes_at <= self.opens_at:
            raise ValueError("the window closes after it opens")
        return self

    @property
    def title(self) -> str:
        return self.name or f"{self.school_year}年品德积分助力学位升级 school-place upgrades"

    def request(self) -> RoundCreate:
        """The core's quota-round request: one slot per upgrade, quota = places."""
        return RoundCreate(name=self.title, quotas={u.slot: u.places for u in self.upgrades},
                           opens_at=self.opens_at, closes_at=self.closes_at)
