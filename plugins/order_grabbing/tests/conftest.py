"""Fixtures for the order-grabbing plugin's tests. ``platform`` (over SQLite and PostgreSQL)
comes from jifen's own pytest plugin, `jifen.pytest_plugin`; the test clock stands at
2024-03-01 08:00 UTC and is a `MovableClock`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from jifen.platform import Platform
from jifen.testing import make_claims_city
from jifen_order_grabbing import Orders
from jifen_order_grabbing.testing import Town


@pytest.fixture
def town(platform: Platform) -> Town:
    return Town(make_claims_city(platform), Orders(platform))


@pytest.fixture
def make_town(platform: Platform) -> Callable[..., Town]:
    """``make_town(config)``: a town on another tenant file (e.g. a small pool)."""
    def make(config: Any) -> Town:
        return Town(make_claims_city(platform, config), Orders(platform))

    return make
