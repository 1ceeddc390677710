"""Fixtures for the school-place plugin's tests. ``platform`` (over SQLite and PostgreSQL) comes
from jifen's own pytest plugin, `jifen.pytest_plugin`; the plugin itself is loaded through its
entry point, like any installed jifen plugin."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from jifen.clock import MovableClock
from jifen.errors import JifenError
from jifen.model import LinkRole, Points, Subject, SubjectCreate
from jifen.platform import Platform
from jifen.testing import ClaimsCity, make_claims_city, make_config
from jifen_school_place import SchoolPlaces, SchoolRound

START = datetime(2024, 6, 1, 2, 0, tzinfo=UTC)
OPENS = datetime(2024, 7, 1, 0, 0, tzinfo=UTC)
CLOSES = datetime(2024, 7, 10, 0, 0, tzinfo=UTC)  # a Wednesday
SLOT = "第一小学:2-A→1-A"

Family = tuple[Subject, Subject]
"""(guardian, child)."""


def clock(platform: Platform) -> MovableClock:
    assert isinstance(platform.clock, MovableClock)
    return platform.clock


def later(platform: Platform, minutes: int = 1) -> None:
    clock(platform).advance(timedelta(minutes=minutes))


def code_of(call: Callable[[], Any]) -> str:
    with pytest.raises(JifenError) as caught:
        call()
    return caught.value.code


def make_town(platform: Platform, **extra: Any) -> ClaimsCity:
    """A tenant whose children use their guardians' score (JF-SUB-2), clock at 2024-06-01."""
    clock(platform).set(START)
    extra.setdefault("settings", {"child_score": "best_of_guardians"})
    return make_claims_city(platform, make_config(f"t-{uuid.uuid4().hex[:12]}", **extra))


@pytest.fixture
def town(platform: Platform) -> ClaimsCity:
    return make_town(platform)


@pytest.fixture
def places(platform: Platform) -> SchoolPlaces:
    return SchoolPlaces(platform)


def family(town: ClaimsCity, child: str, tenths: int, *, guardian: str | None = None,
           grid: str = "grid-1", consent: bool = True) -> Family:
    """A household with a guardian holding ``tenths`` moral points and a child; the guardian
    consents for the child unless ``consent`` is false."""
    p = town.platform
    home = p.create_subject(town.id, SubjectCreate(type="household", name=f"{child}家",
                                                   org_unit_code=grid))
    parent = town.resident(guardian or f"{child[0]}家长", grid=grid)
    kid = town.resident(child, grid=grid)
    p.link_household(town.id, home.id, parent.id, LinkRole.guardian)
    p.link_household(town.id, home.id, kid.id, LinkRole.child)
    if tenths:
        p.award(town.id, parent.id, Points(kind="moral", minor=tenths),
                idempotency_key=f"award:{parent.id}")
    if consent:
        SchoolPlaces(p).grant_consent(town.id, kid.id, guardian_id=parent.id)
    return parent, kid


def school_round(places: int = 15, **changes: Any) -> SchoolRound:
    base: dict[str, Any] = {
        "school_year": "2024", "name": "康巴什区2024年品德积分助力学位升级名单",
        "opens_at": OPENS, "closes_at": CLOSES,
        "upgrades": [{"school": "第一小学", "from": "2-A", "to": "1-A", "places": places}]}
    return SchoolRound.model_validate({**base, **changes})


@pytest.fixture
def repo_root() -> Path:
    return Path(__file__).resolve().parents[3]
