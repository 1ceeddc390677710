"""Helpers for testing jifen and jifen plugins: a platform on a moved clock, a tenant with an org
tree, residents, and a context manager that registers a plugin for the duration of a test."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pluggy

from jifen.clock import MovableClock
from jifen.model import OrgUnitCreate, Subject, SubjectCreate, Tenant, TenantCreate
from jifen.platform import Platform
from jifen.store import Database

DEMO_TREE = (
    ("city", "city", None),
    ("district", "district", "city"),
    ("street", "street", "district"),
    ("community", "community", "street"),
    ("grid-1", "grid", "community"),
    ("grid-2", "grid", "community"),
)


def make_platform(url: str, *, start: datetime | None = None,
                  pm: pluggy.PluginManager | None = None) -> Platform:
    """A platform on ``url`` whose clock stands at ``start`` (default 2024-03-01 08:00 UTC)."""
    clock = MovableClock(start or datetime(2024, 3, 1, 8, 0, tzinfo=UTC))
    return Platform(Database(url), clock=clock, pm=pm, master_key=os.urandom(32))


@dataclass
class TenantFixture:
    """A tenant with the org tree city → district → street → community → grid-1, grid-2."""

    platform: Platform
    tenant: Tenant
    residents: list[Subject] = field(default_factory=list)

    @property
    def id(self) -> uuid.UUID:
        return self.tenant.id

    def resident(self, name: str = "张三", grid: str = "grid-1", **extra: Any) -> Subject:
        subject = self.platform.create_subject(self.tenant.id, SubjectCreate(
            type="resident", name=name, org_unit_code=grid, **extra))
        self.residents.append(subject)
        return subject


def make_tenant(platform: Platform, code: str | None = None) -> TenantFixture:
    tenant = platform.create_tenant(TenantCreate(code=code or f"t-{uuid.uuid4().hex[:12]}",
                                                 name="测试市 test city"))
    for unit_code, level, parent in DEMO_TREE:
        platform.add_org_unit(tenant.id, OrgUnitCreate(
            code=unit_code, name=unit_code, level=level, parent_code=parent))
    return TenantFixture(platform, tenant)


@contextmanager
def registered_plugin(pm: pluggy.PluginManager, plugin: object,
                      name: str | None = None) -> Iterator[object]:
    """Register ``plugin`` for the duration of the block, then unregister it."""
    pm.register(plugin, name=name)
    try:
        yield plugin
    finally:
        pm.unregister(plugin)
