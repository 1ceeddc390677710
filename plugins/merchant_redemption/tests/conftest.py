"""The ``shop`` fixture (`jifen_merchant_redemption.testing.make_shop`); ``platform`` (SQLite and
PostgreSQL) comes from jifen's pytest plugin."""

from __future__ import annotations

import pytest

from jifen.platform import Platform
from jifen_merchant_redemption.testing import Shop, make_shop


@pytest.fixture
def shop(platform: Platform) -> Shop:
    return make_shop(platform)
