"""Fixtures for the hospital-priority plugin's tests. ``platform`` (over SQLite and
PostgreSQL) comes from jifen's own pytest plugin, `jifen.pytest_plugin`; the plugin itself is
installed, so its scenario is registered through its entry point like any vendor's."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from jifen.clock import MovableClock
from jifen.model import Points, Subject
from jifen.platform import Platform
from jifen.testing import ClaimsCity, make_claims_city
from jifen_hospital_priority import HospitalPriority

MONDAY = datetime(2024, 7, 1, 2, 0, tzinfo=UTC)  # 10:00 in Asia/Shanghai


def clock(platform: Platform) -> MovableClock:
    assert isinstance(platform.clock, MovableClock)
    return platform.clock


@pytest.fixture
def town(platform: Platform) -> ClaimsCity:
    """A configured tenant (`jifen.testing.make_claims_city`), on Monday 1 July 2024."""
    clock(platform).set(MONDAY)
    return make_claims_city(platform)


@pytest.fixture
def hospital(platform: Platform) -> HospitalPriority:
    """The plugin's service on the test platform."""
    return HospitalPriority(platform)


def make_resident(town: ClaimsCity, name: str, tenths: int = 800, *,
                  consent: bool = True) -> Subject:
    """A resident of grid-1 with ``tenths`` tenths of moral points (default 80.0, above the
    minimum 50) and, by default, consent to the scenario."""
    p = town.platform
    who = town.resident(name)
    if tenths:
        p.award(town.id, who.id, Points(kind="moral", minor=tenths),
                idempotency_key=f"award:{who.id}")
    if consent:
        HospitalPriority(p).grant_consent(town.id, who.id)
    clock(p).advance(timedelta(minutes=1))  # later decisions are not simultaneous with these
    return who


@pytest.fixture
def resident(town: ClaimsCity) -> Callable[..., Subject]:
    """``resident(name, tenths=800, consent=True)``: see `make_resident` (80.0 points ≥ 50)."""

    def make(name: str, tenths: int = 800, *, consent: bool = True) -> Subject:
        return make_resident(town, name, tenths, consent=consent)

    return make
