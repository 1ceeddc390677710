"""Fixtures for the bank-vip plugin's tests. ``platform`` (over SQLite and PostgreSQL) comes
from jifen's own pytest plugin, `jifen.pytest_plugin`; the plugin itself is installed, so its
scenario is registered through its entry point like any vendor's."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from jifen.clock import MovableClock
from jifen.model import Points, Subject
from jifen.platform import Platform
from jifen.testing import ClaimsCity, make_claims_city
from jifen_bank_vip import BankVip

MONDAY = datetime(2024, 7, 1, 2, 0, tzinfo=UTC)  # 10:00 in Asia/Shanghai


@pytest.fixture
def town(platform: Platform) -> ClaimsCity:
    """A configured tenant (`jifen.testing.make_claims_city`), on Monday 1 July 2024."""
    assert isinstance(platform.clock, MovableClock)
    platform.clock.set(MONDAY)
    return make_claims_city(platform)


@pytest.fixture
def vip(platform: Platform) -> BankVip:
    """The plugin's service on the test platform."""
    return BankVip(platform)


@pytest.fixture
def resident(town: ClaimsCity) -> Callable[..., Subject]:
    """``resident(name, tenths, consent=True)``: a resident of grid-1 with ``tenths`` tenths
    of moral points and, by default, consent to the scenario; the clock then moves a minute."""

    def make(name: str, tenths: int, *, consent: bool = True) -> Subject:
        p = town.platform
        who = town.resident(name)
        if tenths:
            p.award(town.id, who.id, Points(kind="moral", minor=tenths),
                    idempotency_key=f"award:{who.id}")
        if consent:
            BankVip(p).grant_consent(town.id, who.id)
        assert isinstance(p.clock, MovableClock)
        p.clock.advance(timedelta(minutes=1))
        return who

    return make
