"""The application factory: the core's routers, plugins' routers, errors, idempotency,
test mode and the scheduler.

The web pages are added on top of the app this returns (``app.include_router``, templates,
static files); ``app.state.platform`` and ``app.state.settings`` are there for them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI

import jifen
from jifen.api import idempotency, problems
from jifen.api.auth import LoginLimiter
from jifen.api.routers import admin, auth, catalogue, claims, codes, ledger, scenarios, subjects, testmode
from jifen.api.routers import tenants as tenants_router
from jifen.api.settings import ApiSettings
from jifen.clock import MovableClock
from jifen.errors import ConfigError, PluginError
from jifen.jobs import Scheduler, collect_jobs
from jifen.platform import Platform

CORE_ROUTERS = (auth.router, tenants_router.router, subjects.router, catalogue.router,
                claims.router, ledger.router, codes.router, scenarios.router, admin.router,
                testmode.router)
PAGE_PREFIX = "/t/{tenant}/"
"""Where plugins' web pages are mounted (``register_routers``), beside the core's pages."""
DESCRIPTION = """The HTTP interface of jifen (JF-API-1). Authenticate with a bearer token
(`jifen token issue`, or `POST /v1/auth/login`); every write needs an `Idempotency-Key`
header; errors are RFC 9457 problem documents with jifen's stable codes."""


def create_app(platform: Platform, settings: ApiSettings | None = None) -> FastAPI:
    """Build the FastAPI application serving ``platform`` (see ``docs/reference/api.md``)."""
    settings = settings or ApiSettings()
    if settings.test_mode and not isinstance(platform.clock, MovableClock):
        raise ConfigError("the test mode needs a platform on a MovableClock")
    app = FastAPI(title="jifen", version=_version(), description=DESCRIPTION,
                  lifespan=_lifespan)
    app.state.platform = platform
    app.state.settings = settings
    app.state.login_limiter = LoginLimiter(platform, settings.login_max_failures,
                                           settings.login_window)
    problems.install(app)
    idempotency.install(app)
    for router in CORE_ROUTERS:
        app.include_router(router)
    mount_plugin_routers(app, platform)
    from jifen.web import install as install_pages  # the web pages (docs/guides/web-pages.md)

    install_pages(app)
    return app


def mount_plugin_routers(app: FastAPI, platform: Platform) -> None:
    """Include every router that plugins give through ``register_routers``: API routers under
    ``/v1/``, web pages under ``/t/{tenant}/`` (left out of the OpenAPI document)."""

    def register(router: APIRouter, prefix: str) -> None:
        if not prefix.startswith(("/v1/", PAGE_PREFIX)):
            raise PluginError(f"a plugin router's prefix starts with /v1/ or {PAGE_PREFIX}, "
                              f"not {prefix!r}")
        app.include_router(router, prefix=prefix.rstrip("/"),
                           include_in_schema=prefix.startswith("/v1/"))

    platform.pm.hook.register_routers(register=register)


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: ApiSettings = app.state.settings
    scheduler = None
    if settings.scheduler:
        platform: Platform = app.state.platform
        scheduler = Scheduler(platform, collect_jobs(platform.pm), tick=settings.scheduler_tick)
        scheduler.start()
    app.state.scheduler = scheduler
    try:
        yield
    finally:
        if scheduler is not None:
            scheduler.stop()


def _version() -> str:
    return jifen.__version__
