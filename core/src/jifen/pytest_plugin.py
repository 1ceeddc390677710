"""Pytest fixtures for jifen and its plugins, loaded automatically when jifen is installed.

Every test that takes ``database_url``, ``platform`` or ``city`` runs on SQLite and on
PostgreSQL. PostgreSQL needs ``JIFEN_TEST_POSTGRES_URL`` (``.ci/start-postgres`` prints it);
without it those runs are skipped — unless ``JIFEN_REQUIRE_POSTGRES=1``, when they fail. Mark a
test ``@pytest.mark.postgres_only`` to run it on PostgreSQL only (e.g. real row-level
concurrency). The schema is migrated with every installed plugin's migrations.

For plugin authors: ``clock`` (the platform's movable clock), ``tenant_factory`` (configured
tenants with reviewers and a funding pool) and ``register_plugin`` (a throw-away plugin for one
test) build on `jifen.testing`.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from jifen.clock import MovableClock
from jifen.platform import Platform
from jifen.store.migrate import upgrade
from jifen.testing import (
    ClaimsCity,
    TenantFixture,
    make_claims_city,
    make_config,
    make_platform,
    make_tenant,
    registered_plugin,
)

BACKENDS = ["sqlite", "postgresql"]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "postgres_only: runs on PostgreSQL only (e.g. real row-level concurrency)")


def _postgres_admin_url() -> str:
    url = os.environ.get("JIFEN_TEST_POSTGRES_URL")
    if not url:
        if os.environ.get("JIFEN_REQUIRE_POSTGRES") == "1":
            pytest.fail("JIFEN_REQUIRE_POSTGRES=1 but JIFEN_TEST_POSTGRES_URL is not set")
        pytest.skip("PostgreSQL not configured (set JIFEN_TEST_POSTGRES_URL)")
    return url


@pytest.fixture(scope="session")
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
                 ) -> Iterator[str]:
    """A freshly migrated database for the session, per backend."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'jifen.db'}"
        upgrade(url)
        yield url
        return
    admin_url = _postgres_admin_url()
    name = f"jifen_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin_url.rsplit("/", 1)[0] + f"/{name}"
    upgrade(url)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "database_url" in metafunc.fixturenames:
        backends = BACKENDS
        if metafunc.definition.get_closest_marker("postgres_only"):
            backends = ["postgresql"]
        metafunc.parametrize("database_url", backends, indirect=True, scope="session")


@pytest.fixture
def platform(database_url: str) -> Iterator[Platform]:
    """A `Platform` on the session's database with a movable clock (`jifen.testing`)."""
    p = make_platform(database_url)
    yield p
    p.db.dispose()


@pytest.fixture
def city(platform: Platform) -> TenantFixture:
    """A new tenant (tests never share one) with the tree city → … → grid-1, grid-2."""
    return make_tenant(platform)


@pytest.fixture
def clock(platform: Platform) -> MovableClock:
    """The platform's clock: it stands at 2024-03-01 08:00 UTC until the test moves it
    (``clock.advance(timedelta(days=6))``, ``clock.set(when)``)."""
    assert isinstance(platform.clock, MovableClock)
    return platform.clock


@pytest.fixture
def tenant_factory(platform: Platform) -> Callable[..., ClaimsCity]:
    """``tenant_factory(**changes)``: a new configured tenant (`jifen.testing.make_config`'s file
    with ``changes``, e.g. ``catalogue=[...]``, applied with every registered plugin's catalogue
    items), with a community and a street reviewer and the funding pool ``test-pool``."""

    def make(**changes: Any) -> ClaimsCity:
        return make_claims_city(platform, make_config(f"t-{uuid.uuid4().hex[:12]}", **changes))

    return make


@pytest.fixture
def register_plugin(platform: Platform) -> Iterator[Callable[..., object]]:
    """``register_plugin(plugin, name=None)``: register a plugin object on the platform's plugin
    manager for the rest of the test (`jifen.testing.registered_plugin`)."""
    with ExitStack() as stack:
        yield lambda plugin, name=None: stack.enter_context(
            registered_plugin(platform.pm, plugin, name))


CHROMIUM = "/usr/bin/chromium"
"""Debian's Chromium: browsers are never downloaded by a test tool here."""
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """A headless Chromium driven by Playwright's sync API, one per test process (two sync
    Playwright instances cannot live in one process, so core and plugin page tests share this).
    Skipped when Chromium is missing, unless ``JIFEN_REQUIRE_BROWSER=1``."""
    if not os.path.exists(CHROMIUM):
        if os.environ.get("JIFEN_REQUIRE_BROWSER") == "1":
            pytest.fail(f"JIFEN_REQUIRE_BROWSER=1 but {CHROMIUM} is missing "
                        "(apt-get install chromium)")
        pytest.skip(f"browser tests need Debian's Chromium at {CHROMIUM} "
                    "(apt-get install chromium); set JIFEN_REQUIRE_BROWSER=1 to fail instead")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
