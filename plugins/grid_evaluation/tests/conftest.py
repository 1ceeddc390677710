"""Fixtures for the grid-evaluation plugin's tests. ``platform`` (over SQLite and PostgreSQL)
comes from jifen's own pytest plugin, `jifen.pytest_plugin`; its clock stands at
2024-03-01 08:00 UTC (16:00 in the tenant's Asia/Shanghai), so February 2024 has ended and
March has not."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from jifen.platform import Platform
from jifen.testing import ClaimsCity, make_claims_city
from jifen_grid_evaluation import GridEvaluation, Metrics, Worker
from jifen_grid_evaluation.testing import MONTH


@pytest.fixture
def town(platform: Platform) -> ClaimsCity:
    """A configured tenant with the test funding pool ``test-pool`` as its default pool."""
    return make_claims_city(platform)


@pytest.fixture
def grid(platform: Platform) -> GridEvaluation:
    return GridEvaluation(platform)


@pytest.fixture
def worker(town: ClaimsCity, grid: GridEvaluation) -> Callable[..., Worker]:
    """``worker(name, grid="grid-1", metrics=None)``: a grid worker of ``town``, with
    February's metrics recorded when given."""

    def make(name: str, unit: str = "grid-1", metrics: Metrics | None = None) -> Worker:
        made = grid.add_worker(town.id, name, unit)
        if metrics is not None:
            grid.record_metrics(town.id, made.id, MONTH, metrics)
        return made

    return make
